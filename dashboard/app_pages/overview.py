"""Overview (landing): the leader, biggest climber and faller, the western leader, generated stories."""

import streamlit as st

from dashboard import charts, downloads, filters, stories, tables
from dashboard import queries as q
from dashboard.i18n import localized, ordinal, t

f = filters.current()
lang = f.lang
meta = tables.ranking_meta(f)
ranking = q.ranking(f.family, f.period, f.indicator, f.level, f.region, f.province, f.cities)
changes = q.period_changes(f.family, f.period, f.indicator, f.level, f.region, f.province, f.cities)
previous = tables.previous_period(f.family, f.period)

st.title(t("app_title", lang))
st.caption(t("overview_intro", lang))
st.subheader(t("overview_title", lang, indicator=meta["indicator_name"], period=meta["period_label"]))

cards = stories.headlines(ranking, changes)
since = t("card_delta_since", lang, period=tables.period_label(f.family, previous, lang)) if previous else None
for column, key in zip(st.columns(4), ("leader", "climber", "faller", "west"), strict=True):
    row = cards[key]
    with column:
        if row is None:
            st.metric(t(f"card_{key}", lang), t("card_none", lang))
            continue
        name = localized(row.to_frame().T, lang, "region_short_zh", "region_en").iloc[0]
        change = row.get("rank_change")
        same = not tables.is_missing(change) and change == 0
        delta = None if tables.is_missing(change) else (t("delta_same", lang) if same else f"{int(change):+d}")
        st.metric(f"{t(f'card_{key}', lang)} · {ordinal(row['rank'], lang)}", name, delta=delta,
                  delta_color="off" if same else "normal", delta_arrow="off" if same else "auto", help=since)

st.subheader(t("stories", lang))
lines = stories.stories(ranking, changes, lang, meta["indicator_name"], meta["period_label"])
st.markdown("\n".join(f"- {line}" for line in lines) if lines else t("no_rows", lang))
if previous is None:
    st.caption(t("no_previous", lang))
elif len(changes) and changes["framework_changed"].fillna(False).any():
    st.info(t("framework_note", lang, period=meta["period_label"]), icon=":material/change_circle:")

if not ranking.empty:
    fig = charts.ranking_bar(ranking.head(10), lang, meta["chart_title"], meta["chart_subtitle"])
    st.plotly_chart(fig, config=charts.PLOTLY_CONFIG, key="overview_bar")
    st.caption(fig.layout.meta["alt"])
    downloads.figure_downloads(fig, tables.base_name(f, "top10"), lang, key="overview_bar")
