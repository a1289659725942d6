"""Validate harmonized observations: every problem of every file in one report.

The checks are set operations on the release's columns (masks, group ids, sorted runs): a million cells cost
milliseconds. Only the offending cells are turned into rows, each problem naming its file, row and column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from etl.harmonize import Observations
from etl.problems import Problems, located
from etl.regions import region_master
from etl.sidecar import LEVELS, SCOPES, Sidecar

KEY = ["release_id", "data_year", "adcode", "level", "indicator", "scope"]
# Which user-facing column a failing schema column points at.
SHOWN_COLUMN = {"adcode": "region", "level": "level", "indicator": "indicator", "scope": "indicator",
                "data_year": "data_year", "basis": "basis"}


@dataclass(frozen=True)
class Check:
    """A constraint on one observation column: `fails` marks the offending cells among those given."""

    column: str
    label: str
    fails: Callable[[Observations, np.ndarray], np.ndarray]


def _rows_where(column: str, test: Callable[[pd.Series], pd.Series]) -> Callable[[Observations, np.ndarray],
                                                                                np.ndarray]:
    return lambda obs, cells: ~test(obs.rows[column]).to_numpy(dtype=bool)[obs.row[cells]]


def _slots_where(column: str, test: Callable[[pd.Series], pd.Series]) -> Callable[[Observations, np.ndarray],
                                                                                 np.ndarray]:
    return lambda obs, cells: ~test(obs.slots[column]).to_numpy(dtype=bool)[obs.slot[cells]]


def _numbers_where(column: str, test: Callable[[np.ndarray], np.ndarray]) -> Callable[[Observations, np.ndarray],
                                                                                     np.ndarray]:
    def fails(obs: Observations, cells: np.ndarray) -> np.ndarray:
        values = getattr(obs, column)[cells]
        with np.errstate(invalid="ignore"):
            return ~np.isnan(values) & ~test(values)
    return fails


def schema(sc: Sidecar, indicators: list[str]) -> list[Check]:
    """The observation schema, column by column (labels as pandera named them)."""
    value = [Check("value", f"value outside the sidecar's value_range {list(sc.value_range)}",
                   _numbers_where("value", lambda v: (v >= sc.value_range[0]) & (v <= sc.value_range[1])))] \
        if sc.value_range else []
    return [
        Check("data_year", "not_nullable", _rows_where("data_year", pd.Series.notna)),
        Check("adcode", "str_matches('^\\d{6}$')",
              _rows_where("adcode", lambda s: s.astype(str).str.fullmatch(r"\d{6}"))),
        Check("level", f"isin({list(LEVELS)})", _rows_where("level", lambda s: s.isin(LEVELS))),
        Check("indicator", f"isin({indicators})", _slots_where("indicator", lambda s: s.isin(indicators))),
        Check("scope", f"isin({list(SCOPES)})", _slots_where("scope", lambda s: s.isin(SCOPES))),
        *value,
        Check("rank", "rank must be ≥ 1", _numbers_where("rank", lambda v: v >= 1)),
        Check("rank_at_most", "rank_at_most must be ≥ 1", _numbers_where("rank_at_most", lambda v: v >= 1)),
        Check("basis", "isin(['stated', 'derived'])", _rows_where("basis", lambda s: s.isin(["stated", "derived"]))),
    ]


def _shown(row: pd.Series, column: str | None) -> str | None:
    if column == "value":
        return row["value_col"] or "value"
    if column == "rank":
        return row["rank_col"] or "rank"
    if column == "rank_at_most":
        return row["band_col"] or "rank_at_most"
    return SHOWN_COLUMN.get(column or "", column)


def _where(path: Path, row: pd.Series) -> str:
    return located(path, row["_sheet"])


def _schema_problems(problems: Problems, path: Path, obs: Observations, cells: np.ndarray, checks: list[Check],
                     per_check: int = 20) -> None:
    """One problem per failing cell, at most `per_check` for each check, then a count."""
    for check in checks:
        failing = cells[check.fails(obs, cells)]
        if not len(failing):
            continue
        if len(failing) > per_check:
            problems.add(path, f"{check.label}: {len(failing) - per_check} more rows like the ones above")
        for _, row in obs.frame(failing[:per_check]).iterrows():
            problems.add(_where(path, row), f"{check.label} (got {str(row[check.column])!r})", int(row["_row"]),
                         _shown(row, check.column))


def _each_row(problems: Problems, path: Path, rows: pd.DataFrame | None, column, message, limit: int = 20,
              more: str = "… {n} more rows with the same problem") -> None:
    """One problem per row (up to `limit`) of `rows` (the offending cells, the first `limit` + 1 of `total`);
    `column` and `message` are functions of the row."""
    if rows is None:
        return
    for _, row in rows.head(limit).iterrows():
        problems.add(_where(path, row), message(row), int(row["_row"]), column(row))
    total = rows.attrs.get("total", len(rows))
    if total > limit:
        problems.add(path, more.format(n=total - limit))


def _offending(obs: Observations, cells: np.ndarray, limit: int = 20, **fields: np.ndarray) -> pd.DataFrame | None:
    """The first `limit` + 1 offending cells as rows (with extra per-cell fields), knowing how many there were;
    None when there are none."""
    if not len(cells):
        return None
    frame = obs.frame(cells[: limit + 1]).assign(**{k: v[: limit + 1] for k, v in fields.items()})
    frame.attrs["total"] = len(cells)
    return frame


def _empty_rows(problems: Problems, path: Path, obs: Observations, cells: np.ndarray) -> None:
    """In a long table a row without value, rank or band says nothing (in wide tables an empty cell is 'not
    published')."""
    empty = cells[np.isnan(obs.value[cells]) & np.isnan(obs.rank[cells]) & np.isnan(obs.rank_at_most[cells])]
    _each_row(problems, path, _offending(obs, empty), lambda _: None, lambda _: "neither a value nor a rank",
              more="… {n} more rows with neither a value nor a rank")


def _key_ids(obs: Observations, cells: np.ndarray, row_fields: list[str], slot_fields: list[str]) -> np.ndarray:
    """One integer per cell for its (row fields, slot fields) combination (the release is the same for all)."""
    row_ids = obs.rows.groupby(row_fields, dropna=False, sort=False).ngroup().to_numpy()
    slot_ids = obs.slots.groupby(slot_fields, dropna=False, sort=False).ngroup().to_numpy()
    return row_ids[obs.row[cells]].astype(np.int64) * (slot_ids.max() + 1) + slot_ids[obs.slot[cells]]


def _duplicates(problems: Problems, path: Path, obs: Observations, cells: np.ndarray, limit: int = 20) -> None:
    """The same region, indicator, scope and year twice: one problem per key, naming all its rows."""
    keys = _key_ids(obs, cells, ["data_year", "adcode", "level"], ["indicator", "scope"])
    dup = pd.Series(keys).duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    groups, _ = pd.factorize(keys[dup])  # in order of first appearance
    rows = obs.rows["_row"].to_numpy()[obs.row[cells[dup]]]
    for g in range(min(groups.max() + 1, limit)):
        members = np.flatnonzero(groups == g)
        first = obs.frame(cells[dup][members[:1]]).iloc[0]
        problems.add(_where(path, first), f"duplicate rows {', '.join(str(r) for r in rows[members])}: "
                                          f"{first['raw_name']} / {first['indicator']} ({first['scope']}, "
                                          f"{first['data_year']}) may appear once", int(first["_row"]), "region")


def _rank_gaps(problems: Problems, path: Path, obs: Observations, cells: np.ndarray) -> None:
    """With ranks_complete, each ranking must run 1..N without gaps (ties repeat a rank and skip the next)."""
    ranked = cells[~np.isnan(obs.rank[cells])]
    if not len(ranked):
        return
    groups = pd.DataFrame({"data_year": obs.rows["data_year"].to_numpy()[obs.row[ranked]],
                           "indicator": obs.slots["indicator"].to_numpy()[obs.slot[ranked]],
                           "level": obs.rows["level"].to_numpy()[obs.row[ranked]],
                           "scope": obs.slots["scope"].to_numpy()[obs.slot[ranked]]})
    gid = groups.groupby(list(groups), sort=True).ngroup().to_numpy()  # in the order of the keys
    ranks = obs.rank[ranked]
    order = np.lexsort((ranks, gid))
    sorted_gid, sorted_ranks = gid[order], ranks[order]
    starts = np.r_[True, sorted_gid[1:] != sorted_gid[:-1]]
    position = np.arange(len(order)) - np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
    runs = starts | np.r_[True, sorted_ranks[1:] != sorted_ranks[:-1]]
    expected = np.maximum.accumulate(np.where(runs, np.arange(len(order)), 0)) - \
        np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0)) + 1  # the run's first position, 1-based
    del position
    for g in np.unique(sorted_gid[sorted_ranks != expected]):
        members = np.flatnonzero(gid == g)
        values = sorted(ranks[members].astype(int).tolist())
        key = groups.iloc[members[0]]
        first = obs.frame(ranked[members[:1]]).iloc[0]  # the ranking's first row as read (with its page, in a PDF)
        gaps = sorted(set(range(1, len(values) + 1)) - set(values))[:10]
        problems.add(_where(path, first), f"ranks of {key['indicator']} ({key['level']}, {key['scope']}, "
                                          f"{key['data_year']}) are not complete: missing {gaps}, but the sidecar "
                                          "says ranks_complete: true", int(first["_row"]), "rank")


