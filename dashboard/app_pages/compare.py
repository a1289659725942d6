"""Compare: two to six regions side by side on every indicator of one period."""

import streamlit as st

from dashboard import charts, chrome, columns, downloads, filters, views
from dashboard import queries as q
from dashboard.i18n import t

v = filters.current()
f, lang = v.filters, v.lang
chrome.header(v, t("compare_title", lang), v.period_label())
chosen = list(f.cities[:6])
if len(chosen) < 2:
    st.info(t("compare_need", lang), icon=":material/touch_app:")
    ranking = q.ranking(f.family, f.period, f.indicator, f.level, f.region, f.province)
    chosen = [*chosen, *[a for a in ranking.dropna(subset=["rank"])["adcode"] if a not in chosen]][:3]
data = q.compare(f.family, f.period, f.level, chosen)
if data.empty:
    st.warning(t("no_rows", lang))
    st.stop()
title = t("compare_chart_title", lang, period=v.period_label())
fig = charts.compare_dots(data, lang, title, chosen, compact=chrome.is_phone())
source = chrome.attribution(v, title, data["release_id"], data["rank_source"], filtered=False)
notes = [t("sparse_note", lang)] if v.sparse else []
unranked = data.groupby("indicator")["rank"].count()
notes += [t("compare_bands_in_table", lang)] if (unranked == 0).any() else []
chrome.chart(v, fig, "compare", v.base_name("compare"), source, notes)
grid = views.compare_table(data, chosen, lang)
columns.table(grid, lang)
downloads.table_downloads(columns.exportable(grid, lang), source, v.base_name("compare"), lang, key="compare_t")
