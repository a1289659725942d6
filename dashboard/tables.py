"""Table view-models: query results → display frames and their column settings (no page logic)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import queries as q
from dashboard.i18n import localized, t
from dashboard.state import Filters


def delta_text(change: object, previous: object, lang: str) -> str:
    """▲2 / ▼1 / = for a rank change; 'new' when the region was not published in the previous period."""
    if pd.isna(previous):
        return t("delta_new", lang)
    change = int(change)
    return "=" if change == 0 else (f"▲{change}" if change > 0 else f"▼{-change}")


def value_text(value: object, lang: str) -> str:
    return t("not_published", lang) if pd.isna(value) else f"{value:,.2f}"


def as_list(values: object) -> list:
    """DuckDB lists arrive as arrays (or None): plain Python lists for display."""
    if values is None or isinstance(values, str) or not hasattr(values, "__len__"):
        return []
    return [v for v in values if not pd.isna(v)]


def history_text(history: object) -> str:
    return " → ".join(str(int(r)) for r in as_list(history))


def is_url(text: object) -> bool:
    return isinstance(text, str) and text.startswith(("http://", "https://"))


def period_label(family: str, period: str, lang: str) -> str:
    periods = q.periods(family)
    row = periods[periods["period"] == period]
    if row.empty:
        return period
    row = row.iloc[0]
    if row["period"] == str(row["data_year"]):
        return t("period_year", lang, year=row["data_year"])
    return t("period_edition", lang, edition=row["edition"], year=row["data_year"])


def indicator_name(family: str, indicator: str, lang: str) -> str:
    inds = q.indicators(family)
    row = inds[inds["indicator"] == indicator]
    return indicator if row.empty else str(localized(row, lang, "name_zh", "name_en").iloc[0])


def ranking_meta(f: Filters) -> dict[str, str]:
    name = indicator_name(f.family, f.indicator, f.lang)
    period = period_label(f.family, f.period, f.lang)
    return {"indicator_name": name, "period_label": period,
            "title": t("ranking_title", f.lang, indicator=name, period=period, level=t(f"level_{f.level}", f.lang))}


def ranking_view(data: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The ranking as users read it: rank, change, name, province, value or 'not published', history, source."""
    return pd.DataFrame({
        "rank": data["rank"].astype("Int64"),
        "delta": [delta_text(c, p, lang) for c, p in zip(data["rank_change"], data["previous_rank"], strict=True)],
        "region": localized(data, lang, "region_zh", "region_en"),
        "province": localized(data, lang, "province_zh", "province_en"),
        "value": [value_text(v, lang) for v in data["value"]],
        "history": [history_text(h) for h in data["history"]],
        "trend": [[-int(r) for r in as_list(h)] for h in data["history"]],
        "basis": [t(f"basis_{b}", lang) for b in data["basis"]],
        "source": [u if is_url(u) else None for u in data["source_url"]],
        "source_note": [None if is_url(u) else u for u in data["source_url"]],
    })


def ranking_columns(lang: str) -> dict:
    cc = st.column_config
    return {
        "rank": cc.NumberColumn(t("col_rank", lang), format="%d", width="small"),
        "delta": cc.TextColumn(t("col_delta", lang), help=t("col_delta_help", lang), width="small"),
        "region": cc.TextColumn(t("col_region", lang)),
        "province": cc.TextColumn(t("col_province", lang)),
        "value": cc.TextColumn(t("col_value", lang), help=t("col_value_help", lang)),
        "history": cc.TextColumn(t("col_history", lang), help=t("col_history_help", lang)),
        "trend": cc.LineChartColumn(t("col_trend", lang), help=t("col_trend_help", lang), width="small"),
        "basis": cc.TextColumn(t("col_basis", lang), help=t("col_basis_help", lang), width="small"),
        "source": cc.LinkColumn(t("col_source", lang), display_text=t("source_link", lang), width="small"),
        "source_note": cc.TextColumn(t("col_source_note", lang)),
    }
