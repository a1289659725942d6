"""The shared filter bar (sidebar): family, level, period, indicator, region, province, cities, language.

Each control takes its value from the URL on a session's first run and registers what it shows, so the URL
always describes the view (dashboard.urlstate).
"""

from __future__ import annotations

import contextlib

import pandas as pd
import streamlit as st

from dashboard import context, controls, urlstate
from dashboard import queries as q
from dashboard.i18n import LANGS, localized, t
from dashboard.state import REGION_CHOICES, Filters, split_cities

LANG_LABELS = {"zh": "中文", "en": "English"}
STATE_KEY = "_view"
SORT_KEY = "cities_by_rank"


def pin_warehouse() -> None:
    """Every query of this run reads the same warehouse file, even if the ETL publishes a new one meanwhile."""
    with contextlib.suppress(q.WarehouseMissing):  # the sidebar explains how to build it
        q.pin()


def current_lang() -> str:
    """Called first in a run: sets the URL aside (first run), starts this run's URL record, picks the language."""
    urlstate.seed()
    urlstate.start_run()
    return urlstate.choose("lang", list(LANGS), "zh")


def _cities(level: str, regs: pd.DataFrame) -> list[str]:
    """The chosen cities: from the URL (names or adcodes, any spelling), else as the widget holds them."""
    wanted = urlstate.take("cities")
    if wanted is not None:
        names = split_cities(wanted)
        st.session_state["cities"] = q.resolve_names(names, level)
        unknown = [n for n in names if not q.resolve_names([n], level)]  # another level's, or no such place
        if unknown:
            urlstate.note("cities", ",".join(unknown))
    known = set(regs["adcode"])
    st.session_state["cities"] = [c for c in st.session_state.get("cities", []) if c in known]
    return st.session_state["cities"]


def _city_options(regs: pd.DataFrame, family: str, period: str, indicator: str, level: str) -> list[str]:
    """Every region of the level; by the current indicator's rank when the reader asks (ranked ones first)."""
    if not st.session_state.get(SORT_KEY):
        return list(regs["adcode"])
    ranked = q.ranking(family, period, indicator, level)
    order = {a: i for i, a in enumerate(ranked["adcode"])}
    return sorted(regs["adcode"], key=lambda a: (order.get(a, len(order)), a))


def sidebar() -> Filters | None:
    """Render the shared controls (after `current_lang`); returns the filters, or None when there is no data yet."""
    lang = st.session_state["lang"]
    bar = st.sidebar
    bar.segmented_control(t("language", lang), list(LANGS), key="lang", format_func=LANG_LABELS.get,
                          required=True)
    lang = st.session_state["lang"]
    urlstate.register("lang", lang if lang != "zh" else None)
    try:
        fams = q.families()
    except q.WarehouseMissing:
        st.error(t("no_warehouse", lang))
        return None
    if fams.empty:
        st.warning(t("no_data", lang))
        return None
    fam_names = dict(zip(fams["family"], localized(fams, lang, "name_zh", "name_en"), strict=True))
    family = controls.choice(t("family", lang), list(fams["family"]), "family", format_func=fam_names.get,
                             kind="select", container=bar, url="family", always=True)

    levels = q.levels(family)
    level = controls.choice(t("level", lang), levels, "level", default="city",
                            format_func=lambda v: t(f"level_{v}", lang), container=bar, url="level")

    periods = context.label_periods(q.periods(family), lang)
    options = list(periods["period"])
    labels = dict(zip(periods["period"], periods["label"], strict=True))
    period = controls.choice(t("edition", lang), options, "period", default=options[-1], format_func=labels.get,
                             kind="select", container=bar, url="period", always=True)

    inds = q.indicators(family, period, level)
    if inds.empty:
        inds = q.indicators(family, None, level)
    ind_names = dict(zip(inds["indicator"], localized(inds, lang, "name_zh", "name_en"), strict=True))
    totals = inds.loc[inds["kind"] == "total", "indicator"]
    indicator = controls.choice(t("indicator", lang), list(inds["indicator"]), "indicator",
                                default=totals.iloc[0] if len(totals) else None, format_func=ind_names.get,
                                kind="select", container=bar, url="indicator", always=True)

    region = controls.choice(t("region", lang), list(REGION_CHOICES), "region", default="all",
                             format_func=lambda v: t(f"region_{v}", lang), container=bar, url="region")

    provinces = q.regions("province")
    if region != "all":
        provinces = provinces[provinces["economic_region"] == region]
    prov_names = dict(zip(provinces["adcode"], localized(provinces, lang, "name_zh", "name_en"), strict=True))
    wanted = urlstate.take("province")
    if wanted is not None:  # a name or an adcode; another region group's province falls back with a note
        resolved = q.resolve_names([wanted], "province")
        if resolved and resolved[0] in prov_names:
            st.session_state["province"] = resolved[0]
        else:
            urlstate.note("province", wanted)
    province = controls.choice(t("province", lang), ["", *prov_names], "province", default="",
                               format_func=lambda v: prov_names.get(v, t("all_provinces", lang)), kind="select",
                               container=bar, url="province") or None

    regs = q.regions(level)
    names = dict(zip(regs["adcode"], localized(regs, lang, "short_zh", "name_en"), strict=True))
    _cities(level, regs)
    cities = bar.multiselect(t("cities", lang), _city_options(regs, family, period, indicator, level), key="cities",
                             format_func=names.get, placeholder=t("cities_placeholder", lang), max_selections=30)
    bar.toggle(t("cities_by_rank", lang), key=SORT_KEY, help=t("cities_by_rank_help", lang))
    short = dict(zip(regs["adcode"], regs["short_zh"], strict=True))
    urlstate.register("cities", ",".join(short.get(c, c) for c in cities) if cities else None)

    filters = Filters(family, period, indicator, level, region, province, tuple(cities), lang)
    view = context.View(filters, fams[fams["family"] == family].iloc[0], periods, inds)
    st.session_state[STATE_KEY] = view
    _how_to_read(view, bar)
    return filters


def _how_to_read(view: context.View, container) -> None:
    """'How to read this' for the chosen family, from every page: the marks its data carry, its methodology."""
    with container.popover(t("how_to_read", view.lang), icon=":material/help:", width="stretch"):
        st.markdown("\n".join(f"- {line}" for line in view.help_topics))
        if view.methodology:
            st.markdown(f"**{t('methodology', view.lang)}** · {view.family_name}")
            st.caption(view.methodology)


def current() -> context.View:
    """The view chosen in the sidebar during this run (pages call this)."""
    return st.session_state[STATE_KEY]
