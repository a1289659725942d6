"""Rankings: one period's ranking table with Δrank, history and sources, and a bar chart beside it."""

import streamlit as st

from dashboard import charts, downloads, filters, tables
from dashboard import queries as q
from dashboard.i18n import t

f = filters.current()
lang = f.lang
data = q.ranking(f.family, f.period, f.indicator, f.level, f.region, f.province, f.cities)
meta = tables.ranking_meta(f)

st.title(t("page_rankings", lang))
st.caption(meta["title"])
if tables.rebased(f.family):
    st.info(t("rebased_note", lang), icon=":material/info:")
if data.empty:
    st.warning(t("no_rows", lang))
    st.stop()

sizes = sorted({n for n in (10, 20, 50, 100) if n < len(data)} | {len(data)})
top_n = st.segmented_control(t("top_n", lang), sizes, default=sizes[0], key="top_n", required=True,
                             format_func=lambda n: t("all_rows", lang) if n == len(data) else f"Top {n}")
shown = data.head(top_n)

left, right = st.columns([3, 2], gap="large")
with left:
    view = tables.ranking_view(shown, lang)
    st.dataframe(view, hide_index=True, width="stretch", column_config=tables.ranking_columns(lang),
                 height=min(36 * len(view) + 40, 760), key="ranking_table")
    unranked = int(data["rank"].isna().sum())
    if unranked:
        st.caption(t("unranked_note", lang, n=unranked))
    downloads.table_downloads(tables.ranking_export(shown, lang), tables.about(f, lang, meta["title"]),
                              tables.base_name(f, "rankings"), lang, key="rankings")
with right:
    fig = charts.ranking_bar(shown.head(30), lang, meta["chart_title"], meta["chart_subtitle"])
    st.plotly_chart(fig, config=charts.PLOTLY_CONFIG, key="ranking_bar")
    st.caption(fig.layout.meta["alt"])
    downloads.figure_downloads(fig, tables.base_name(f, "rankings"), lang, key="ranking_bar")
