"""The warehouse's observations as integer-keyed facts, with everything the pages read precomputed.

Each observation becomes one row of `observation_data`: keys into the dimension tables (period, release,
region, indicator, concept, scope, source row) and its numbers, plus its computed rank, its rank and ranking size
within its province and the west, the size of its ranking, the region's total-index rank, and its previous rank
(rank changes). Rows are stored by block of regions, then in ranking order — period, level, year, indicator,
scope, rank, region (REGION_BLOCK) — so a page's filter reads a few of DuckDB's row groups. Per region and
concept, `rank_history_data` holds the ranks over the periods that have the ranking (sparklines).
Everything is computed on NumPy arrays of small integers, one release (or family) at a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from etl.catalogue import families
from etl.harmonize import Observations
from etl.ranks import group_sizes, ordered, within
from etl.regions import LEVEL_ORDER
from etl.sidecar import SCOPES, Sidecar

NATIONAL = SCOPES.index("national")
# Rows are stored by blocks of this many regions (in region order, so one level at a time), each block in
# ranking order: a region's rows lie in one block (the city profile reads a few row groups), a period's in one
# run per block (rankings, maps, heatmaps read a few dozen).
REGION_BLOCK = 256
FACT_TYPES = {
    "period_key": pa.int16(), "release_key": pa.int16(), "region_key": pa.int32(), "data_year": pa.int16(),
    "indicator_key": pa.int16(), "concept_key": pa.int16(), "scope_key": pa.int8(), "row_key": pa.int32(),
    "is_restated": pa.bool_(), "value": pa.float64(), "rank": pa.int32(), "rank_at_most": pa.int32(),
    "rank_computed": pa.bool_(), "province_rank": pa.int32(), "province_ranked": pa.int32(),
    "west_rank": pa.int32(), "west_ranked": pa.int32(), "ranked": pa.int32(), "total_rank": pa.int32(),
    "previous_rank": pa.int32(), "previous_ranked": pa.bool_(), "ranked_before": pa.bool_(),
}
SOURCE_COLUMNS = ["row_key", "release_key", "source_file", "source_row", "source_ref", "raw_name", "source_url",
                  "basis", "basis_note"]
HISTORY_SCHEMA = pa.schema({"concept_key": pa.int16(), "region_key": pa.int32(), "history": pa.list_(pa.int32())})
_PDF_PAGE_FILE = re.compile(r":p[0-9]+[LR]?$")  # source_ref reads report.pdf:p23:r7 for a PDF page's row


@dataclass
class Dimensions:
    """The dimension tables, each with its dense integer key (position = key)."""

    region: pd.DataFrame
    indicator: pd.DataFrame
    concept: pd.DataFrame
    release: pd.DataFrame
    period: pd.DataFrame
    release_indicator: pd.DataFrame
    _indexes: dict[tuple[str, ...], pd.MultiIndex] = field(default_factory=dict)

    def key(self, table: str, columns: list[str], values: pd.DataFrame) -> np.ndarray:
        """The keys of `values` (one row per lookup) in `table`, by the given columns."""
        index = self._indexes.get((table, *columns))
        if index is None:
            index = self._indexes[(table, *columns)] = pd.MultiIndex.from_frame(getattr(self, table)[columns])
        return index.get_indexer(pd.MultiIndex.from_frame(values[columns]))


def release_periods(sc: Sidecar, obs: Observations) -> pd.DataFrame:
    """The time steps a release holds: its edition (one-year release) or each data year (panel), with whether it
    holds figures for the step's own year (restated figures alone make no step)."""
    years = obs.rows["data_year"].dropna().astype(int)
    if sc.data_year is not None:
        frame = pd.DataFrame({"period": [sc.edition], "data_year": [sc.data_year],
                              "current": [bool((years == sc.data_year).any())]})
    else:
        held = sorted(years.unique())
        frame = pd.DataFrame({"period": [str(y) for y in held], "data_year": held, "current": True})
    return frame.assign(family=sc.family, framework=sc.framework, release_id=sc.release_id, edition=sc.edition)


