"""Compare: two to six regions side by side on every indicator of one period, or across all periods."""

import streamlit as st

from dashboard import charts, chrome, columns, controls, downloads, filters, urlstate, views
from dashboard import presentation as pres
from dashboard import queries as q
from dashboard.i18n import t, t_family

v = filters.current()
f, lang = v.filters, v.lang
chrome.header(v, t("compare_title", lang), v.period_label())
chosen = list(f.cities[:6])
if len(chosen) < 2:
    st.info(t("compare_need", lang), icon=":material/touch_app:")
    ranking = q.ranking(f.family, f.period, f.indicator, f.level, f.region, f.province)
    chosen = [*chosen, *[a for a in ranking.dropna(subset=["rank"])["adcode"] if a not in chosen]][:3]
    short = dict(zip(ranking["adcode"], ranking["region_short_zh"], strict=True))
    urlstate.register("cities", ",".join(short.get(a, a) for a in chosen))  # the link reopens these, not today's top
mode = controls.choice(t("compare_mode", lang), ["period", "time"], "compare_mode", url="mode",
                       format_func=lambda m: t(f"compare_mode_{m}", lang))
compact = chrome.is_phone()

if mode == "time":
    kinds = v.ranked_kinds() or ["sub_index"]
    kind = controls.choice(t("sub_kinds", lang), kinds, "compare_kind", url="kind",
                           format_func=lambda k: t_family(f"kind_{k}", f.family, lang))
    history = q.regions_history(f.family, f.level, chosen, ["total", kind])
    if history.empty:
        st.warning(t("no_rows", lang))
        chrome.stop()
    measures = ["rank", "value"] if pres.values_comparable(v.family, history) else ["rank"]
    measure = controls.choice(t("trends_view", lang), measures, "compare_show", url="show",
                              format_func=lambda m: t(f"view_{m}", lang))
    title = t("compare_time_title", lang, level=v.level_name)
    fig = charts.compare_over_time(history, v.periods, chosen, lang, title, measure,
                                   q.ranking_periods(f.family, f.level) if measure == "rank" else None, compact)
    source = chrome.attribution(v, title, history["release_id"], pres.rank_sources(history), filtered=False)
    bands = (history["rank"].isna() & history["rank_at_most"].notna()).any()
    chrome.chart(v, fig, "compare_time", f"{f.family}_{f.level}_compare_over_time", source,
                 [t("compare_time_note", lang)] + ([t("compare_time_bands", lang)] if bands else []))
    chrome.stop()

data = q.compare(f.family, f.period, f.level, chosen)
if data.empty:
    st.warning(t("no_rows", lang))
    chrome.stop()
title = t("compare_chart_title", lang, period=v.period_label())
fig = charts.compare_dots(data, lang, title, chosen, compact=compact)
source = chrome.attribution(v, title, data["release_id"], pres.rank_sources(data), filtered=False)
notes = [t("sparse_note", lang)] if v.sparse else []
unranked = data.groupby("indicator")["rank"].count()
notes += [t("compare_bands_in_table", lang)] if (unranked == 0).any() else []
chrome.chart(v, fig, "compare", v.base_name("compare"), source, notes)
grid = views.compare_table(data, chosen, lang)
columns.table(grid, lang)
downloads.table_downloads(columns.exportable(grid, lang), source, v.base_name("compare"), lang, key="compare_t")
