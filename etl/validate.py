"""Validate harmonized observations (pandera, lazy): every problem of every file in one report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from etl.problems import Problems, located
from etl.regions import region_master
from etl.sidecar import LEVELS, SCOPES, Sidecar

KEY = ["release_id", "data_year", "adcode", "level", "indicator", "scope"]
# Which user-facing column a failing schema column points at.
SHOWN_COLUMN = {"adcode": "region", "level": "level", "indicator": "indicator", "scope": "indicator",
                "data_year": "data_year", "basis": "basis"}


def observation_schema(sc: Sidecar, indicators: list[str]) -> pa.DataFrameSchema:
    value_checks = [pa.Check.in_range(*sc.value_range, error="value outside the sidecar's value_range "
                                                            f"{list(sc.value_range)}")] if sc.value_range else []
    return pa.DataFrameSchema(
        {
            "data_year": pa.Column("Int64", nullable=False),
            "adcode": pa.Column(str, pa.Check.str_matches(r"^\d{6}$"), nullable=False),
            "level": pa.Column(str, pa.Check.isin(LEVELS)),
            "indicator": pa.Column(str, pa.Check.isin(indicators)),
            "scope": pa.Column(str, pa.Check.isin(SCOPES)),
            "value": pa.Column("float64", value_checks, nullable=True),
            "rank": pa.Column("Int64", pa.Check.ge(1, error="rank must be ≥ 1"), nullable=True),
            "rank_at_most": pa.Column("Int64", pa.Check.ge(1, error="rank_at_most must be ≥ 1"), nullable=True),
            "basis": pa.Column(str, pa.Check.isin(["stated", "derived"])),
        },
    )


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


def _schema_problems(problems: Problems, path: Path, obs: pd.DataFrame, err: SchemaErrors,
                     per_check: int = 20) -> None:
    """One problem per failing row, at most `per_check` rows for each check and column, then a count."""
    cases = err.failure_cases
    groups = cases.groupby([cases["check"].astype(str), cases["column"].astype(str)], sort=False)
    for (check, _), group in groups:
        if len(group) > per_check:
            problems.add(path, f"{check}: {len(group) - per_check} more rows like the ones above")
        _case_problems(problems, path, obs, group.head(per_check))


def _case_problems(problems: Problems, path: Path, obs: pd.DataFrame, cases: pd.DataFrame) -> None:
    for case in cases.itertuples(index=False):
        idx = case.index
        if idx is None or pd.isna(idx) or idx not in obs.index:
            problems.add(path, f"{case.check}: {case.failure_case}")
            continue
        row = obs.loc[idx]
        column = case.column if isinstance(case.column, str) and case.column in obs.columns else None
        shown = str(row[column]) if column else ""
        problems.add(_where(path, row), f"{case.check} (got {shown or case.failure_case!r})",
                     int(row["_row"]), _shown(row, column))


def _empty_rows(problems: Problems, path: Path, obs: pd.DataFrame, limit: int = 20) -> None:
    """In a long table a row without value, rank or band says nothing (in wide tables an empty cell is 'not
    published')."""
    empty = obs[obs["value"].isna() & obs["rank"].isna() & obs["rank_at_most"].isna()]
    for _, row in empty.head(limit).iterrows():
        problems.add(_where(path, row), "neither a value nor a rank", int(row["_row"]), None)
    if len(empty) > limit:
        problems.add(path, f"… {len(empty) - limit} more rows with neither a value nor a rank")


def _duplicates(problems: Problems, path: Path, obs: pd.DataFrame, limit: int = 20) -> None:
    """The same region, indicator, scope and year twice: one problem per key, naming all its rows."""
    dup = obs[obs.duplicated(KEY, keep=False)]
    for _, group in list(dup.groupby(KEY, sort=False))[:limit]:
        first = group.iloc[0]
        rows = ", ".join(str(r) for r in group["_row"])
        problems.add(_where(path, first), f"duplicate rows {rows}: {first['raw_name']} / {first['indicator']} "
                                          f"({first['scope']}, {first['data_year']}) may appear once",
                     int(first["_row"]), "region")


def _rank_gaps(problems: Problems, path: Path, obs: pd.DataFrame) -> None:
    """With ranks_complete, each ranking must run 1..N without gaps (ties repeat a rank and skip the next)."""
    ranked = obs.dropna(subset=["rank"])
    for (year, indicator, level, scope), grp in ranked.groupby(["data_year", "indicator", "level", "scope"]):
        ranks = grp["rank"].astype(int).sort_values().to_numpy()
        expected = pd.Series(ranks).rank(method="min").astype(int).to_numpy()
        if (ranks != expected).any():
            first = grp.iloc[0]  # the ranking's first row as read (with its page, in a PDF)
            gaps = sorted(set(range(1, len(ranks) + 1)) - set(ranks.tolist()))[:10]
            problems.add(_where(path, first), f"ranks of {indicator} ({level}, {scope}, {year}) are not complete: "
                         f"missing {gaps}, but the sidecar says ranks_complete: true", int(first["_row"]), "rank")


def _each_row(problems: Problems, path: Path, rows: pd.DataFrame, column, message, limit: int = 20) -> None:
    """One problem per row (up to `limit`); `column` and `message` are functions of the row."""
    for _, row in rows.head(limit).iterrows():
        problems.add(_where(path, row), message(row), int(row["_row"]), column(row))
    if len(rows) > limit:
        problems.add(path, f"… {len(rows) - limit} more rows with the same problem")


def _release_years(problems: Problems, path: Path, obs: pd.DataFrame, sc: Sidecar) -> None:
    """A row's data year may not be after the publication, nor (one-year release) after the release's data
    year; earlier years are restatements (the 2018 edition restates 2015 and 2016 ranks) and stay allowed."""
    if sc.data_year is not None and sc.data_year > sc.published.year:
        problems.add(sc.path, f"data_year {sc.data_year} is after the publication date {sc.published}",
                     sc.line("data_year"), "data_year")
        return
    published = obs["data_year"] > sc.published.year
    _each_row(problems, path, obs[published], lambda _: "data_year",
              lambda r: f"data year {r['data_year']} is after the publication date {sc.published}")
    if sc.data_year is not None:
        later = ~published & (obs["data_year"] > sc.data_year)
        _each_row(problems, path, obs[later], lambda _: "data_year",
                  lambda r: f"data year {r['data_year']} is later than the release's data_year {sc.data_year} "
                            "(rows for earlier years are restatements; a later year contradicts the release)")


def region_counts(years: list[int]) -> pd.DataFrame:
    """How many regions of each level existed in each of the years (region master, valid_from/valid_to)."""
    regions = region_master()
    pairs = regions[["level", "valid_from", "valid_to"]].merge(pd.DataFrame({"data_year": years}), how="cross")
    alive = (pairs["valid_from"].isna() | (pairs["valid_from"] <= pairs["data_year"])) & \
            (pairs["valid_to"].isna() | (pairs["valid_to"] >= pairs["data_year"]))
    return pairs[alive].groupby(["level", "data_year"]).size().rename("existing").reset_index()


def _rank_bounds(problems: Problems, path: Path, obs: pd.DataFrame, sc: Sidecar) -> None:
    """A rank cannot exceed the regions of its level that existed that year, nor the release's coverage."""
    ranked = obs.dropna(subset=["rank"])
    if ranked.empty:
        return
    counts = region_counts(sorted(ranked["data_year"].unique().tolist()))
    bounds = ranked.merge(counts, on=["level", "data_year"], how="left").set_index(ranked.index)
    bounds["covered"] = bounds["level"].map(sc.coverage).astype("float64")
    over_coverage = bounds["covered"].notna() & (bounds["rank"] > bounds["covered"])
    over_existing = ~over_coverage & (bounds["rank"] > bounds["existing"].fillna(float("inf")))
    _each_row(problems, path, bounds[over_coverage], _rank_column,
              lambda r: f"rank {r['rank']} is larger than the {int(r['covered'])} {r['level']} regions the release "
                        "covers (sidecar 'coverage')")
    _each_row(problems, path, bounds[over_existing], _rank_column,
              lambda r: f"rank {r['rank']} is larger than the {int(r['existing'])} {r['level']} regions that "
                        f"existed in {r['data_year']}")


def _rank_column(row: pd.Series) -> str:
    return _shown(row, "rank")


def validate(obs: pd.DataFrame, sc: Sidecar, indicators: list[str], problems: Problems) -> None:
    """Check the rows that harmonized cleanly (the others are already reported)."""
    path = sc.raw_path
    checked = obs[obs["_ok"]]
    if checked.empty:
        return
    try:
        observation_schema(sc, indicators).validate(checked, lazy=True)
    except SchemaErrors as err:
        _schema_problems(problems, path, checked, err)
    if sc.format == "long":
        _empty_rows(problems, path, checked)
    _duplicates(problems, path, checked)
    _release_years(problems, path, checked, sc)
    _rank_bounds(problems, path, checked, sc)
    if sc.ranks_complete:
        _rank_gaps(problems, path, checked)
