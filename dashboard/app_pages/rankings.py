"""Rankings: one period's ranking table with Δrank, history and sources, and a bar chart beside it."""

import streamlit as st

from dashboard import charts, filters, tables
from dashboard import queries as q
from dashboard.i18n import t

f = filters.current()
lang = f.lang
data = q.ranking(f.family, f.period, f.indicator, f.level, f.region, f.province, f.cities)
meta = tables.ranking_meta(f)

st.title(t("page_rankings", lang))
st.caption(t("rankings_caption", lang, indicator=meta["indicator_name"], period=meta["period_label"]))
st.info(t("rebased_note", lang), icon=":material/info:")

if data.empty:
    st.warning(t("no_rows", lang))
    st.stop()

ranked = data.dropna(subset=["rank"])
top_options = [10, 20, 50, 100, len(data)]
top_n = st.segmented_control(t("top_n", lang), sorted(set(top_options)), default=min(10, len(data)) if
                             min(10, len(data)) in top_options else top_options[-1], key="top_n",
                             format_func=lambda n: t("all_rows", lang) if n == len(data) else f"Top {n}")
shown = data.head(top_n or len(data))

left, right = st.columns([3, 2], gap="large")
with left:
    view = tables.ranking_view(shown, lang)
    st.dataframe(view, hide_index=True, width="stretch", column_config=tables.ranking_columns(lang),
                 height=min(38 * len(view) + 40, 760))
    if len(ranked) < len(data):
        st.caption(t("unranked_note", lang, n=len(data) - len(ranked)))
with right:
    fig = charts.ranking_bar(shown, lang, meta["title"])
    st.plotly_chart(fig, width="stretch", config=charts.PLOTLY_CONFIG)
    st.caption(fig.layout.meta["alt"])
