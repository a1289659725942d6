"""Map: one indicator and period on a map of China, coloured by rank or value; unpublished regions grey."""

import streamlit as st

from dashboard import charts, downloads, filters, maps, tables
from dashboard import queries as q
from dashboard.i18n import t

PHONE_HEIGHT = 460  # a phone-wide map of China is ~270 px tall: less empty space above and below it

f = filters.current()
lang = f.lang
st.title(t("map_page", lang))
if f.level not in maps.MAPPED_LEVELS:
    st.info(t("map_level_unavailable", lang), icon=":material/info:")
    st.stop()
data = q.map_values(f.family, f.period, f.indicator, f.level)
meta = tables.ranking_meta(f)

options = ["rank", "value"] if data["value"].notna().any() else ["rank"]
if st.session_state.get("map_color_by") not in options:
    st.session_state["map_color_by"] = "rank"
with st.container(horizontal=True, vertical_alignment="bottom", gap="medium"):
    color_by = st.segmented_control(t("map_color_by", lang), options, key="map_color_by", required=True,
                                    format_func=lambda v: t(f"map_by_{v}", lang), width="content")
    if data["published"].any() and options == ["rank"]:
        st.caption(t("map_ranks_only", lang), width="content")
if not data["published"].any():
    st.warning(t("map_no_data", lang))

try:
    fig = maps.choropleth(data, f.level, lang, color_by, f.region, meta["title"])
except maps.GeoMissing:
    st.error(t("map_no_geo", lang))
    st.stop()
phone = "Mobi" in (st.context.headers.get("User-Agent") or "")
st.plotly_chart(fig, config=charts.PLOTLY_CONFIG, key="map_chart", alt=fig.layout.meta["alt"],
                height=PHONE_HEIGHT if phone else "content")
st.caption(fig.layout.meta["alt"])
missing = maps.unmapped_names(data, f.level, lang)
if missing:
    st.caption(t("map_unmapped", lang, names=("、" if lang == "zh" else ", ").join(missing)))
if tables.rebased(f.family):
    st.info(t("rebased_note", lang), icon=":material/info:")

base = tables.base_name(f, "map")
downloads.figure_downloads(fig, base, lang, key="map")
downloads.table_downloads(maps.map_table(data, f.level, lang), tables.about(f, lang, meta["title"]), base, lang,
                          key="map_table")
