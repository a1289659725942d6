"""Sub-indices and sub-industries: heatmap of ranks, one region's profile against its peers, all-round leaders."""

import streamlit as st

from dashboard import charts, downloads, filters, tables
from dashboard import queries as q
from dashboard.i18n import localized, t

f = filters.current()
lang = f.lang
meta = tables.ranking_meta(f)
st.title(t("subindices_title", lang))
st.caption(meta["period_label"])

kinds = tables.ranked_kinds(f.family, f.period, f.level)
if not kinds:
    st.warning(t("no_rows", lang))
    st.stop()
kind = st.segmented_control(t("sub_kinds", lang), kinds, default=kinds[0], key="sub_kind", required=True,
                            format_func=lambda k: t(f"kind_{k}", lang))
kind_name = t(f"kind_{kind}", lang)
data = q.subindicator_ranks(f.family, f.period, f.level, [kind], f.region, f.province, f.cities).dropna(
    subset=["rank"])
if data.empty:
    st.warning(t("no_rows", lang))
    st.stop()

n_ind, leaders = tables.top10_everywhere(data, lang)
if n_ind >= 2 and leaders:
    st.success(t("all_top10", lang, n=n_ind, kind=kind_name, cities=("、" if lang == "zh" else ", ").join(leaders)),
               icon=":material/star:")
elif n_ind >= 2:
    st.caption(t("no_all_top10", lang, kind=kind_name))

regions = data["adcode"].nunique()
options = sorted({min(n, regions) for n in (20, 40, 80)} | {regions})
shown_n = st.segmented_control(t("heatmap_rows", lang), options, default=min(40, regions), key="heat_rows",
                               required=True)
shown = tables.heatmap_rows(data, shown_n)
title = t("heatmap_title", lang, period=meta["period_label"], kind=kind_name)
heat = charts.rank_heatmap(shown, lang, title)
st.plotly_chart(heat, config=charts.PLOTLY_CONFIG, key="heatmap")
st.caption(heat.layout.meta["alt"])
if tables.sparse(f.family, f.period, f.level):
    st.caption(t("sparse_note", lang))
downloads.figure_downloads(heat, tables.base_name(f, f"{kind}_heatmap"), lang, key="heatmap")
grid = tables.heatmap_table(shown, lang)
downloads.table_downloads(grid, tables.about(f, lang, title), tables.base_name(f, f"{kind}_ranks"), lang,
                          key="heatmap_table")

names = dict(zip(data["adcode"], localized(data, lang, "region_short_zh", "region_en"), strict=True))
default_city = next((c for c in f.cities if c in names), tables.best_ranked(data))
left, right = st.columns([2, 1])
city = left.selectbox(t("profile_city", lang), list(names), index=list(names).index(default_city),
                      format_func=names.get, key="profile_city")
peer_kind = right.segmented_control(t("peers", lang), ["region", "province"], default="region", key="peer_kind",
                                    required=True, format_func=lambda k: t(f"peers_same_{k}", lang))
profile = tables.profile_frame(data, city, peer_kind)
prof_fig = charts.profile_dots(profile, names[city], t(f"peers_{peer_kind}", lang), lang,
                               t("profile_title", lang, city=names[city]))
st.plotly_chart(prof_fig, config=charts.PLOTLY_CONFIG, key="profile")
st.caption(prof_fig.layout.meta["alt"])
downloads.figure_downloads(prof_fig, tables.base_name(f, f"profile_{city}"), lang, key="profile")
