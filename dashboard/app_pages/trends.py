"""Trends: bump chart of rank across editions, value view where comparable, slope chart, climbers/fallers."""

import streamlit as st

from dashboard import charts, downloads, filters, tables
from dashboard import queries as q
from dashboard.i18n import t

f = filters.current()
lang = f.lang
meta = tables.ranking_meta(f)
periods = tables.labelled_periods(f.family, lang)
history = q.rank_history(f.family, f.indicator, f.level, (), f.region, f.province)
selected = q.rank_history(f.family, f.indicator, f.level, f.cities) if f.cities else history.iloc[0:0]

st.title(t("trends_title", lang))
st.caption(meta["title"])
if tables.rebased(f.family):
    st.info(t("rebased_note", lang), icon=":material/info:")
if history.empty and selected.empty:
    st.warning(t("no_rows", lang))
    st.stop()

focus, background = tables.bump_lines(history, selected, f.period, list(f.cities))
lines = tables.concat_unique(background, selected)
comparable = tables.values_comparable(lines)
views = ["rank", "value"] if comparable else ["rank"]
view = st.segmented_control(t("trends_view", lang), views, default="rank", key="trend_view", required=True,
                            format_func=lambda v: t(f"view_{v}", lang))
if not comparable:
    st.caption(t("value_view_unavailable", lang))
title = t("bump_title", lang, indicator=meta["indicator_name"], level=t(f"level_{f.level}", lang))
compact = filters.is_phone()
fig = charts.bump_chart(lines, periods, focus, lang, title, value_mode=view == "value", compact=compact)
st.plotly_chart(fig, config=charts.PLOTLY_CONFIG, key="bump")
st.caption(fig.layout.meta["alt"] + " " + t("trends_default_note", lang))
downloads.figure_downloads(fig, tables.base_name(f, "trend"), lang, key="bump")

shown = periods[periods["period"].isin(lines["period"])]
if len(shown) < 2:
    st.caption(t("need_two_periods", lang))
    st.stop()
labels = dict(zip(shown["period"], shown["label"], strict=True))
options = list(shown["period"])
end_default = options.index(f.period) if f.period in options else len(options) - 1
left, right = st.columns(2)
start = left.selectbox(t("slope_start", lang), options, index=max(end_default - 1, 0), format_func=labels.get,
                       key="start")
end = right.selectbox(t("slope_end", lang), options, index=end_default, format_func=labels.get, key="end")
if start == end:
    st.warning(t("need_two_periods", lang))
    st.stop()
pair = q.slope(f.family, f.indicator, f.level, start, end, f.region, f.province, f.cities)
slope_title = t("slope_title", lang, indicator=meta["indicator_name"], start=labels[start], end=labels[end])
both = pair.dropna(subset=["start_rank", "end_rank"])
slope_fig = charts.slope_chart(both.head(40), labels[start], labels[end], lang, slope_title, compact=compact)
st.plotly_chart(slope_fig, config=charts.PLOTLY_CONFIG, key="slope")
st.caption(slope_fig.layout.meta["alt"])
downloads.figure_downloads(slope_fig, tables.base_name(f, f"slope_{start}_{end}"), lang, key="slope")

up_col, down_col = st.columns(2)
for column, key, movers in ((up_col, "climbers", tables.movers(both, rising=True)),
                            (down_col, "fallers", tables.movers(both, rising=False))):
    with column:
        st.subheader(t(key, lang))
        view_frame = tables.movers_view(movers, lang)
        st.dataframe(view_frame, hide_index=True, width="stretch", column_config=tables.movers_columns(lang))
        downloads.table_downloads(view_frame, tables.about(f, lang, slope_title), tables.base_name(f, key), lang,
                                  key=key)
