"""Controls that say what they are: a choice with one option is a line of text, not a widget that looks broken."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from dashboard.i18n import t


def choice(label: str, options: Sequence[Any], key: str, *, default: Any = None,
           format_func: Callable[[Any], str] = str, kind: str = "segmented", container: Any = None,
           **widget: Any) -> Any:
    """A segmented control or select box for 2+ options; for one option, its label and value as plain text.

    The widget's state lives under `key` (pages and the URL binding read it there), in both cases.
    """
    box = container or st
    options = list(options)
    if st.session_state.get(key) not in options:
        st.session_state[key] = default if default in options else options[0]
    if len(options) == 1:
        box.caption(t("single_choice", st.session_state.get("lang", "zh"), label=label,
                      value=format_func(options[0])))
        return options[0]
    if kind == "select":
        return box.selectbox(label, options, key=key, format_func=format_func, **widget)
    return box.segmented_control(label, options, key=key, format_func=format_func, required=True, **widget)
