"""All SQL of the dashboard (and notebooks): read-only DuckDB, a cursor per query, parameterised SQL only.

The ETL publishes by renaming a new file over the old one. Each script run of the app pins the file it
starts with (`pin()`), so every query of one view reads the same version even if a new file lands
mid-run; the next run sees the new file. Results are cached per file version; entries of older versions
are dropped when a newer one is seen, and so are their connections.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from etl import export
from etl.paths import WAREHOUSE_PATH

REGION_GROUPS = ("east", "central", "west", "northeast")
LEVELS = ("city", "province", "county")
CACHE_ENTRIES = 512
CACHE_BYTES = 64 * 2**20  # results kept per process; bigger ones (whole-family extracts) are never cached
CACHE_ITEM_BYTES = 8 * 2**20
# The reader's DuckDB buffer pool: the server stays small with many sessions (queries read a few row groups).
READER_SETTINGS = {"memory_limit": "256MB", "threads": 2, "disabled_optimizers": "join_filter_pushdown"}


class WarehouseMissing(RuntimeError):
    pass


Version = tuple[int, int]  # (inode, mtime): a renamed-in file is a new inode


@dataclass(frozen=True)
class Snapshot:
    """One version of the warehouse file and a read-only connection to exactly that version."""

    path: Path
    version: Version
    con: duckdb.DuckDBPyConnection = field(compare=False, hash=False, repr=False)


class Warehouse:
    """A read-only view of the warehouse file that follows atomic replacements of the file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    def version(self) -> Version:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise WarehouseMissing(f"no warehouse at {self.path}: run `python -m etl build` first") from None
        return st.st_ino, st.st_mtime_ns

    def snapshot(self) -> Snapshot:
        """The current file, opened once per version.

        DuckDB shares one database instance per path within a process, so connecting to the same path again
        would return the old file after a rename. Each version is therefore opened through a hard link of its
        own (removed right after connecting): the connection is pinned to exactly that inode.
        """
        with self._lock:
            if self._snapshot and self._snapshot.version == self.version():
                return self._snapshot
            self._remove_stale_links()
            link = self.path.with_name(f".{self.path.name}.reader-{os.getpid()}-{uuid.uuid4().hex[:8]}")
            try:
                os.link(self.path, link)
            except FileNotFoundError:
                raise WarehouseMissing(f"no warehouse at {self.path}: run `python -m etl build` first") from None
            try:
                st = os.stat(link)
                con = duckdb.connect(str(link), read_only=True, config=READER_SETTINGS)
            finally:
                link.unlink(missing_ok=True)
            self._snapshot = Snapshot(self.path, (st.st_ino, st.st_mtime_ns), con)
            return self._snapshot

    def _remove_stale_links(self) -> None:
        """Links left by a reader process that died between linking and unlinking."""
        for link in self.path.parent.glob(f".{self.path.name}.reader-*"):
            pid = link.name.rsplit("reader-", 1)[1].split("-")[0]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                link.unlink(missing_ok=True)


_WAREHOUSES: dict[Path, Warehouse] = {}
_PINNED = threading.local()
_CACHE: OrderedDict[tuple, tuple[pd.DataFrame, int]] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def warehouse(path: Path | None = None) -> Warehouse:
    path = Path(path or os.environ.get("INDEX_WAREHOUSE", WAREHOUSE_PATH))
    return _WAREHOUSES.setdefault(path, Warehouse(path))


def pin(path: Path | None = None) -> Snapshot:
    """Use the current file for every query of this thread's run (the app calls this at the top of a run)."""
    _PINNED.snapshot = warehouse(path).snapshot()
    return _PINNED.snapshot


def _snapshot(path: Path | None) -> Snapshot:
    wh = warehouse(path)
    pinned = getattr(_PINNED, "snapshot", None)
    return pinned if pinned is not None and pinned.path == wh.path else wh.snapshot()


def _run(snap: Snapshot, sql: str, params: tuple) -> tuple[pd.DataFrame, int]:
    """The result and its size in bytes (Arrow's, before conversion)."""
    cursor = snap.con.cursor()
    try:
        # Through Arrow: several times faster than .df() for text columns (no Python str per cell).
        table = cursor.sql(sql, params=[list(p) if isinstance(p, tuple) else p for p in params]).to_arrow_table()
    finally:
        cursor.close()
    return _frame(table), table.nbytes


