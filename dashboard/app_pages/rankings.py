"""Rankings: one period's ranking table with Δrank, history and sources, and the ranking as a chart beside it."""

import streamlit as st

from dashboard import charts, chrome, columns, controls, downloads, filters, views
from dashboard import presentation as pres
from dashboard import queries as q
from dashboard.i18n import t

v = filters.current()
f, lang = v.filters, v.lang
data = q.ranking(f.family, f.period, f.indicator, f.level, f.region, f.province, f.cities)
chrome.header(v, t("page_rankings", lang), v.title)
chrome.timeline(v)
shown_rows = views.placed(data)
if shown_rows.empty:
    st.warning(t("no_rows", lang))
    chrome.stop()

sizes = sorted({n for n in (10, 20, 50, 100) if n < len(shown_rows)} | {len(shown_rows)})
top_n = controls.choice(t("top_n", lang), sizes, "top_n", default=sizes[0], url="top",
                        format_func=lambda n: t("all_rows", lang, n=n) if n == len(shown_rows)
                        else t("top_n_rows", lang, n=n))
shown = shown_rows.head(top_n)
previous = v.period_label(v.previous_period) if v.previous_period else None

# The chart first, on the left: the first thing a reader sees, also where a phone stacks the columns
chart_column, table_column = st.columns([2, 3], gap="large")
with chart_column:
    fig = charts.ranking_chart(shown.head(30), lang, v.indicator_name(), v.chart_subtitle, f.cities)
    notes = [t("click_to_choose", lang)]
    if (shown["rank_source"] == "computed").any():
        notes.insert(0, t("ranks_computed_note", lang))
    chrome.chart(v, fig, "ranking_bar", v.base_name("rankings"),
                 chrome.attribution(v, v.title, shown["release_id"], pres.rank_sources(shown.head(30))), notes,
                 selectable=True)
with table_column:
    table = views.ranking_view(shown, lang, previous)
    columns.table(table, lang, height=min(36 * len(table) + 40, 760), key="ranking_table")
    if "value" not in table:
        st.caption(t("ranks_only_note", lang))
    unranked = len(data) - len(shown_rows)
    if unranked:
        st.caption(t("unranked_note", lang, n=unranked))
    if shown["rank_at_most"].notna().any():
        st.caption(t("band_sort_note", lang))
    downloads.table_downloads(columns.exportable(views.ranking_export(shown, lang, previous), lang),
                              chrome.attribution(v, v.title, views.held_releases(shown, q.releases(f.family)),
                                                 pres.rank_sources(shown)),
                              v.base_name("rankings"), lang, key="rankings")
