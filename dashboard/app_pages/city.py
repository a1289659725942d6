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
    key = "city_latest" if bool(latest["is_west"]) else "city_latest_nowest"
    st.markdown(t(key, lang, period=v.period_label(latest["period"]),
                  rank=pres.rank_text(latest["rank"], None, lang, "ordinal"),
                  province_rank=pres.rank_text(latest["province_rank"], None, lang, "ordinal"),
                  west_rank=pres.rank_text(latest["west_rank"], None, lang, "ordinal")))
    st.caption(t("within_note", lang))

# The history follows the total and its sub-indices (a dense panel's sub-industries would bury them). One chart
# and one grid, showing ranks or (where they compare) values: a page switch draws one chart, not two.
own = views.own_figures(rows)
main = own[own["indicator_kind"].isin(["total", "sub_index"])]
measures = ["rank", "value"] if pres.values_comparable(v.family, main) else ["rank"]
measure = controls.choice(t("city_grid_show", lang), measures, "city_show", url="show",
                          format_func=lambda m: t(f"view_{m}", lang))
lines = main.dropna(subset=[measure])
if not lines.empty:
    title = t("city_history_title" if measure == "rank" else "city_values_title", lang, city=name)
    fig = charts.history_chart(lines, v.periods, lang, title, measure,
                               q.ranking_periods(f.family, f.level) if measure == "rank" else None,
                               latest["period"] if latest is not None else f.period, chrome.is_phone())
    chrome.chart(v, fig, "city_history", f"{f.family}_{f.level}_{city}_{measure}_history",
                 chrome.attribution(v, title, lines["release_id"], pres.rank_sources(lines), filtered=False))

st.subheader(t("city_table", lang))
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
