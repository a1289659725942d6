"""Compare: two to six regions side by side on every indicator of one edition."""

import streamlit as st

from dashboard import charts, downloads, filters, tables
from dashboard import queries as q
from dashboard.i18n import t

f = filters.current()
lang = f.lang
meta = tables.ranking_meta(f)
st.title(t("compare_title", lang))
st.caption(meta["period_label"])
chosen = list(f.cities[:6])
if len(chosen) < 2:
    st.info(t("compare_need", lang), icon=":material/touch_app:")
    ranking = q.ranking(f.family, f.period, f.indicator, f.level, f.region, f.province)
    chosen = [*chosen, *[a for a in ranking.dropna(subset=["rank"])["adcode"] if a not in chosen]][:3]
data = q.compare(f.family, f.period, f.level, chosen)
if data.empty:
    st.warning(t("no_rows", lang))
    st.stop()
title = t("compare_chart_title", lang, period=meta["period_label"])
fig = charts.compare_dots(data, lang, title, chosen)
st.plotly_chart(fig, config=charts.PLOTLY_CONFIG, key="compare")
st.caption(fig.layout.meta["alt"])
if tables.sparse(f.family, f.period, f.level):
    st.caption(t("sparse_note", lang))
downloads.figure_downloads(fig, tables.base_name(f, "compare"), lang, key="compare")
grid = tables.compare_table(data, chosen, lang)
st.dataframe(grid, hide_index=True, width="stretch")
downloads.table_downloads(grid, tables.about(f, lang, title), tables.base_name(f, "compare"), lang, key="compare_t")
