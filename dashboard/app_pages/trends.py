"""Trends: bump chart of rank across periods, value view where comparable, slope chart, climbers/fallers."""

import streamlit as st

from dashboard import charts, chrome, columns, controls, downloads, filters, views
from dashboard import presentation as pres
from dashboard import queries as q
from dashboard.i18n import t

v = filters.current()
f, lang = v.filters, v.lang
periods = v.periods
history = q.rank_history(f.family, f.indicator, f.level, (), f.region, f.province)
selected = q.rank_history(f.family, f.indicator, f.level, f.cities) if f.cities else history.iloc[0:0]
held = q.ranking_periods(f.family, f.level).get(q.concept_of(f.family, f.indicator), set())

chrome.header(v, t("trends_title", lang), v.title)
if history.empty and selected.empty:
    st.warning(t("no_rows", lang))
    chrome.stop()

focus, lines = views.bump_lines(history, selected, f.period, list(f.cities))
shown = periods[periods["period"].isin(lines["period"])]
# One chart at a time (a page switch draws one): every period's ranks, or two periods against each other.
chart = controls.choice(t("trends_chart", lang), ["bump", "slope"] if len(shown) >= 2 else ["bump"], "trend_chart",
                        url="chart", format_func=lambda c: t(f"trends_chart_{c}", lang))
compact = chrome.is_phone()
if chart == "bump":
    comparable = pres.values_comparable(v.family, lines)
    view = controls.choice(t("trends_view", lang), ["rank", "value"] if comparable else ["rank"], "trend_view",
                           format_func=lambda m: t(f"view_{m}", lang), url="view")
    if not comparable:
        st.caption(t("value_view_unavailable", lang))
    title = t("bump_title", lang, indicator=v.indicator_name(), level=v.level_name)
    fig = charts.bump_chart(lines, periods, focus, lang, title, value_mode=view == "value", compact=compact,
                            held=held, chosen=f.cities)
    releases = lines["period"].map(dict(zip(periods["period"], periods["release_id"], strict=True)))
    chrome.chart(v, fig, "bump", v.base_name("trend"), chrome.attribution(v, title, releases, pres.rank_sources(lines)),
                 notes=[t("trends_default_note", lang)])
    if len(shown) < 2:
        st.caption(t("need_two_periods", lang))
    chrome.stop()

labels = dict(zip(shown["period"], shown["label"], strict=True))
options = list(shown["period"])
end_default = options.index(f.period) if f.period in options else len(options) - 1
left, right = st.columns(2)
start = controls.choice(t("slope_start", lang), options, "start", default=options[max(end_default - 1, 0)],
                        format_func=labels.get, kind="select", container=left, url="start")
end = controls.choice(t("slope_end", lang), options, "end", default=options[end_default], format_func=labels.get,
                      kind="select", container=right, url="end")
if start == end:
    st.warning(t("need_two_periods", lang))
    chrome.stop()
pair = q.slope(f.family, f.indicator, f.level, start, end, f.region, f.province, f.cities)
slope_title = t("slope_title", lang, indicator=v.indicator_name(), start=labels[start], end=labels[end])
both = pair.dropna(subset=["start_rank", "end_rank"])
if both.empty:
    st.info(t("slope_none", lang, start=labels[start], end=labels[end]), icon=":material/info:")
    chrome.stop()
slope_fig = charts.slope_chart(both.head(40), labels[start], labels[end], lang, v.indicator_name(),
                               compact=compact, chosen=f.cities, subtitle=f"{labels[start]} → {labels[end]}")
pair_releases = periods.loc[periods["period"].isin([start, end]), "release_id"]
slope_source = chrome.attribution(v, slope_title, pair_releases, pres.rank_sources(both))
chrome.chart(v, slope_fig, "slope", v.base_name(f"slope_{start}_{end}"), slope_source)

up_col, down_col = st.columns(2)
for column, key, moved in ((up_col, "climbers", views.movers(both, rising=True)),
                           (down_col, "fallers", views.movers(both, rising=False))):
    with column:
        st.subheader(t(key, lang))
        frame = views.movers_view(moved, lang)
        columns.short_table(frame, lang)
        if len(frame):
            downloads.table_downloads(columns.exportable(frame, lang), slope_source, v.base_name(key), lang,
                                      key=key)