def _release_years(problems: Problems, path: Path, obs: Observations, cells: np.ndarray, sc: Sidecar) -> None:
    """A row's data year may not be after the publication, nor (one-year release) after the release's data
    year; earlier years are restatements (the 2018 edition restates 2015 and 2016 ranks) and stay allowed."""
    if sc.data_year is not None and sc.data_year > sc.published.year:
        problems.add(sc.path, f"data_year {sc.data_year} is after the publication date {sc.published}",
                     sc.line("data_year"), "data_year")
        return
    years = obs.rows["data_year"].to_numpy(dtype=float, na_value=np.nan)[obs.row[cells]]
    published = years > sc.published.year
    _each_row(problems, path, _offending(obs, cells[published]), lambda _: "data_year",
              lambda r: f"data year {r['data_year']} is after the publication date {sc.published}")
    if sc.data_year is not None:
        later = ~published & (years > sc.data_year)
        _each_row(problems, path, _offending(obs, cells[later]), lambda _: "data_year",
                  lambda r: f"data year {r['data_year']} is later than the release's data_year {sc.data_year} "
                            "(rows for earlier years are restatements; a later year contradicts the release)")


@lru_cache(maxsize=64)
def region_counts(years: tuple[int, ...]) -> pd.DataFrame:
    """How many regions of each level existed in each of the years (region master, valid_from/valid_to)."""
    regions = region_master()
    pairs = regions[["level", "valid_from", "valid_to"]].merge(pd.DataFrame({"data_year": years}), how="cross")
    alive = (pairs["valid_from"].isna() | (pairs["valid_from"] <= pairs["data_year"])) & \
            (pairs["valid_to"].isna() | (pairs["valid_to"] >= pairs["data_year"]))
    return pairs[alive].groupby(["level", "data_year"]).size().rename("existing").reset_index()


