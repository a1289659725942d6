"""Overview (landing): the leader, biggest climber and faller, the western leader, generated stories."""

import streamlit as st

from dashboard import charts, chrome, filters, stories, views
from dashboard import presentation as pres
from dashboard import queries as q
from dashboard.i18n import localized, t

v = filters.current()
f, lang = v.filters, v.lang
ranking = q.ranking(f.family, f.period, f.indicator, f.level, f.region, f.province, f.cities)
changes = q.period_changes(f.family, f.period, f.indicator, f.level, f.region, f.province, f.cities)
previous = v.previous_period

chrome.header(v, t("app_title", lang), t("overview_intro", lang))
st.subheader(t("overview_title", lang, indicator=v.indicator_name(), period=v.period_label()))

cards = stories.headlines(ranking, changes)
since = t("card_delta_since", lang, period=v.period_label(previous)) if previous else None
for column, key in zip(st.columns(4), ("leader", "climber", "faller", "west"), strict=True):
    row = cards[key]
    with column:
        if row is None:
            st.metric(t(f"card_{key}", lang), t("card_none", lang))
            continue
        name = localized(row.to_frame().T, lang, "region_short_zh", "region_en").iloc[0]
        change = row.get("rank_change")
        same = not pres.missing(change) and change == 0
        delta = None if pres.missing(change) else (t("delta_same", lang) if same else f"{int(change):+d}")
        st.metric(f"{t(f'card_{key}', lang)} · {pres.rank_text(row['rank'], None, lang, 'ordinal')}", name,
                  delta=delta, delta_color="off" if same else "normal", delta_arrow="off" if same else "auto",
                  help=since)

st.subheader(t("stories", lang))
subs = q.subindicator_ranks(f.family, f.period, f.level, v.ranked_kinds(), f.region, f.province, f.cities)
lines = stories.stories(ranking, changes, lang, v.indicator_name(), v.period_label())
catalogue = q.indicators(f.family, None, f.level)["kind"].value_counts().to_dict()
lines += stories.all_round_stories(subs, lang, v.period_label(), catalogue, f.family)
st.markdown("\n".join(f"- {line}" for line in lines) if lines else t("no_rows", lang))
if previous is None:
    st.caption(t("no_previous", lang))
elif len(changes) and changes["framework_changed"].fillna(False).any():
    st.info(t("framework_note", lang, period=v.period_label()), icon=":material/change_circle:")

top = views.placed(ranking).head(10)
if not top.empty:
    fig = charts.ranking_chart(top, lang, v.indicator_name(), v.chart_subtitle, f.cities)
    chrome.chart(v, fig, "overview_bar", v.base_name("top10"),
                 chrome.attribution(v, v.title, top["release_id"], pres.rank_sources(top)), selectable=True)