def period_table(periods: pd.DataFrame) -> pd.DataFrame:
    """One row per family × period, in time order, with the family's previous step (previous_period,
    previous_framework) for the periods that are steps."""
    table = periods.drop_duplicates(["family", "period"]).sort_values(["family", "data_year", "period"])
    table = table.reset_index(drop=True)
    steps = table[table["current"]]
    previous = steps.groupby("family")[["period", "framework"]].shift(1)
    table["step"] = steps.groupby("family").cumcount().reindex(table.index)
    table["previous_period"] = previous["period"].reindex(table.index)
    table["previous_framework"] = previous["framework"].reindex(table.index)
    table.insert(0, "period_key", np.arange(len(table), dtype=np.int16))
    return table[["period_key", "family", "period", "data_year", "edition", "release_id", "framework", "step",
                  "previous_period", "previous_framework"]]


def dimensions(region: pd.DataFrame, releases: list[tuple[Sidecar, Observations]], release_rows: pd.DataFrame,
               release_indicator: pd.DataFrame) -> Dimensions:
    fams = families()
    indicator = pd.concat([f.indicators.assign(family=code) for code, f in fams.items()], ignore_index=True)
    concept = pd.concat([f.concepts.assign(family=code) for code, f in fams.items()], ignore_index=True)
    used = release_indicator.merge(release_rows[["release_id", "family"]], on="release_id")[["family", "concept"]]
    concept = pd.concat([concept, used], ignore_index=True).drop_duplicates(["family", "concept"])  # overrides
    concept = concept.sort_values(["family"], kind="stable").reset_index(drop=True)
    release = release_rows.sort_values(["family", "data_year_from", "edition"]).reset_index(drop=True)
    periods = pd.concat([release_periods(sc, obs) for sc, obs in releases] or
                        [pd.DataFrame(columns=["period", "data_year", "current", "family", "framework", "release_id",
                                               "edition"])], ignore_index=True)
    return Dimensions(
        region.assign(region_key=np.arange(len(region), dtype=np.int32)),
        indicator.assign(indicator_key=np.arange(len(indicator), dtype=np.int16)),
        concept.assign(concept_key=np.arange(len(concept), dtype=np.int16)),
        release.assign(release_key=np.arange(len(release), dtype=np.int16)),
        period_table(periods), release_indicator)


@dataclass
class ReleaseFacts:
    """One release's fact columns (NumPy, ranking order) and its source rows."""

    columns: dict[str, np.ndarray]
    sources: pd.DataFrame


def _source_rows(obs: Observations, release_key: int, offset: int) -> pd.DataFrame:
    rows = obs.rows
    files = rows["source_file"].astype(str)
    marker = files.map({f: ":r" if _PDF_PAGE_FILE.search(f) else ":" for f in files.unique()})
    return pd.DataFrame({
        "row_key": np.arange(offset, offset + len(rows), dtype=np.int32), "release_key": np.int16(release_key),
        "source_file": files, "source_row": rows["source_row"].astype("int32"),
        "source_ref": files + marker + rows["source_row"].astype(str), "raw_name": rows["raw_name"],
        "source_url": rows["source_url"], "basis": rows["basis"], "basis_note": rows["basis_note"]})


def release_facts(sc: Sidecar, obs: Observations, dims: Dimensions, offset: int) -> ReleaseFacts:
    """A release's observations with their keys and ranks, in ranking order (see the module docstring)."""
    release_key = int(dims.release.index[dims.release["release_id"] == sc.release_id][0])
    rows, slots = obs.rows, obs.slots.assign(family=sc.family)
    years = rows["data_year"].to_numpy(dtype=np.int16)
    labels = pd.DataFrame({"family": sc.family, "period": [sc.edition] * len(rows) if sc.data_year is not None
                           else years.astype(str)})
    region = dims.key("region", ["adcode", "level"], rows)
    indicator = dims.key("indicator", ["family", "code"], slots.rename(columns={"indicator": "code"}))
    concepts = slots.merge(dims.release_indicator[dims.release_indicator["release_id"] == sc.release_id],
                           on="indicator", how="left")
    catalogue = dims.indicator.iloc[indicator]
    level = rows["level"].map(LEVEL_ORDER).to_numpy()
    cell = {
        "period_key": dims.key("period", ["family", "period"], labels)[obs.row],
        "region_key": region[obs.row], "data_year": years[obs.row], "indicator_key": indicator[obs.slot],
        "concept_key": dims.key("concept", ["family", "concept"], concepts)[obs.slot],
        "scope_key": slots["scope"].map(SCOPES.index).to_numpy()[obs.slot],
        "row_key": (offset + obs.row).astype(np.int32),
        "is_restated": ((years != sc.data_year) if sc.data_year is not None else np.zeros(len(rows), bool))[obs.row],
        "value": obs.value, "rank_at_most": obs.rank_at_most}
    group = ((((cell["period_key"].astype(np.int64) * 4 + level[obs.row]) * 256 + (cell["data_year"] - 1900))
              * 65536 + cell["indicator_key"]) * 4 + cell["scope_key"])
    better = catalogue["higher_is_better"].to_numpy(dtype=bool)[obs.slot]
    order, ranks, computed = ordered(group, obs.rank, np.where(better, -obs.value, obs.value), cell["region_key"])
    cell = {name: values[order] for name, values in cell.items()}
    cell.update(release_key=np.full(len(order), release_key, np.int16), rank=ranks, rank_computed=computed)
    cell.update(_within(cell, group[order], dims, catalogue["kind"].to_numpy()[obs.slot][order]))
    return ReleaseFacts(cell, _source_rows(obs, release_key, offset))


