"""The shared filter bar (sidebar) and its two-way binding to the URL's query parameters."""

from __future__ import annotations

import contextlib

import streamlit as st

from dashboard import context, controls
from dashboard import queries as q
from dashboard.i18n import LANGS, localized, t
from dashboard.state import PARAMS, REGION_CHOICES, Filters, clean, pick, split_cities

LANG_LABELS = {"zh": "中文", "en": "English"}
STATE_KEY = "_view"


def _seed_from_url() -> None:
    """On a session's first run, copy the URL's parameters into widget state (validated later)."""
    if st.session_state.get("_seeded"):
        return
    for name in PARAMS:
        value = clean(st.query_params.get(name))
        if value is not None:
            st.session_state[f"url_{name}"] = value
    st.session_state["_seeded"] = True


def _choose(key: str, options: list[str], default: str | None) -> None:
    """Put a valid value into the widget's state before it renders: the URL's, the current one, or a default."""
    wanted = st.session_state.pop(f"url_{key}", None)
    current = st.session_state.get(key)
    st.session_state[key] = pick(wanted, options, None) or pick(current, options, None) or default


def pin_warehouse() -> None:
    """Every query of this run reads the same warehouse file, even if the ETL publishes a new one meanwhile."""
    with contextlib.suppress(q.WarehouseMissing):  # the sidebar explains how to build it
        q.pin()


def current_lang() -> str:
    _seed_from_url()
    _choose("lang", list(LANGS), "zh")
    return st.session_state["lang"]


def sidebar() -> Filters | None:
    """Render the shared controls; returns the filters, or None when there is no data yet."""
    lang = current_lang()
    bar = st.sidebar
    bar.segmented_control(t("language", lang), list(LANGS), key="lang", format_func=LANG_LABELS.get,
                          required=True)
    lang = st.session_state["lang"]
    try:
        fams = q.families()
    except q.WarehouseMissing:
        st.error(t("no_warehouse", lang))
        return None
    if fams.empty:
        st.warning(t("no_data", lang))
        return None
    fam_names = dict(zip(fams["family"], localized(fams, lang, "name_zh", "name_en"), strict=True))
    _choose("family", list(fams["family"]), fams["family"].iloc[0])
    family = controls.choice(t("family", lang), list(fams["family"]), "family", format_func=fam_names.get,
                             kind="select", container=bar)

    levels = q.levels(family)
    _choose("level", levels, "city" if "city" in levels else levels[0])
    level = controls.choice(t("level", lang), levels, "level", format_func=lambda v: t(f"level_{v}", lang),
                            container=bar)

    periods = context.label_periods(q.periods(family), lang)
    options = list(periods["period"])
    _choose("edition", options, options[-1])
    labels = dict(zip(periods["period"], periods["label"], strict=True))
    period = controls.choice(t("edition", lang), options, "edition", format_func=labels.get, kind="select",
                             container=bar)

    inds = q.indicators(family, period, level)
    if inds.empty:
        inds = q.indicators(family, None, level)
    ind_names = dict(zip(inds["indicator"], localized(inds, lang, "name_zh", "name_en"), strict=True))
    ind_options = list(inds["indicator"])
    totals = inds.loc[inds["kind"] == "total", "indicator"]
    _choose("indicator", ind_options, totals.iloc[0] if len(totals) else ind_options[0])
    indicator = controls.choice(t("indicator", lang), ind_options, "indicator", format_func=ind_names.get,
                                kind="select", container=bar)

    _choose("region", list(REGION_CHOICES), "all")
    region = bar.segmented_control(t("region", lang), list(REGION_CHOICES), key="region", required=True,
                                   format_func=lambda v: t(f"region_{v}", lang))

    regs = q.regions(level)
    provinces = q.regions("province")
    if region != "all":
        provinces = provinces[provinces["economic_region"] == region]
    prov_names = dict(zip(provinces["adcode"], localized(provinces, lang, "name_zh", "name_en"), strict=True))
    url_province = st.session_state.get("url_province")
    if url_province and url_province not in prov_names:
        resolved = q.resolve_names([url_province], "province")
        st.session_state["url_province"] = resolved[0] if resolved else None
    _choose("province", ["", *list(prov_names)], "")
    province = bar.selectbox(t("province", lang), ["", *list(prov_names)], key="province",
                             format_func=lambda v: prov_names.get(v, t("all_provinces", lang))) or None

    city_names = dict(zip(regs["adcode"], localized(regs, lang, "short_zh", "name_en"), strict=True))
    url_cities = st.session_state.pop("url_cities", None)
    if url_cities is not None:
        st.session_state["cities"] = q.resolve_names(split_cities(url_cities), level)
    st.session_state["cities"] = [c for c in st.session_state.get("cities", []) if c in city_names]
    cities = bar.multiselect(t("cities", lang), list(city_names), key="cities", format_func=city_names.get,
                             placeholder=t("cities_placeholder", lang), max_selections=30)

    filters = Filters(family, period, indicator, level, region, province, tuple(cities), lang)
    view = context.View(filters, fams[fams["family"] == family].iloc[0], periods, inds)
    st.session_state[STATE_KEY] = view
    _write_url(filters, regs)
    _how_to_read(view, bar)
    return filters


def _how_to_read(view: context.View, container) -> None:
    """'How to read this' for the chosen family, from every page: the marks its data carry, its methodology."""
    with container.popover(t("how_to_read", view.lang), icon=":material/help:", width="stretch"):
        st.markdown("\n".join(f"- {line}" for line in view.help_topics))
        if view.methodology:
            st.markdown(f"**{t('methodology', view.lang)}** · {view.family_name}")
            st.caption(view.methodology)


def _write_url(filters: Filters, regs) -> None:
    short = dict(zip(regs["adcode"], regs["short_zh"], strict=True))
    params = filters.to_params(lambda codes: [short.get(c, c) for c in codes])
    for name in PARAMS:
        if name in params:
            if st.query_params.get(name) != params[name]:
                st.query_params[name] = params[name]
        elif name in st.query_params:
            del st.query_params[name]


def current() -> context.View:
    """The view chosen in the sidebar during this run (pages call this)."""
    return st.session_state[STATE_KEY]