# As DuckDB's .df() does: integers and booleans with gaps become pandas' nullable types (a missing rank stays
# <NA>, never 8.0 next to NaN); columns without gaps stay numpy.
_NULLABLE = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
             pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}


def _frame(table: pa.Table) -> pd.DataFrame:
    frame = table.to_pandas(date_as_object=False)
    for name, column in zip(table.column_names, table.columns, strict=True):
        if column.null_count and column.type in _NULLABLE:
            frame[name] = column.to_pandas(types_mapper=_NULLABLE.get)
    return frame


def fetch(sql: str, params: Sequence = (), path: Path | None = None, cache: bool = True) -> pd.DataFrame:
    """Run a query against the pinned (or current) file, cached per file version; returns a copy."""
    snap = _snapshot(path)
    key = (snap.path, snap.version, sql, tuple(tuple(p) if isinstance(p, list) else p for p in params))
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit[0].copy()
    frame, size = _run(snap, sql, key[3])
    if not cache or size > CACHE_ITEM_BYTES:
        return frame
    with _CACHE_LOCK:
        newest = max((k[1][1] for k in _CACHE if k[0] == snap.path), default=snap.version[1])
        if snap.version[1] >= newest:  # a newer file (by mtime) makes older entries and their connections garbage
            for stale in [k for k in _CACHE if k[0] == snap.path and k[1] != snap.version]:
                del _CACHE[stale]
            _CACHE[key] = (frame, size)
            while len(_CACHE) > CACHE_ENTRIES or sum(n for _, n in _CACHE.values()) > CACHE_BYTES:
                _CACHE.popitem(last=False)
    return frame.copy()


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


# ---------------------------------------------------------------- catalogue

def families() -> pd.DataFrame:
    """Families with releases, oldest first, with their catalogue notes and what kinds of figures they hold."""
    return fetch("""
        SELECT f.code AS family, f.name_zh, f.name_en, f.short_zh, f.short_en, f.publisher, f.publisher_en,
               f.comparable_values,
               f.caveats, f.methodology_zh, f.methodology_en, s.* EXCLUDE (family),
               count(DISTINCT r.release_id) AS releases
        FROM family f JOIN release r ON r.family = f.code JOIN family_summary s ON s.family = f.code
        GROUP BY ALL ORDER BY min(r.published)""")


def periods(family: str) -> pd.DataFrame:
    """The time steps of a family: editions (one-year releases) or data years (multi-year panels)."""
    return fetch("""
        SELECT DISTINCT k.period, k.data_year, k.edition, k.release_id, k.framework, r.title, r.title_en,
               r.published
        FROM release_summary k JOIN release r USING (release_id)
        WHERE k.family = ?
        ORDER BY k.data_year""", [family])


def indicators(family: str, period: str | None = None, level: str | None = None) -> pd.DataFrame:
    """Indicators with data in a family (optionally one period and level), in catalogue order."""
    return fetch("""
        SELECT i.code AS indicator, i.name_zh, i.name_en, i.kind, i.parent, i.sort, i.higher_is_better,
               sum(k.n_regions)::BIGINT AS n_regions, sum(k.n_ranked)::BIGINT AS n_ranked,
               sum(k.n_banded)::BIGINT AS n_banded, max(k.worst_rank) AS worst_rank, max(k.worst_band) AS worst_band,
               max(k.coverage) AS coverage
        FROM indicator i JOIN release_summary k ON k.family = i.family AND k.indicator = i.code
        WHERE i.family = ? AND (? IS NULL OR k.period = ?) AND (? IS NULL OR k.level = ?) AND k.scope = 'national'
        GROUP BY ALL ORDER BY i.sort""", [family, period, period, level, level])


def levels(family: str) -> list[str]:
    frame = fetch("SELECT DISTINCT level FROM release_summary WHERE family = ? ORDER BY level", [family])
    return [lv for lv in LEVELS if lv in set(frame["level"])]