def _within(cell: dict[str, np.ndarray], group: np.ndarray, dims: Dimensions, kind: np.ndarray
            ) -> dict[str, np.ndarray]:
    """Ranks within the province and the west, ranking sizes and total ranks (national, published periods,
    among the regions ranked in the same ranking)."""
    n = len(group)
    ranking = np.flatnonzero((cell["scope_key"] == NATIONAL) & ~cell["is_restated"] & ~np.isnan(cell["rank"]))
    regions = cell["region_key"][ranking]
    province = pd.factorize(dims.region["province_adcode"])[0].astype(np.uint8)[regions]
    west = dims.region["is_west"].to_numpy(dtype=bool)[regions]
    out = {name: np.full(n, np.nan) for name in ("province_rank", "province_ranked", "west_rank", "west_ranked",
                                                 "ranked", "total_rank")}
    ranks = cell["rank"][ranking]
    out["ranked"][ranking] = group_sizes(group[ranking])
    out["province_rank"][ranking], out["province_ranked"][ranking] = within(group[ranking], province, ranks)
    west_rows = ranking[west]
    out["west_rank"][west_rows], out["west_ranked"][west_rows] = within(group[west_rows], np.zeros(
        len(west_rows), np.uint8), ranks[west])
    totals = ranking[kind[ranking] == "total"]
    period_region = cell["period_key"].astype(np.int64) * len(dims.region) + cell["region_key"]
    best = pd.Series(cell["rank"][totals]).groupby(period_region[totals]).min()
    out["total_rank"] = best.reindex(period_region).to_numpy()
    return out


class Steps:
    """A family's ranks over its steps, filled release by release in time order: a dense (step, concept, region)
    array answers each ranked national row's previous rank, whether the previous step had the ranking at all
    and whether the region was ranked in an earlier year; at the end it gives the rank histories."""

    def __init__(self, family: str, dims: Dimensions):
        concepts = dims.concept[dims.concept["family"] == family]
        self.periods = dims.period[dims.period["family"] == family].dropna(subset=["step"]).sort_values("step")
        self.first_concept = int(concepts["concept_key"].min())
        self.step_of = dims.period["step"].to_numpy(dtype=float)
        self.year_of_step = self.periods["data_year"].to_numpy()
        self.level = dims.region["level"].map(LEVEL_ORDER).to_numpy()
        shape = (len(self.periods), len(concepts), len(dims.region))
        self.ranks = np.zeros(shape, np.int32)  # 0: not ranked
        self.held = np.zeros((shape[0], shape[1], len(LEVEL_ORDER)), bool)
        self.first = np.full(shape[1:], -1, np.int64)  # each concept × region's first step with a rank

    def add(self, cell: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The release's rows (in ranking order, so in step order): their step columns (NaN where not ranked)."""
        n = len(cell["rank"])
        out = {name: np.full(n, np.nan) for name in ("previous_rank", "previous_ranked", "ranked_before")}
        rows = np.flatnonzero((cell["scope_key"] == NATIONAL) & ~cell["is_restated"] & ~np.isnan(cell["rank"]))
        step = self.step_of[cell["period_key"][rows]].astype(np.int64)
        concept = cell["concept_key"][rows].astype(np.int64) - self.first_concept
        region = cell["region_key"][rows].astype(np.int64)
        level = self.level[region]
        self.ranks[step, concept, region] = cell["rank"][rows]
        self.held[step, concept, level] = True
        unset = np.flatnonzero(self.first[concept, region] < 0)[::-1]  # reversed: the earliest step is set last
        self.first[concept[unset], region[unset]] = step[unset]
        before = np.maximum(step - 1, 0)
        previous = np.where(step > 0, self.ranks[before, concept, region], 0)
        out["previous_rank"][rows] = np.where(previous > 0, previous, np.nan)
        out["previous_ranked"][rows] = (step > 0) & self.held[before, concept, level]
        out["ranked_before"][rows] = self.year_of_step[self.first[concept, region]] < self.year_of_step[step]
        return out

    def histories(self) -> tuple[pa.Table, pd.DataFrame]:
        """Per concept and region ranked in any step: its ranks over the steps that hold the ranking at its
        level (NULL where it was not ranked); and per concept and level, those steps' periods."""
        members = np.argwhere(self.first >= 0)  # (concept, region), in key order
        concept, region = members[:, 0], members[:, 1]
        mask = self.held[:, concept, self.level[region]].T  # members × steps: the steps that count for each
        values = self.ranks[:, concept, region].T[mask]
        offsets = np.r_[0, np.cumsum(mask.sum(axis=1))].astype(np.int32)
        table = pa.table({"concept_key": pa.array(concept + self.first_concept, pa.int16()),
                          "region_key": pa.array(region, pa.int32()),
                          "history": pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, mask=values == 0))})
        names = {v: k for k, v in LEVEL_ORDER.items()}
        periods = self.periods["period"].tolist()
        held = [{"concept_key": c + self.first_concept, "level": names[lv],
                 "history_periods": [p for p, h in zip(periods, self.held[:, c, lv], strict=True) if h]}
                for c, lv in zip(*np.nonzero(self.held.any(axis=0)), strict=True)]
        return table, pd.DataFrame(held, columns=["concept_key", "level", "history_periods"])


