"""What every page shows around its charts: the title, the family's caveats, and the attribution of downloads."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from urllib.parse import urlencode, urlsplit, urlunsplit

import pandas as pd
import streamlit as st

from dashboard import charts, downloads, exports, urlstate
from dashboard import queries as q
from dashboard.context import View
from dashboard.i18n import t

PAGE_PATH_KEY = "_page_path"


class PageDone(Exception):
    """A page has said all it has to say (no data for these filters, …)."""


def stop() -> None:
    """End the page here. Unlike st.stop(), the run goes on to write the URL of what the page showed."""
    raise PageDone


# A frame has no sidebar (no opener) and a one-line title (still the page's h1, for screen readers)
EMBEDDED_CSS = ("<style>[data-testid='stExpandSidebarButton']{display:none}"
                "[data-testid='stMain'] h1{font-size:1.15rem;padding:0 0 .25rem 0}</style>")


def is_embedded() -> bool:
    """Framed in another site (Streamlit's embed=true): the chart is the point, the app's chrome is not."""
    return bool(st.context.is_embedded)  # st.query_params never holds Streamlit's embed flags


def header(view: View, title: str, caption: str | None = None) -> None:
    """The page title, what it shows, a Share control (filled in at the end of the run), links that fell back to
    another view, and the notes of this family (from its catalogue: never another's). Embedded: one line of
    title, the notes as small print, no Share and no sidebar opener, so the chart is in the first screen."""
    embedded = is_embedded()
    if embedded:
        st.html(EMBEDDED_CSS)
        st.title(title, anchor=False)
        if caption:
            st.caption(caption)
    else:
        st.title(title)
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            if caption:
                st.caption(caption, width="stretch")
            _RUN.share = st.empty()
    _RUN.notes = st.container()  # filled at the end of the run: the page's own controls add notes too
    for note in view.caveats:
        if embedded:
            st.caption(note)
        else:
            st.info(note, icon=":material/info:")


PLAY_KEY, STEP_KEY, PLAY_SECONDS = "_playing", "_last_step", 2.0


def _step_period(periods: list[str]) -> None:
    """The play button's tick: the next period (the sidebar's period widget follows); stop after the last.
    The fragment also runs within every full run: only a run PLAY_SECONDS after the last step moves on."""
    now = time.monotonic()
    if now - st.session_state.get(STEP_KEY, 0.0) < PLAY_SECONDS * 0.8:
        return
    st.session_state[STEP_KEY] = now
    current = st.session_state.get("period")
    i = periods.index(current) if current in periods else -1
    if i + 1 >= len(periods):
        st.session_state[PLAY_KEY] = False
        return
    st.session_state["period"] = periods[i + 1]
    if i + 2 >= len(periods):
        st.session_state[PLAY_KEY] = False
    st.rerun()


def _set_period() -> None:
    st.session_state["period"] = st.session_state["timeline"]


def _toggle_play(periods: list[str]) -> None:
    playing = not st.session_state.get(PLAY_KEY, False)
    st.session_state[PLAY_KEY] = playing
    st.session_state[STEP_KEY] = time.monotonic()  # the first step comes one interval after the click
    if playing and st.session_state.get("period") == periods[-1]:
        st.session_state["period"] = periods[0]  # play from the start once at the end


def timeline(view: View) -> None:
    """A slider over the family's periods with a play button that steps through them (the map and the rankings):
    each step is a period of the sidebar, so the URL keeps it; a step every PLAY_SECONDS while playing."""
    periods = list(view.periods["period"])
    if len(periods) < 2 or is_embedded():  # a framed view shows one period: the link's
        return
    playing = bool(st.session_state.get(PLAY_KEY))
    st.session_state["timeline"] = view.filters.period
    with st.container(horizontal=True, vertical_alignment="bottom", gap="medium"):
        st.select_slider(t("timeline", view.lang), periods, key="timeline", format_func=view.labels.get,
                         on_change=_set_period, width="stretch")
        st.button(t("pause" if playing else "play", view.lang), key="play", on_click=_toggle_play, args=(periods,),
                  icon=":material/pause:" if playing else ":material/play_arrow:", width="content")
    if playing:
        st.fragment(_step_period, run_every=PLAY_SECONDS)(periods)


def is_phone() -> bool:
    """Narrow screens get compact charts (the server only knows the browser's user agent)."""
    return "Mobi" in (st.context.headers.get("User-Agent") or "")


def _pick_from_chart(key: str) -> None:
    """Clicking regions on a chart adds them to the chosen cities (their adcodes ride in the points' customdata)."""
    event = st.session_state.get(key)
    points = (event or {}).get("selection", {}).get("points", [])
    picked = [p["customdata"][0] if isinstance(p.get("customdata"), list) else p.get("customdata") for p in points]
    known = [c for c in picked if isinstance(c, str) and c.isdigit()]
    if known:
        st.session_state["cities"] = list(dict.fromkeys([*st.session_state.get("cities", []), *known]))[:30]


def chart(view: View, fig, key: str, base: str, attribution: exports.Attribution, notes: Iterable[str] = (),
          selectable: bool = False, **options) -> None:
    """A chart as every page shows it: the figure (no toolbar on a phone: it would cover the chart), its one-line
    description, notes on reading it, its sources, and PNG/SVG downloads that carry those sources. A selectable
    chart adds the regions clicked on it to the chosen cities."""
    config = {**charts.PLOTLY_CONFIG, "displayModeBar": not is_phone()}
    if selectable:
        options.update(on_select=lambda: _pick_from_chart(key), selection_mode="points")
    st.plotly_chart(fig, config=config, key=key, **options)
    st.caption(fig.layout.meta["alt"])
    for note in notes:
        st.caption(note)
    downloads.figure_downloads(fig, base, view.lang, key=key, attribution=attribution)


class ViewLink:
    """This view as a link: the app's address, the page, and the parameters the controls registered. Completed at
    the end of the run (`finish_run`), so controls further down the page are in it too; downloads read it when
    they are clicked."""

    def __init__(self) -> None:
        parts = urlsplit(st.context.url or "")
        path = "/" + st.session_state.get(PAGE_PATH_KEY, "").lstrip("/")
        self.base = urlunsplit((parts.scheme or "http", parts.netloc or "localhost:8501", path, "", ""))
        self.query = ""

    def __str__(self) -> str:
        return self.base + (f"?{self.query}" if self.query else "")


_RUN = threading.local()  # Streamlit runs each session's script in a thread of its own


def begin_run() -> None:
    _RUN.link, _RUN.share, _RUN.notes = ViewLink(), None, None


def view_link() -> ViewLink:
    if getattr(_RUN, "link", None) is None:
        begin_run()
    return _RUN.link


def finish_run() -> None:
    """Complete the view's link, fill the page's Share control with it and say which of the link's values fell
    back (the sidebar's and the page's own controls)."""
    link = view_link()
    link.query = urlencode(urlstate.params())
    slot, lang = getattr(_RUN, "share", None), st.session_state.get("lang", "zh")
    notes = getattr(_RUN, "notes", None)
    if notes is not None:
        for name, wanted in urlstate.notes():
            notes.caption(t("url_fallback", lang, name=name, value=wanted))
    if slot is not None:
        with slot.popover(t("share", lang), icon=":material/share:"):
            st.caption(t("share_link", lang))
            st.code(str(link), language=None, wrap_lines=True)
            st.caption(t("share_embed", lang))
            st.code(embed_snippet(str(link)), language="html", wrap_lines=True)


def embed_snippet(url: str) -> str:
    """An <iframe> showing the view without the app's chrome (Streamlit's embed=true hides sidebar and toolbar)."""
    joined = url + ("&" if "?" in url else "?") + "embed=true"
    return f'<iframe src="{joined}" width="640" height="480" style="border:0" loading="lazy"></iframe>'


def applied_filters(view: View, region_names: dict[str, str] | None = None) -> tuple[tuple[str, str], ...]:
    """The filters a table actually applied (only those set), for its metadata."""
    f, lang = view.filters, view.lang
    out = []
    if f.region != "all":
        out.append((t("region", lang), t(f"region_{f.region}", lang)))
    if f.province:
        out.append((t("province", lang), f.province))
    if f.cities:
        out.append((t("cities", lang), ", ".join((region_names or {}).get(c, c) for c in f.cities)))
    return tuple(out)


def attribution(view: View, title: str, releases: Iterable[str] | pd.Series, rank_source: Iterable[object] = (),
                filtered: bool = True) -> exports.Attribution:
    """The attribution of a download holding rows of `releases`: their provenance only, the filters applied."""
    wanted = set(pd.Series(list(releases), dtype=object).dropna())
    rel = q.releases()
    rows = rel[rel["release_id"].isin(wanted)].to_dict("records")
    return exports.Attribution(
        title=title, lang=view.lang, releases=tuple(rows), ranks=exports.Attribution.ranks_of(list(rank_source)),
        url=view_link(), filters=applied_filters(view) if filtered else (), notes=tuple(view.caveats))