def regions(level: str | None = None) -> pd.DataFrame:
    return fetch("""
        SELECT adcode, level, name_zh, short_zh, name_en, province_adcode, province_zh, province_short_zh,
               province_en, economic_region, is_west, valid_from, valid_to, has_boundary
        FROM region WHERE (? IS NULL OR level = ?) ORDER BY adcode""", [level, level])


def regions_with_data(family: str, level: str) -> pd.DataFrame:
    """Regions the family has any observation for, at this level (for pickers)."""
    return fetch("""
        SELECT g.adcode, g.name_zh, g.short_zh, g.name_en, g.is_west
        FROM region_coverage c JOIN region g USING (adcode, level)
        WHERE c.level = ? AND c.family = ?
        ORDER BY g.adcode""", [level, family])


def resolve_names(names: Sequence[str], level: str) -> list[str]:
    """Adcodes for names typed by users or found in URLs (full, short, English, alias, traditional)."""
    if not names:
        return []
    frame = fetch("""
        SELECT DISTINCT n.name, a.adcode FROM unnest(?) AS n(name)
        JOIN (SELECT alias AS label, adcode, level FROM region_alias
              UNION ALL SELECT lower(name_en), adcode, level FROM region) a
          ON a.level = ? AND (a.label = trim(n.name) OR a.label = lower(trim(n.name)))""",
                  [list(names), level])
    order = {n: i for i, n in enumerate(names)}
    frame["order"] = frame["name"].map(order)
    return frame.sort_values("order")["adcode"].drop_duplicates().tolist()


# ---------------------------------------------------------------- rankings

_FILTER = """
    AND (? = 'all' OR k.economic_region = ?)
    AND (? IS NULL OR k.province_adcode = ?)
    AND (len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], k.adcode))"""


def _filter_params(region: str, province: str | None, adcodes: Sequence[str]) -> list:
    return [region, region, province, province, list(adcodes), list(adcodes)]


def ranking(family: str, period: str, indicator: str, level: str, region: str = "all",
            province: str | None = None, adcodes: Sequence[str] = ()) -> pd.DataFrame:
    """One period's national ranking with Δrank against the previous period of the same concept and the
    rank history (for sparklines). Rows in reading order: exact ranks, each band ('top N') after the exact ranks
    up to N, then value-only rows."""
    return fetch(f"""
        WITH hist AS (
            SELECT adcode, history, history_periods FROM rank_history_data
            WHERE family = ? AND level = ? AND concept = ?)
        SELECT k.rank, k.rank_at_most, k.region_zh, k.region_short_zh, k.region_en, k.adcode, k.province_zh,
               k.province_en, k.economic_region, k.is_west, k.value, c.previous_rank, c.previous_period,
               c.rank_change, c.framework_changed, c.previous_ranked, c.ranked_before, h.history,
               h.history_periods, k.basis, k.basis_note, k.rank_source,
               k.source_url, k.source_ref, k.indicator, k.indicator_zh, k.indicator_en, k.period, k.data_year,
               k.edition, k.release_id
        FROM rankings k
        LEFT JOIN rank_changes_data c ON c.family = k.family AND c.level = k.level AND c.adcode = k.adcode
             AND c.period = k.period AND c.indicator = k.indicator
        LEFT JOIN hist h ON h.adcode = k.adcode
        WHERE k.family = ? AND k.period = ? AND k.indicator = ? AND k.level = ? AND k.scope = 'national'
              AND NOT k.is_restated {_FILTER}
        ORDER BY coalesce(k.rank, k.rank_at_most + 0.5) NULLS LAST, k.value DESC NULLS LAST, k.adcode""",
                 [family, level, period_concept(family, period, indicator), family, period, indicator, level,
                  *_filter_params(region, province, adcodes)])


def period_concept(family: str, period: str, indicator: str) -> str:
    """The concept an indicator stands for in one period (renamed indicators share one)."""
    frame = fetch("SELECT ri.concept FROM release_summary s JOIN release_indicator ri USING (release_id, indicator) "
                  "WHERE s.family = ? AND s.period = ? AND s.indicator = ? LIMIT 1", [family, period, indicator])
    return frame["concept"].iloc[0] if len(frame) else indicator


