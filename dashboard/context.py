"""The view a page renders: the sidebar's filters plus what every page needs to label and attribute them.

Built once per script run from the warehouse (`queries`) and the presentation rules; pages read it instead of
looking the same things up again (`current()`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from dashboard import presentation as pres
from dashboard.i18n import localized, t
from dashboard.state import Filters


def label_periods(periods: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A family's periods with a readable label ('2018 edition (data 2017)' or '2020')."""
    periods = periods.drop_duplicates("period").reset_index(drop=True)
    periods["label"] = [t("period_year", lang, year=y) if p == str(y) else
                        t("period_edition", lang, edition=e, year=y)
                        for p, y, e in zip(periods["period"], periods["data_year"], periods["edition"], strict=True)]
    return periods


def closest_period(periods: pd.DataFrame, year: int | None) -> str:
    """The period whose data year is closest to `year` (the later one on a tie; the latest without a year)."""
    if year is None:
        return str(periods["period"].iloc[-1])
    distance = (periods["data_year"] - year).abs()
    return str(periods.loc[distance == distance.min(), "period"].iloc[-1])


def neighbour_period(periods: pd.DataFrame, period: str) -> str:
    """The period before `period` (after it, for the first)."""
    order = list(dict.fromkeys(periods["period"]))
    i = order.index(period) if period in order else 0
    return order[i - 1] if i > 0 else order[min(1, len(order) - 1)]


@dataclass(frozen=True)
class View:
    filters: Filters
    family: pd.Series  # a row of queries.families(): names, catalogue notes, family_summary counts
    periods: pd.DataFrame  # labelled periods of the family
    indicators: pd.DataFrame  # queries.indicators(family, period, level)

    @property
    def lang(self) -> str:
        return self.filters.lang

    @property
    def family_name(self) -> str:
        return str(self.family["name_en" if self.lang == "en" else "name_zh"])

    @cached_property
    def labels(self) -> dict[str, str]:
        return dict(zip(self.periods["period"], self.periods["label"], strict=True))

    def period_label(self, period: str | None = None) -> str:
        period = self.filters.period if period is None else period
        return self.labels.get(period, period)

    @property
    def previous_period(self) -> str | None:
        order = list(self.periods["period"])
        i = order.index(self.filters.period) if self.filters.period in order else 0
        return order[i - 1] if i > 0 else None

    def indicator_name(self, code: str | None = None) -> str:
        code = self.filters.indicator if code is None else code
        row = self.indicators[self.indicators["indicator"] == code]
        return code if row.empty else str(localized(row, self.lang, "name_zh", "name_en").iloc[0])

    @property
    def level_name(self) -> str:
        return t(f"level_{self.filters.level}", self.lang)

    @property
    def title(self) -> str:
        return t("ranking_title", self.lang, indicator=self.indicator_name(), period=self.period_label(),
                 level=self.level_name)

    @property
    def chart_subtitle(self) -> str:
        return t("ranking_subtitle", self.lang, level=self.level_name, period=self.period_label())

    @property
    def caveats(self) -> list[str]:
        return pres.family_caveats(self.family, int(self.family["n_frameworks"]), self.lang)

    @property
    def methodology(self) -> str:
        return str(self.family["methodology_en" if self.lang == "en" else "methodology_zh"] or "")

    @property
    def help_topics(self) -> list[str]:
        return pres.help_topics(self.family, self.lang)

    @property
    def sparse(self) -> bool:
        """Press-compiled data (top-N lists): most regions are 'not published' in a ranking."""
        placed = self.indicators["n_ranked"] + self.indicators["n_banded"]
        return len(placed) > 0 and float(placed.median()) < 50

    def ranked_kinds(self) -> list[str]:
        """The sub-indicator kinds with at least one rank or band in this period and level, in hierarchy order."""
        inds = self.indicators
        placed = inds.assign(n=inds["n_ranked"] + inds["n_banded"])
        return [k for k in ("sub_index", "sub_industry", "component") if placed.loc[placed["kind"] == k, "n"].sum()]

    def ranking_size(self, indicator: str | None = None, kind: str | None = None) -> int:
        """Places in the period's ranking of an indicator (or the largest of a kind): what rank colours span."""
        inds = self.indicators
        rows = inds[inds["kind"] == kind] if kind else inds[inds["indicator"] == (indicator or self.filters.indicator)]
        sizes = [pres.ranking_size(r.n_ranked, r.worst_rank, r.worst_band, r.coverage) for r in rows.itertuples()]
        return max(sizes, default=1)

    def coverage(self) -> int | None:
        """How many regions of the level the period's release ranks, where it says so."""
        stated = self.indicators["coverage"].dropna()
        return int(stated.max()) if len(stated) else None

    def base_name(self, what: str) -> str:
        """Download file names say what they hold: family, period, indicator, level, region filter."""
        f = self.filters
        parts = [f.family, f.period, f.indicator, f.level]
        if f.region != "all":
            parts.append(f.region)
        if f.province:
            parts.append(f.province)
        return "_".join([*parts, what])
