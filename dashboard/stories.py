"""Headline figures and one-line stories computed from rank changes (never written by hand)."""

from __future__ import annotations

import pandas as pd

from dashboard import presentation as pres
from dashboard import views
from dashboard.i18n import localized, ordinal, t, t_family

ALL_ROUND_TOP = 10
KIND_ORDER = ("sub_index", "sub_industry", "component")


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


def all_round_stories(subs: pd.DataFrame, lang: str, period: str, catalogue: dict[str, int],
                      family: str) -> list[str]:
    """'重庆: all ten sub-industries in the national top 10 · 2018 edition (data 2017)': one line per region in the
    top 10 (an exact rank or a band) of every sub-indicator of a kind that the period published, where it
    published two or more. 'all N published …' where the catalogue knows more indicators of the kind."""
    out = []
    for kind in KIND_ORDER:
        frame = subs[(subs["indicator_kind"] == kind) & (subs["rank"].notna() | subs["rank_at_most"].notna())]
        n, leaders = views.all_round(frame, lang, ALL_ROUND_TOP) if len(frame) else (0, [])
        if n >= 2:
            key = "story_all_round" if n >= catalogue.get(kind, n) else "story_all_round_published"
            name = t_family(f"kind_{kind}", family, lang)  # a heading; mid-sentence it is lower case
            out += [t(key, lang, city=city, count=pres.count_text(n, lang), kind=name if lang == "zh" else name.lower(),
                      top=ALL_ROUND_TOP, period=period) for city in leaders]
    return out