def ranking_periods(family: str, level: str) -> dict[str, set[str]]:
    """Per concept, the periods that hold its national ranking at this level: a region missing from one of them
    is a gap in its history, not a period to skip."""
    frame = fetch("""
        SELECT DISTINCT ri.concept, s.period
        FROM release_summary s JOIN release_indicator ri USING (release_id, indicator)
        WHERE s.family = ? AND s.level = ? AND s.scope = 'national' AND s.n_ranked > 0""", [family, level])
    return {c: set(g["period"]) for c, g in frame.groupby("concept")}


def concept_of(family: str, indicator: str) -> str:
    frame = fetch("SELECT concept FROM release_indicator ri JOIN release r USING (release_id) "
                  "WHERE r.family = ? AND ri.indicator = ? ORDER BY r.data_year_to DESC LIMIT 1", [family, indicator])
    return frame["concept"].iloc[0] if len(frame) else indicator


def rank_history(family: str, indicator: str, level: str, adcodes: Sequence[str] = (),
                 region: str = "all", province: str | None = None) -> pd.DataFrame:
    """Ranks across periods of the indicator's concept (renamed indicators linked), national scope, one row
    per region × period. With no adcodes: every region ranked in any period (callers pick the top ones)."""
    return fetch(f"""
        SELECT k.period, k.data_year, k.edition, k.framework, k.adcode, k.region_zh, k.region_short_zh,
               k.region_en, k.province_zh, k.is_west, k.economic_region, k.indicator, k.indicator_zh,
               k.indicator_en, k.rank, k.value, k.basis, k.rank_source, k.source_url
        FROM rankings k
        WHERE k.family = ? AND k.level = ? AND k.scope = 'national' AND NOT k.is_restated AND k.rank IS NOT NULL
              AND k.concept = ? {_FILTER}
        ORDER BY k.adcode, k.data_year""",
                 [family, level, concept_of(family, indicator), *_filter_params(region, province, adcodes)])


def map_values(family: str, period: str, indicator: str, level: str) -> pd.DataFrame:
    """Every region of the level (so unpublished ones can be drawn grey), with its rank and value if any."""
    return fetch("""
        SELECT g.adcode, g.name_zh AS region_zh, g.short_zh AS region_short_zh, g.name_en AS region_en,
               g.province_adcode, g.province_zh, g.province_en, g.economic_region, g.is_west, g.has_boundary,
               k.rank, k.rank_at_most, k.value, k.rank_source, k.basis, k.source_url, k.release_id,
               k.rank IS NOT NULL OR k.value IS NOT NULL OR k.rank_at_most IS NOT NULL AS published
        FROM region g
        LEFT JOIN rankings k ON k.adcode = g.adcode AND k.level = g.level AND k.family = ? AND k.period = ?
             AND k.indicator = ? AND k.scope = 'national' AND NOT k.is_restated
        WHERE g.level = ? AND (g.valid_to IS NULL OR k.adcode IS NOT NULL)
        ORDER BY g.adcode""", [family, period, indicator, level])


def period_changes(family: str, period: str, indicator: str, level: str, region: str = "all",
                   province: str | None = None, adcodes: Sequence[str] = ()) -> pd.DataFrame:
    """Rank changes into `period` for the indicator's concept (climbers first)."""
    return fetch(f"""
        SELECT c.adcode, k.name_zh AS region_zh, k.short_zh AS region_short_zh, k.name_en AS region_en,
               k.province_zh, k.is_west, k.economic_region,
               c.rank, c.previous_rank, c.rank_change, c.previous_period, c.framework_changed, c.period
        FROM rank_changes_data c
        JOIN region k ON k.adcode = c.adcode AND k.level = c.level
        WHERE c.family = ? AND c.period = ? AND c.level = ? AND c.concept = ? {_FILTER}
        ORDER BY c.rank_change DESC NULLS LAST, c.rank""",
                 [family, period, level, period_concept(family, period, indicator),
                  *_filter_params(region, province, adcodes)])


