"""Column headers and Streamlit column settings for the view-models' role-named columns, in zh or en."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.i18n import t
from dashboard.presentation import md_text

HEADERS = {  # role → locale key of its header (screen and downloads)
    "rank": "col_rank", "rank_at_most": "col_rank_at_most", "delta": "col_delta", "region": "col_region",
    "adcode": "col_adcode", "province": "col_province", "value": "col_value", "history": "col_history",
    "trend": "col_trend", "basis": "col_basis", "source": "col_source", "source_note": "col_source_note",
    "source_ref": "col_source_ref", "release": "col_release", "from": "col_from", "to": "col_to",
    "change": "col_change", "period": "col_period", "indicator": "col_indicator", "scope": "col_scope",
    "province_rank": "col_province_rank", "west_rank": "col_west_rank", "rank_source": "col_rank_source",
    "title": "col_title", "published": "col_published", "years": "col_data_years",
    "observations": "col_observations", "publisher": "col_publisher", "sha256": "col_sha", "file": "col_file",
    "started_at": "col_started", "command": "col_command", "status": "col_status", "message": "col_message",
    "warnings": "col_warnings", "on_map": "col_on_map", "economic_region": "col_economic_region",
    "rank_a": "col_rank_a", "rank_b": "col_rank_b", "gap": "col_gap",
}
HELP = {"delta": "col_delta_help", "value": "col_value_help", "history": "col_history_help",
        "trend": "col_trend_help", "basis": "col_basis_help", "rank": "col_rank_help"}


def header(role: str, lang: str) -> str:
    return t(HEADERS[role], lang) if role in HEADERS else role


def exportable(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A view-model with its headers in the reader's language (downloads)."""
    return frame.rename(columns={c: header(c, lang) for c in frame.columns if c in HEADERS})


WIDTHS = {"rank": 56, "delta": 84, "region": 96, "province": 84, "value": 100, "history": 110, "trend": 80,
          "basis": 56, "source": 56, "source_note": 160,
          "indicator": 210}


def config(frame: pd.DataFrame, lang: str) -> dict:
    """Localized headers (with help where a column needs explaining) for every role-named column of the frame."""
    cc = st.column_config
    out = {}
    for role in frame.columns:
        if role not in HEADERS:
            continue
        label, help_text, width = header(role, lang), t(HELP[role], lang) if role in HELP else None, WIDTHS.get(role)
        if role == "trend":
            out[role] = cc.ImageColumn(label, help=help_text, width=width)
        elif role == "source":
            out[role] = cc.LinkColumn(label, display_text=t("source_link", lang), width=width)
        elif role in ("published",):
            out[role] = cc.DateColumn(label)
        elif role == "started_at":
            out[role] = cc.DatetimeColumn(label)
        elif pd.api.types.is_numeric_dtype(frame[role]) and role not in ("observations",):
            out[role] = cc.NumberColumn(label, help=help_text, width=width, format="%d")
        elif role == "observations":
            out[role] = cc.NumberColumn(label)
        elif pd.api.types.is_bool_dtype(frame[role]):
            out[role] = cc.CheckboxColumn(label, help=help_text)
        else:
            out[role] = cc.TextColumn(label, help=help_text, width=width)
    return out


def short_table(frame: pd.DataFrame, lang: str) -> None:
    """A list of a few rows (peers, movers, disagreements) as a plain HTML table: a data grid costs the browser a
    canvas each, which is much of a page switch; these lists need no scrolling or sorting."""
    if frame.empty:
        st.caption(t("none_shown", lang))
        return
    head = "| " + " | ".join(header(c, lang) for c in frame.columns) + " |"
    rule = "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(frame[c]) else "---" for c in frame.columns) + "|"
    rows = ["| " + " | ".join("" if pd.isna(v) else md_text(v) for v in row) + " |"
            for row in frame.itertuples(index=False)]
    st.markdown("\n".join([head, rule, *rows]))


ROW_PX, HEADER_PX = 35, 38  # st.dataframe's row and header heights


def table(frame: pd.DataFrame, lang: str, fit: bool = False, **options) -> None:
    """st.dataframe with localized headers; an empty frame is a line of text, never a grid reading 'empty'.
    fit: as tall as its rows (a profile's indicator × period grid reads whole, not in a scroll box)."""
    if frame.empty:
        st.caption(t("none_shown", lang))
        return
    if fit:
        options["height"] = HEADER_PX + ROW_PX * len(frame) + 2
    st.dataframe(frame, hide_index=True, width="stretch", column_config=config(frame, lang), **options)