def _rank_bounds(problems: Problems, path: Path, obs: Observations, cells: np.ndarray, sc: Sidecar) -> None:
    """A rank cannot exceed the regions of its level that existed that year, nor the release's coverage."""
    ranked = cells[~np.isnan(obs.rank[cells])]
    if not len(ranked):
        return
    rows = obs.rows[["level", "data_year"]]
    counts = region_counts(tuple(sorted(rows["data_year"].iloc[np.unique(obs.row[ranked])].unique().tolist())))
    existing = rows.merge(counts, on=["level", "data_year"], how="left")["existing"].to_numpy(
        dtype=float, na_value=np.inf)[obs.row[ranked]]
    covered = rows["level"].map(sc.coverage).to_numpy(dtype=float, na_value=np.nan)[obs.row[ranked]]
    ranks = obs.rank[ranked]
    over_coverage = ~np.isnan(covered) & (ranks > covered)
    over_existing = ~over_coverage & (ranks > existing)
    _each_row(problems, path, _offending(obs, ranked[over_coverage], covered=covered[over_coverage]), _rank_column,
              lambda r: f"rank {r['rank']} is larger than the {int(r['covered'])} {r['level']} regions the release "
                        "covers (sidecar 'coverage')")
    _each_row(problems, path, _offending(obs, ranked[over_existing], existing=existing[over_existing]), _rank_column,
              lambda r: f"rank {r['rank']} is larger than the {int(r['existing'])} {r['level']} regions that "
                        f"existed in {r['data_year']}")


def _rank_column(row: pd.Series) -> str:
    return _shown(row, "rank")


def validate(obs: Observations, sc: Sidecar, indicators: list[str], problems: Problems) -> None:
    """Check the cells that harmonized cleanly (the others are already reported)."""
    path = sc.raw_path
    checked = np.flatnonzero(obs.ok)
    if not len(checked):
        return
    _schema_problems(problems, path, obs, checked, schema(sc, indicators))
    if sc.format == "long":
        _empty_rows(problems, path, obs, checked)
    _duplicates(problems, path, obs, checked)
    _release_years(problems, path, obs, checked, sc)
    _rank_bounds(problems, path, obs, checked, sc)
    if sc.ranks_complete:
        _rank_gaps(problems, path, obs, checked)