def slope(family: str, indicator: str, level: str, start: str, end: str, region: str = "all",
          province: str | None = None, adcodes: Sequence[str] = ()) -> pd.DataFrame:
    """Ranks of the indicator's concept in two periods, side by side (regions ranked in both or either)."""
    return fetch(f"""
        WITH r AS (
            SELECT k.* FROM rankings k
            WHERE k.family = ? AND k.level = ? AND k.scope = 'national' AND NOT k.is_restated
                  AND k.rank IS NOT NULL AND k.concept = ? {_FILTER})
        SELECT coalesce(a.adcode, b.adcode) AS adcode, coalesce(a.region_zh, b.region_zh) AS region_zh,
               coalesce(a.region_short_zh, b.region_short_zh) AS region_short_zh,
               coalesce(a.region_en, b.region_en) AS region_en, coalesce(a.is_west, b.is_west) AS is_west,
               a.rank AS start_rank, b.rank AS end_rank, a.rank - b.rank AS rank_change,
               coalesce(b.rank_source, a.rank_source) AS rank_source
        FROM (SELECT * FROM r WHERE period = ?) a FULL JOIN (SELECT * FROM r WHERE period = ?) b USING (adcode)
        ORDER BY end_rank NULLS LAST, start_rank""",
                 [family, level, concept_of(family, indicator), *_filter_params(region, province, adcodes), start, end])


def subindicator_ranks(family: str, period: str, level: str, kinds: Sequence[str], region: str = "all",
                       province: str | None = None, adcodes: Sequence[str] = ()) -> pd.DataFrame:
    """Ranks (and values) of every sub-indicator of the given kinds in one period, one row per region × indicator."""
    return fetch(f"""
        SELECT k.adcode, k.region_zh, k.region_short_zh, k.region_en, k.province_zh, k.is_west, k.economic_region,
               k.indicator, k.indicator_zh, k.indicator_en, k.indicator_kind, k.indicator_parent,
               k.indicator_sort AS sort, k.rank, k.rank_at_most, k.value, k.basis, k.rank_source, k.source_url,
               k.total_rank, k.release_id
        FROM rankings k
        WHERE k.family = ? AND k.period = ? AND k.level = ? AND k.scope = 'national' AND NOT k.is_restated
              AND list_contains(?::VARCHAR[], k.indicator_kind) {_FILTER}
        ORDER BY k.indicator_sort, coalesce(k.rank, k.rank_at_most + 0.5) NULLS LAST""",
                 [family, period, level, list(kinds), *_filter_params(region, province, adcodes)])


def region_rows(family: str, adcode: str, level: str) -> pd.DataFrame:
    """Everything the family published about one region, with ranks within its province and the west
    (precomputed at publish time among the regions ranked nationally in the same ranking)."""
    return fetch("""
        SELECT k.period, k.data_year, k.edition, k.framework, k.indicator, k.indicator_zh, k.indicator_en,
               k.indicator_kind, k.concept, k.concept_zh, k.concept_en, k.indicator_sort AS sort, k.scope, k.rank,
               k.rank_at_most, k.value, k.rank_source, k.basis, k.basis_note, k.source_url, k.source_ref,
               k.is_restated, k.is_west, k.release_id,
               k.province_rank, k.province_ranked, k.west_rank, k.west_ranked, k.ranked
        FROM rankings k
        WHERE k.family = ? AND k.adcode = ? AND k.level = ?
        ORDER BY k.data_year, k.indicator_sort, k.scope""", [family, adcode, level])


def compare(family: str, period: str, level: str, adcodes: Sequence[str]) -> pd.DataFrame:
    """Every indicator of one period for the chosen regions (national scope)."""
    return fetch("""
        SELECT k.adcode, k.region_zh, k.region_short_zh, k.region_en, k.is_west, k.indicator, k.indicator_zh,
               k.indicator_en, k.indicator_kind, k.indicator_sort AS sort, k.rank, k.rank_at_most, k.value, k.basis,
               k.rank_source, k.source_url, k.release_id
        FROM rankings k
        WHERE k.family = ? AND k.period = ? AND k.level = ? AND k.scope = 'national' AND NOT k.is_restated
              AND list_contains(?::VARCHAR[], k.adcode)
        ORDER BY k.indicator_sort, coalesce(k.rank, k.rank_at_most + 0.5) NULLS LAST""",
                 [family, period, level, list(adcodes)])


