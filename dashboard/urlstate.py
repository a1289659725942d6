"""The URL is the view's state: every control reads its parameter once per session and writes it back each run.

A session's first run copies the URL's known parameters aside (`seed`); each control then takes its own
(`choose`): a valid value selects that option, an invalid one falls back to the default with a visible note.
Controls register what they show (`register`); at the end of the run `sync` writes exactly those parameters,
so a page's parameters leave the URL when the reader moves to another page, and a copied link reopens the
same view. Old links keep working: `edition` is read as `period`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from dashboard.state import ALIASES, PARAMS, clean

SEED_KEY, RUN_KEY, NOTES_KEY = "_url_seed", "_url_run", "_url_notes"
KEEP = {"embed", "embed_options"}  # Streamlit's own: how the app is framed, never ours to drop


def seed() -> None:
    """On a session's first run, set the URL's known parameters aside for the controls to take."""
    if SEED_KEY in st.session_state:
        return
    seeds: dict[str, str] = {}
    for raw in st.query_params:
        name = ALIASES.get(raw, raw)
        value = clean(st.query_params.get(raw))
        if name in PARAMS and value is not None and (name not in seeds or raw == name):
            seeds[name] = value
    st.session_state[SEED_KEY] = seeds


def start_run() -> None:
    st.session_state[RUN_KEY] = {}
    st.session_state[NOTES_KEY] = []


def take(name: str) -> str | None:
    """The URL's value for `name`, once per session (later runs follow the widgets)."""
    return st.session_state.get(SEED_KEY, {}).pop(name, None)


def choose(key: str, options: Sequence[Any], default: Any, url: str | None = None,
           to_text: Callable[[Any], str] = str) -> Any:
    """Put a valid value into a widget's state before it renders: the URL's, else the current, else the default.
    A URL value that is not an option falls back with a note the page shows (never an error)."""
    options = list(options)
    wanted = take(url or key)
    by_text = {to_text(o): o for o in options}
    if wanted is not None:
        if wanted in by_text:
            st.session_state[key] = by_text[wanted]
        else:
            note(url or key, wanted)
    if st.session_state.get(key) not in options:
        st.session_state[key] = default if default in options else (options[0] if options else None)
    return st.session_state[key]


def fixed(url: str, value: str) -> None:
    """A parameter this view shows no control for (one way only): a link asking for another value gets a note."""
    wanted = take(url)
    if wanted is not None and wanted != value:
        note(url, wanted)


def note(name: str, wanted: str) -> None:
    st.session_state.setdefault(NOTES_KEY, []).append((name, wanted))


def notes() -> list[tuple[str, str]]:
    return list(st.session_state.get(NOTES_KEY, []))


def register(name: str, value: str | None) -> None:
    """This run's view has `name` = value (None: the default, left out of the link)."""
    st.session_state.setdefault(RUN_KEY, {})[name] = value


def params() -> dict[str, str]:
    """The parameters of this run's view, in a stable order."""
    run = st.session_state.get(RUN_KEY, {})
    return {k: v for k, v in sorted(run.items(), key=lambda kv: _order(kv[0])) if v is not None}


def _order(name: str) -> tuple[int, str]:
    return (PARAMS.index(name) if name in PARAMS else len(PARAMS), name)


def sync() -> None:
    """Write this run's parameters to the URL and drop every other one (Streamlit's embed flags stay)."""
    wanted = params()
    for name in list(st.query_params):
        if name not in wanted and name not in KEEP:
            del st.query_params[name]
    for name, value in wanted.items():
        if st.query_params.get(name) != value:
            st.query_params[name] = value
