"""City profile: one region on every indicator and edition, ranks within its province and the west, peers."""

import streamlit as st

from dashboard import charts, downloads, filters, tables
from dashboard import queries as q
from dashboard.i18n import localized, ordinal, t

f = filters.current()
lang = f.lang
st.title(t("city_title", lang))
ranking = q.ranking(f.family, f.period, f.indicator, f.level)
known = q.regions_with_data(f.family, f.level)
names = dict(zip(known["adcode"], localized(known, lang, "name_zh", "name_en"), strict=True))
if not names:
    st.warning(t("no_rows", lang))
    st.stop()
city = tables.profile_city(f.cities, ranking, list(names))


def _pick() -> None:
    st.session_state["cities"] = [st.session_state["city_pick"]]


st.selectbox(t("city_pick", lang), list(names), index=list(names).index(city), format_func=names.get,
             key="city_pick", on_change=_pick)
rows = q.region_rows(f.family, city, f.level)
if rows.empty:
    st.warning(t("city_none", lang))
    st.stop()
periods = tables.labelled_periods(f.family, lang)
name = names[city]
st.header(name)
latest = tables.headline_total(rows, f.period)
if latest is not None:
    key = "city_latest" if bool(latest["is_west"]) else "city_latest_nowest"
    st.markdown(t(key, lang, period=tables.period_label(f.family, latest["period"], lang),
                  rank=ordinal(latest["rank"], lang), province_rank=ordinal(latest["province_rank"], lang),
                  west_rank=ordinal(latest["west_rank"], lang)))
    st.caption(t("within_note", lang))

# The history chart follows the total and its sub-indices (a dense panel's sub-industries would bury them).
national = rows[(rows["scope"] == "national") & ~rows["is_restated"] & rows["rank"].notna()
                & rows["indicator_kind"].isin(["total", "sub_index"])]
if not national.empty:
    fig = charts.history_chart(national, periods, lang, t("city_history_title", lang, city=name))
    st.plotly_chart(fig, config=charts.PLOTLY_CONFIG, key="city_history")
    st.caption(fig.layout.meta["alt"])
    downloads.figure_downloads(fig, f"{f.family}_{f.level}_{city}_history", lang, key="city_history")

st.subheader(t("city_table", lang))
view = tables.city_view(rows, periods, lang)
st.dataframe(view, hide_index=True, width="stretch", column_config=tables.city_columns(lang))
downloads.table_downloads(view, tables.about(f, lang, name), f"{f.family}_{f.level}_{city}_profile", lang,
                          key="city_table")

st.subheader(t("peers", lang))
for column, (key, peers) in zip(st.columns(3), tables.peer_groups(ranking, city).items(), strict=True):
    with column:
        st.markdown(f"**{t(key, lang)}**")
        st.dataframe(tables.peer_view(peers, lang), hide_index=True, width="stretch",
                     column_config=tables.peer_columns(lang))