def regions_history(family: str, level: str, adcodes: Sequence[str], kinds: Sequence[str]) -> pd.DataFrame:
    """The regions' national figures in every period for indicators of the given kinds (compare over time)."""
    return fetch("""
        SELECT k.adcode, k.region_zh, k.region_short_zh, k.region_en, k.is_west, k.period, k.data_year, k.framework,
               k.indicator, k.indicator_zh, k.indicator_en, k.indicator_kind, k.indicator_sort AS sort, k.concept,
               k.concept_zh, k.concept_en, k.rank, k.rank_at_most, k.value, k.rank_source, k.release_id
        FROM rankings k
        WHERE k.family = ? AND k.level = ? AND k.scope = 'national' AND NOT k.is_restated
              AND list_contains(?::VARCHAR[], k.adcode) AND list_contains(?::VARCHAR[], k.indicator_kind)
        ORDER BY k.indicator_sort, k.adcode, k.data_year""", [family, level, list(adcodes), list(kinds)])


_EXTRACT_WHERE = f"""
        WHERE k.family = ? AND (? IS NULL OR k.period = ?) AND (? IS NULL OR k.indicator = ?)
              AND (? IS NULL OR k.level = ?) {_FILTER}"""


def _extract_params(family: str, period: str | None, indicator: str | None, level: str | None, region: str,
                    province: str | None, adcodes: Sequence[str]) -> list:
    return [family, period, period, indicator, indicator, level, level, *_filter_params(region, province, adcodes)]


def extract(family: str, period: str | None = None, indicator: str | None = None, level: str | None = None,
            region: str = "all", province: str | None = None, adcodes: Sequence[str] = ()) -> pd.DataFrame:
    """The public view's rows for downloads: the whole family, or filtered like the explorer. Not cached (it
    runs when a download is clicked, and a whole family can be millions of rows)."""
    return fetch(f"""
        SELECT k.family, k.release_id, k.edition, k.data_year, k.period, k.adcode, k.region_zh, k.region_en,
               k.level, k.province_zh, k.province_en, k.economic_region, k.is_west, k.indicator, k.indicator_zh,
               k.indicator_en, k.concept, k.value, k.rank, k.rank_at_most, k.rank_source, k.scope, k.basis,
               k.basis_note, k.source_url, k.source_ref, k.is_restated
        FROM rankings k {_EXTRACT_WHERE}
        ORDER BY k.data_year, k.indicator, k.level, k.scope, k.rank NULLS LAST, k.adcode""",
                 _extract_params(family, period, indicator, level, region, province, adcodes), cache=False)


def extract_releases(family: str, period: str | None = None, indicator: str | None = None,
                     level: str | None = None, region: str = "all", province: str | None = None,
                     adcodes: Sequence[str] = ()) -> pd.DataFrame:
    """The releases `extract` would return rows of with the same arguments, and how many rows of each."""
    return fetch(f"SELECT k.release_id, count(*) AS n FROM rankings k {_EXTRACT_WHERE} GROUP BY ALL ORDER BY ALL",
                 _extract_params(family, period, indicator, level, region, province, adcodes))


# ---------------------------------------------------------------- provenance

def releases(family: str | None = None) -> pd.DataFrame:
    """Releases with their provenance (and their family's publisher, which attributions name)."""
    return fetch("""
        SELECT r.release_id, r.family, r.edition, r.data_year, r.data_year_from, r.data_year_to, r.title, r.title_en,
               r.publisher, r.publisher_en, f.publisher AS family_publisher, f.publisher_en AS family_publisher_en,
               r.published, r.source_urls, r.citation, r.terms, r.framework, r.notes, r.format, r.raw_file,
               r.raw_sha256, r.sidecar_file, r.observation_count, r.loaded_at
        FROM release r JOIN family f ON f.code = r.family
        WHERE (? IS NULL OR r.family = ?) ORDER BY r.family, r.published, r.edition""", [family, family])


def etl_runs() -> pd.DataFrame:
    return fetch("""
        SELECT run_id, command, started_at, finished_at, status, row_counts, warnings, message
        FROM etl_run ORDER BY started_at DESC""")


def parquet_export(family: str) -> tuple[str, Callable[[], bytes]]:
    """The name and loader of the family's Parquet export (etl.export, as a zip), of the warehouse version this
    run reads: taken now, so the file matches the page and its name even if the ETL publishes before the click."""
    built = fetch("SELECT value FROM warehouse_info WHERE key = 'built_at'")["value"].iloc[0]
    name = f"{family}_parquet_{pd.Timestamp(built):%Y%m%d-%H%M%S}"
    return name, partial(_parquet_zip, _snapshot(None), family, name)


