"""Sub-indices and sub-industries: heatmap of ranks, one region's profile against its peers, all-round leaders."""

import streamlit as st

from dashboard import charts, chrome, controls, downloads, filters, views
from dashboard import presentation as pres
from dashboard import queries as q
from dashboard.i18n import localized, t, t_family

v = filters.current()
f, lang = v.filters, v.lang
chrome.header(v, t_family("subindices_title", f.family, lang), v.period_label())

kinds = v.ranked_kinds()
if not kinds:
    st.warning(t("no_rows", lang))
    chrome.stop()
kind = controls.choice(t("sub_kinds", lang), kinds, "sub_kind", url="kind",
                       format_func=lambda k: t_family(f"kind_{k}", f.family, lang))
kind_name = t_family(f"kind_{kind}", f.family, lang)
# The region and province filters narrow the table; chosen cities are always among its rows (and profiled),
# never the only rows: a profile needs its peers.
data = views.placed(q.subindicator_ranks(f.family, f.period, f.level, [kind], f.region, f.province))
if data.empty:
    st.warning(t("no_rows", lang))
    chrome.stop()

n_ind, leaders = views.all_round(data, lang)
if n_ind >= 2 and leaders:
    st.success(t("all_top10", lang, n=n_ind, kind=kind_name, cities=("、" if lang == "zh" else ", ").join(leaders)),
               icon=":material/star:")
elif n_ind >= 2:
    st.caption(t("no_all_top10", lang, kind=kind_name))

regions = data["adcode"].nunique()
options = sorted({min(n, regions) for n in (20, 40, 80)} | {regions})
shown_n = controls.choice(t("heatmap_rows", lang), options, "heat_rows", default=min(40, regions), url="rows")
shown = views.heatmap_rows(data, shown_n, f.cities)
title = t("heatmap_title", lang, period=v.period_label(), kind=kind_name)
heat = charts.rank_heatmap(shown, lang, title, v.ranking_size(kind=kind), compact=chrome.is_phone(),
                          chosen=f.cities)
notes = [t("sparse_note", lang)] if v.sparse else []
notes += [t("band_cell_note", lang)] if shown["rank_at_most"].notna().any() else []
source = chrome.attribution(v, title, shown["release_id"], pres.rank_sources(shown))
chrome.chart(v, heat, "heatmap", v.base_name(f"{kind}_heatmap"), source, notes)
downloads.table_downloads(views.heatmap_table(shown, lang).rename(columns={"region": t("col_region", lang)}),
                          source, v.base_name(f"{kind}_ranks"), lang, key="heatmap_table")

names = dict(zip(data["adcode"], localized(data, lang, "region_short_zh", "region_en"), strict=True))
default_city = next((c for c in f.cities if c in names), views.best_placed(data))
left, right = st.columns([2, 1])
with left:
    city = controls.choice(t("profile_city", lang), list(names), "profile_city", default=default_city,
                           format_func=names.get, kind="select", url="profile")
with right:
    peer_kind = controls.choice(t("peers", lang), ["region", "province"], "peer_kind", url="peers",
                                format_func=lambda k: t(f"peers_same_{k}", lang))
profile = views.profile_frame(data, city, peer_kind)
prof_fig = charts.profile_dots(profile, names[city], t(f"peers_{peer_kind}", lang), lang,
                               t("profile_title", lang, city=names[city]))
chrome.chart(v, prof_fig, "profile", v.base_name(f"profile_{city}"),
             chrome.attribution(v, prof_fig.layout.title.text, profile["release_id"], pres.rank_sources(profile)),
             [t("peer_min_note", lang, n=views.MIN_PEERS)] if profile["peer_rank"].isna().any() else [])
