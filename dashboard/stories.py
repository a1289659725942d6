"""Headline figures and one-line stories computed from rank changes (never written by hand)."""

from __future__ import annotations

import pandas as pd

from dashboard.i18n import localized, ordinal, t


def _name(row: pd.Series, lang: str) -> str:
    return str(localized(row.to_frame().T, lang, "region_short_zh", "region_en").iloc[0])


def headlines(ranking: pd.DataFrame, changes: pd.DataFrame) -> dict[str, pd.Series | None]:
    """Leader, biggest climber and faller since the previous period, and the best-ranked western region."""
    ranked = ranking.dropna(subset=["rank"]).sort_values("rank")
    moved = changes.dropna(subset=["rank_change"])
    west = ranked[ranked["is_west"]]
    return {
        "leader": ranked.iloc[0] if len(ranked) else None,
        "climber": moved.sort_values(["rank_change", "rank"], ascending=[False, True]).iloc[0]
        if len(moved) and moved["rank_change"].max() > 0 else None,
        "faller": moved.sort_values(["rank_change", "rank"]).iloc[0]
        if len(moved) and moved["rank_change"].min() < 0 else None,
        "west": west.iloc[0] if len(west) else None,
    }


def stories(ranking: pd.DataFrame, changes: pd.DataFrame, lang: str, indicator: str, period: str,
            limit: int = 3) -> list[str]:
    """Two or three sentences such as '重庆 rose from 8th to 7th', chosen by the size of the move."""
    out: list[str] = []
    moved = changes.dropna(subset=["rank_change"])
    leader = headlines(ranking, changes)["leader"]
    if leader is not None:
        prev = changes.loc[changes["adcode"] == leader["adcode"], "previous_rank"]
        key = "story_kept_top" if len(prev) and prev.iloc[0] == 1 else "story_top"
        out.append(t(key, lang, city=_name(leader, lang), indicator=indicator, period=period))
    ups = moved[moved["rank_change"] > 0].sort_values(["rank_change", "rank"], ascending=[False, True])
    downs = moved[moved["rank_change"] < 0].sort_values(["rank_change", "rank"])
    for row, key in ((ups.iloc[0] if len(ups) else None, "story_rise"),
                     (downs.iloc[0] if len(downs) else None, "story_fall")):
        if row is not None:
            out.append(t(key, lang, city=_name(row, lang), prev=ordinal(row["previous_rank"], lang),
                         rank=ordinal(row["rank"], lang), indicator=indicator, period=period))
    west = headlines(ranking, changes)["west"]
    if west is not None and (leader is None or west["adcode"] != leader["adcode"]):
        out.append(t("story_west", lang, city=_name(west, lang), rank=ordinal(west["rank"], lang),
                     indicator=indicator, period=period))
    return out[: limit + 1]