def _parquet_zip(snap: Snapshot, family: str, name: str) -> bytes:
    cursor = snap.con.cursor()  # a connection of its own: the download runs in a worker thread
    try:
        return export.zip_bytes(cursor, name, family)
    finally:
        cursor.close()


# ---------------------------------------------------------------- index families side by side

_NATIONAL_RANKS = """
    SELECT adcode, region_zh, region_short_zh, region_en, is_west, economic_region, rank, rank_source, release_id
    FROM rankings
    WHERE family = ? AND period = ? AND indicator = ? AND level = ? AND scope = 'national' AND NOT is_restated
          AND rank IS NOT NULL"""


def paired_ranks(a: tuple[str, str, str], b: tuple[str, str, str], level: str) -> pd.DataFrame:
    """The regions both rankings rank, (family, period, indicator) each: their national rank in A and in B."""
    return fetch(f"""
        WITH a AS ({_NATIONAL_RANKS}), b AS ({_NATIONAL_RANKS})
        SELECT a.adcode, a.region_zh, a.region_short_zh, a.region_en, a.is_west, a.economic_region,
               a.rank AS rank_a, b.rank AS rank_b, b.rank - a.rank AS gap, a.rank_source AS rank_source_a,
               b.rank_source AS rank_source_b, a.release_id AS release_a, b.release_id AS release_b
        FROM a JOIN b USING (adcode)
        ORDER BY a.rank, a.adcode""", [*a, level, *b, level])


def agreement(a: tuple[str, str, str], b: tuple[str, str, str], level: str) -> pd.Series:
    """How two rankings agree over the regions both rank: n, Spearman's ρ (the Pearson correlation of the ranks
    re-ranked within the overlap, ties sharing their average rank) and Kendall's τ-b (concordant minus
    discordant pairs, corrected for ties)."""
    frame = fetch(f"""
        WITH a AS ({_NATIONAL_RANKS}), b AS ({_NATIONAL_RANKS}),
        pair AS (SELECT a.adcode, a.rank AS ra, b.rank AS rb FROM a JOIN b USING (adcode)),
        ranked AS (
            SELECT adcode, ra, rb,
                   rank() OVER (ORDER BY ra) + (count(*) OVER (PARTITION BY ra) - 1) / 2.0 AS xa,
                   rank() OVER (ORDER BY rb) + (count(*) OVER (PARTITION BY rb) - 1) / 2.0 AS xb
            FROM pair),
        pairs AS (
            SELECT sign(x.ra - y.ra) * sign(x.rb - y.rb) AS s, x.ra = y.ra AS tied_a, x.rb = y.rb AS tied_b
            FROM pair x JOIN pair y ON x.adcode < y.adcode)
        SELECT (SELECT count(*) FROM pair) AS n, (SELECT corr(xa, xb) FROM ranked) AS rho,
               sum(s) / sqrt((count(*) - count(*) FILTER (WHERE tied_a))
                             * (count(*) - count(*) FILTER (WHERE tied_b))) AS tau
        FROM pairs""", [*a, level, *b, level])
    return frame.iloc[0]


def cross_history(families: Sequence[str], level: str, adcodes: Sequence[str]) -> pd.DataFrame:
    """The regions' national total-index ranks in each family, by data year (editions and panels on one axis)."""
    return fetch("""
        SELECT k.family, k.framework, k.edition, k.period, k.data_year, k.adcode, k.region_zh, k.region_short_zh,
               k.region_en, k.indicator, k.indicator_zh, k.indicator_en, k.rank, k.rank_source, k.release_id
        FROM rankings k
        WHERE list_contains(?::VARCHAR[], k.family) AND k.level = ? AND k.indicator_kind = 'total'
              AND k.scope = 'national' AND NOT k.is_restated AND k.rank IS NOT NULL
              AND list_contains(?::VARCHAR[], k.adcode)
        ORDER BY k.family, k.adcode, k.data_year""", [list(families), level, list(adcodes)])
