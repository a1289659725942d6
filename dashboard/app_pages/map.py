"""Map: one indicator and period on a map of China, coloured by rank or value; unpublished regions grey.
A sparse city ranking (top-N lists) is drawn as numbered markers with the list beside the map."""

import streamlit as st

from dashboard import chrome, columns, controls, downloads, filters, maps, urlstate, views
from dashboard import presentation as pres
from dashboard import queries as q
from dashboard.i18n import t

PHONE_HEIGHT = 460  # a phone-wide map of China is ~270 px tall: less empty space above and below it

v = filters.current()
f, lang = v.filters, v.lang
chrome.header(v, t("map_page", lang))
chrome.timeline(v)
if f.level not in maps.MAPPED_LEVELS:
    st.info(t("map_level_unavailable", lang), icon=":material/info:")
    chrome.stop()
data = q.map_values(f.family, f.period, f.indicator, f.level)

markers = maps.use_markers(data, f.level)  # a sparse city ranking: numbered markers, no colour scale to choose
options = ["rank", "value"] if data["value"].notna().any() else ["rank"]
if markers:
    urlstate.fixed("color", "rank")
color_by = "rank" if markers else controls.choice(t("map_color_by", lang), options, "map_color_by", url="color",
                                                  format_func=lambda m: t(f"map_by_{m}", lang))
if data["published"].any() and options == ["rank"] and not markers:
    st.caption(t("map_ranks_only", lang))
if not data["published"].any():
    st.warning(t("map_no_data", lang))

try:
    fig = maps.choropleth(data, f.level, lang, color_by, f.region, v.title, size=v.ranking_size(),
                          total=v.coverage(), mode="markers" if markers else "areas", chosen=f.cities)
except maps.GeoMissing:
    st.error(t("map_no_geo", lang))
    chrome.stop()
phone = chrome.is_phone()
listed = views.placed(data[data["published"]]) if markers else None
slots = st.columns([3, 1]) if listed is not None and not phone else [st.container(), st.container()]
source = chrome.attribution(v, v.title, data.loc[data["published"], "release_id"], pres.rank_sources(data),
                            filtered=False)
base = v.base_name("map")
with slots[0]:
    chrome.chart(v, fig, "map_chart", base, source, alt=fig.layout.meta["alt"],
                 height=PHONE_HEIGHT if phone else "content")
if listed is not None:
    with slots[1]:
        st.markdown(f"**{t('map_list', lang)}**")
        columns.short_table(views.map_list(listed, lang), lang)
missing = maps.unmapped_names(data, f.level, lang)
if missing:
    st.caption(t("map_unmapped", lang, names=("、" if lang == "zh" else ", ").join(missing)))

downloads.table_downloads(columns.exportable(maps.map_table(data, f.level, lang), lang), source, base, lang,
                          key="map_table")
