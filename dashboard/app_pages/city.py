"""City profile: one region on every indicator and period, ranks within its province and the west, peers."""

import streamlit as st

from dashboard import charts, chrome, columns, controls, downloads, filters, views
from dashboard import presentation as pres
from dashboard import queries as q
from dashboard.i18n import localized, t

v = filters.current()
f, lang = v.filters, v.lang
chrome.header(v, t("city_title", lang))
ranking = q.ranking(f.family, f.period, f.indicator, f.level)
known = q.regions_with_data(f.family, f.level)
names = dict(zip(known["adcode"], localized(known, lang, "name_zh", "name_en"), strict=True))
if not names:
    st.warning(t("no_rows", lang))
    chrome.stop()


def _pick() -> None:
    st.session_state["cities"] = [st.session_state["city_pick"]]


city = views.profile_city(f.cities, ranking, list(names))
st.session_state["city_pick"] = city
st.selectbox(t("city_pick", lang), list(names), format_func=names.get, key="city_pick", on_change=_pick)
rows = q.region_rows(f.family, city, f.level)
if rows.empty:
    st.warning(t("city_none", lang))
    chrome.stop()
name = names[city]
st.header(name)
latest = views.headline_total(rows, f.period)
if latest is not None:
    st.markdown(views.city_headline(latest, v.period_label(latest["period"]), lang))
    st.caption(t("within_note", lang))

# The history follows the total and its sub-indices (a dense panel's sub-industries would bury them). Where values
# compare (one framework), the value history stands beside the rank history (a rank can fall while the value
# rises: both are the story); the grid shows one of the two.
own = views.own_figures(rows)
main = own[own["indicator_kind"].isin(["total", "sub_index"])]
measures = ["rank", "value"] if pres.values_comparable(v.family, main) else ["rank"]
held = q.ranking_periods(f.family, f.level)
mark = latest["period"] if latest is not None else f.period
for measure_shown, column in zip(measures, st.columns(len(measures)), strict=True):
    lines = main.dropna(subset=[measure_shown])
    if lines.empty:
        continue
    title = t("city_history_title" if measure_shown == "rank" else "city_values_title", lang, city=name)
    fig = charts.history_chart(lines, v.periods, lang, title, measure_shown,
                               held if measure_shown == "rank" else None, mark,
                               chrome.is_phone() or len(measures) > 1)
    with column:
        chrome.chart(v, fig, f"city_history_{measure_shown}", f"{f.family}_{f.level}_{city}_{measure_shown}_history",
                     chrome.attribution(v, title, lines["release_id"], pres.rank_sources(lines), filtered=False))

st.subheader(t("city_table", lang))
measure = controls.choice(t("city_grid_show", lang), measures, "city_show", url="show",
                          format_func=lambda m: t(f"view_{m}", lang))
grid = views.city_grid(rows, v.labels, lang, measure)
columns.table(grid, lang, fit=True, key="city_grid_table")
st.caption(t("city_grid_note", lang))
others = views.other_figures(rows)
if len(others):
    st.markdown(f"**{t('city_other_figures', lang)}**")
    st.caption(t("city_other_note", lang))
    columns.table(views.figures_view(others, v.labels, lang), lang, key="city_other_table")
everything = views.figures_view(rows, v.labels, lang)
downloads.table_downloads(columns.exportable(everything, lang),
                          chrome.attribution(v, t("city_table_title", lang, city=name), rows["release_id"],
                                             pres.rank_sources(rows), filtered=False),
                          f"{f.family}_{f.level}_{city}_profile", lang, key="city_table")

st.subheader(t("peers", lang))
for column, (key, peers) in zip(st.columns(3), views.peer_groups(ranking, city).items(), strict=True):
    with column:
        st.markdown(f"**{t(key, lang)}**")
        columns.short_table(views.peer_view(peers, lang), lang)