def arrow_facts(columns: dict[str, np.ndarray]) -> pa.Table:
    """The fact columns as Arrow (NaN as NULL), in the order of FACT_TYPES."""
    arrays = {}
    for name, kind in FACT_TYPES.items():
        values = columns[name]
        missing = np.isnan(values) if values.dtype.kind == "f" else None
        if missing is not None and kind != pa.float64():
            values = np.where(missing, 0, values)
        arrays[name] = pa.array(values.astype(kind.to_pandas_dtype(), copy=False), kind, mask=missing)
    return pa.table(arrays)


@dataclass
class Facts:
    """Everything `observation_data`, `observation_source` and the rank histories hold."""

    table: pa.Table
    sources: pd.DataFrame
    histories: pa.Table
    history_periods: pd.DataFrame


def storage_order(table: pa.Table) -> pa.Table:
    """The releases' rows (each in ranking order, releases in time order) in storage order: by block of
    REGION_BLOCK regions, then release, then ranking order (a stable radix sort on the block), as one chunk."""
    blocks = (table.column("region_key").to_numpy() // REGION_BLOCK).astype(np.uint16)
    return table.take(np.argsort(blocks, kind="stable")).combine_chunks()


def build_facts(releases: list[tuple[Sidecar, Observations]], dims: Dimensions) -> Facts:
    """Every release's facts, release by release in time order (each family's steps follow on)."""
    first_period = dims.period.groupby("release_id")["period_key"].min()
    offsets = np.cumsum([0] + [len(obs.rows) for _, obs in releases])
    parts, sources, steps = [], [], {}
    for (sc, obs), offset in sorted(zip(releases, offsets, strict=False),
                                    key=lambda item: first_period.get(item[0][0].release_id, 0)):
        part = release_facts(sc, obs, dims, int(offset))
        if sc.family not in steps:
            steps[sc.family] = Steps(sc.family, dims)
        parts.append(arrow_facts({**part.columns, **steps[sc.family].add(part.columns)}))
        sources.append(part.sources)
    histories = [family.histories() for family in steps.values()]
    # One chunk: DuckDB then writes the rows straight into compressed row groups, in parallel and in order
    # (from many chunks it keeps them in memory and compresses them at the checkpoint, on one thread).
    table = storage_order(pa.concat_tables(parts)) if parts else pa.schema(FACT_TYPES).empty_table()
    return Facts(table,
                 pd.concat(sources, ignore_index=True) if sources else pd.DataFrame(columns=SOURCE_COLUMNS),
                 pa.concat_tables([t for t, _ in histories] or [HISTORY_SCHEMA.empty_table()]),
                 pd.concat([p for _, p in histories] or [pd.DataFrame(columns=["concept_key", "level",
                                                                                "history_periods"])],
                           ignore_index=True))
