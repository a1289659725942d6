"""Controls that say what they are and write the URL: a choice with one option is a line of text, not a widget
that looks broken; a choice with a URL parameter takes its value from the link and registers what it shows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from dashboard import urlstate
from dashboard.i18n import t


def choice(label: str, options: Sequence[Any], key: str, *, default: Any = None,
           format_func: Callable[[Any], str] = str, kind: str = "segmented", container: Any = None,
           url: str | None = None, always: bool = False, **widget: Any) -> Any:
    """A segmented control or select box for 2+ options; for one option, its label and value as plain text.

    The value lives in `st.session_state[key]`. With `url`, the link's value is taken on the session's first
    run and the value shown is written back (left out while it is the default, unless `always`).
    """
    box = container or st
    options = list(options)
    default = default if default in options else (options[0] if options else None)
    value = urlstate.choose(key, options, default, url)
    if url:
        urlstate.register(url, None if value is None or (value == default and not always) else str(value))
    if len(options) == 1:
        box.caption(t("single_choice", st.session_state.get("lang", "zh"), label=label,
                      value=format_func(options[0])))
        return options[0]
    if kind == "select":
        return box.selectbox(label, options, key=key, format_func=format_func, **widget)
    return box.segmented_control(label, options, key=key, format_func=format_func, required=True, **widget)
