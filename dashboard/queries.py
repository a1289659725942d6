"""All SQL of the dashboard (and notebooks): read-only DuckDB, a cursor per query, parameterised SQL only.

A new warehouse file (the ETL renames a fresh file over the old one) is noticed on the next query: the
connection is reopened and cached results of the old file are no longer used, because every cache key
includes the file's identity.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from etl.paths import WAREHOUSE_PATH

REGION_GROUPS = ("east", "central", "west", "northeast")
LEVELS = ("city", "province")


class WarehouseMissing(RuntimeError):
    pass


class Warehouse:
    """A read-only view of the warehouse file that follows atomic replacements of the file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._version: tuple[int, int] | None = None

    def version(self) -> tuple[int, int]:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise WarehouseMissing(f"no warehouse at {self.path}: run `python -m etl build` first") from None
        return st.st_ino, st.st_mtime_ns

    def _connection(self, version: tuple[int, int]) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._con is None or version != self._version:
                # The old connection is left to the garbage collector: other threads may still be reading it.
                self._con = duckdb.connect(str(self.path), read_only=True)
                self._version = version
            return self._con

    def query(self, sql: str, params: Sequence | dict | None = None) -> tuple[tuple[int, int], pd.DataFrame]:
        version = self.version()
        cursor = self._connection(version).cursor()
        try:
            return version, cursor.execute(sql, params or []).df()
        finally:
            cursor.close()


_WAREHOUSES: dict[Path, Warehouse] = {}


def warehouse(path: Path | None = None) -> Warehouse:
    path = Path(path or os.environ.get("INDEX_WAREHOUSE", WAREHOUSE_PATH))
    return _WAREHOUSES.setdefault(path, Warehouse(path))


@lru_cache(maxsize=1024)
def _cached(path: Path, version: tuple[int, int], sql: str, params: tuple) -> pd.DataFrame:
    _, frame = warehouse(path).query(sql, [list(p) if isinstance(p, tuple) else p for p in params])
    return frame


def fetch(sql: str, params: Sequence = (), path: Path | None = None) -> pd.DataFrame:
    """Run a query against the current warehouse file, cached per file version; returns a copy."""
    wh = warehouse(path)
    key = tuple(tuple(p) if isinstance(p, list) else p for p in params)
    return _cached(wh.path, wh.version(), sql, key).copy()


def warehouse_version(path: Path | None = None) -> tuple[int, int]:
    return warehouse(path).version()


# ---------------------------------------------------------------- catalogue

def families() -> pd.DataFrame:
    return fetch("""
        SELECT f.code AS family, f.name_zh, f.name_en, f.publisher, count(DISTINCT r.release_id) AS releases
        FROM family f JOIN release r ON r.family = f.code
        GROUP BY ALL ORDER BY min(r.published)""")


def periods(family: str) -> pd.DataFrame:
    """The time steps of a family: editions (one-year releases) or data years (multi-year panels)."""
    return fetch("""
        SELECT DISTINCT k.period, k.data_year, k.edition, k.release_id, k.framework, r.title, r.title_en,
               r.published
        FROM rankings k JOIN release r USING (release_id)
        WHERE k.family = ? AND NOT k.is_restated
        ORDER BY k.data_year""", [family])


def indicators(family: str, period: str | None = None, level: str | None = None) -> pd.DataFrame:
    """Indicators with data in a family (optionally one period and level), in catalogue order."""
    return fetch("""
        SELECT i.code AS indicator, i.name_zh, i.name_en, i.kind, i.parent, i.sort, i.higher_is_better,
               count(k.adcode) AS n_regions, count(k.rank) AS n_ranked
        FROM indicator i JOIN rankings k ON k.family = i.family AND k.indicator = i.code
        WHERE i.family = ? AND (? IS NULL OR k.period = ?) AND (? IS NULL OR k.level = ?)
              AND k.scope = 'national' AND NOT k.is_restated
        GROUP BY ALL ORDER BY i.sort""", [family, period, period, level, level])


def levels(family: str) -> list[str]:
    frame = fetch("SELECT DISTINCT level FROM rankings WHERE family = ? ORDER BY level", [family])
    return [lv for lv in LEVELS if lv in set(frame["level"])]


def regions(level: str | None = None) -> pd.DataFrame:
    return fetch("""
        SELECT adcode, level, name_zh, short_zh, name_en, province_adcode, province_zh, province_short_zh,
               province_en, economic_region, is_west, valid_from, valid_to, has_boundary
        FROM region WHERE (? IS NULL OR level = ?) ORDER BY adcode""", [level, level])


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
    rank history (for sparklines). Rows are ordered by rank; unranked (value-only) rows last."""
    return fetch(f"""
        WITH hist AS (
            SELECT adcode, list(rank ORDER BY data_year) AS history, list(period ORDER BY data_year) AS history_periods
            FROM rank_changes WHERE family = ? AND level = ?
              AND concept = (SELECT concept FROM rankings WHERE family = ? AND period = ? AND indicator = ? LIMIT 1)
            GROUP BY adcode)
        SELECT k.rank, k.region_zh, k.region_short_zh, k.region_en, k.adcode, k.province_zh, k.province_en,
               k.economic_region, k.is_west, k.value, c.previous_rank, c.previous_period, c.rank_change,
               c.framework_changed, h.history, h.history_periods, k.basis, k.basis_note, k.rank_source,
               k.source_url, k.source_ref, k.indicator, k.indicator_zh, k.indicator_en, k.period, k.data_year,
               k.edition, k.release_id
        FROM rankings k
        LEFT JOIN rank_changes c ON c.family = k.family AND c.level = k.level AND c.adcode = k.adcode
             AND c.period = k.period AND c.indicator = k.indicator
        LEFT JOIN hist h ON h.adcode = k.adcode
        WHERE k.family = ? AND k.period = ? AND k.indicator = ? AND k.level = ? AND k.scope = 'national'
              AND NOT k.is_restated {_FILTER}
        ORDER BY k.rank NULLS LAST, k.value DESC NULLS LAST, k.adcode""",
                 [family, level, family, period, indicator, family, period, indicator, level,
                  *_filter_params(region, province, adcodes)])


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
               k.rank, k.value, k.rank_source, k.basis, k.source_url,
               k.rank IS NOT NULL OR k.value IS NOT NULL AS published
        FROM region g
        LEFT JOIN rankings k ON k.adcode = g.adcode AND k.level = g.level AND k.family = ? AND k.period = ?
             AND k.indicator = ? AND k.scope = 'national' AND NOT k.is_restated
        WHERE g.level = ? AND (g.valid_to IS NULL OR k.adcode IS NOT NULL)
        ORDER BY g.adcode""", [family, period, indicator, level])


# ---------------------------------------------------------------- provenance

def releases(family: str | None = None) -> pd.DataFrame:
    return fetch("""
        SELECT release_id, family, edition, data_year, data_year_from, data_year_to, title, title_en, publisher,
               published, source_urls, citation, terms, framework, notes, format, raw_file, raw_sha256,
               sidecar_file, observation_count, loaded_at
        FROM release WHERE (? IS NULL OR family = ?) ORDER BY family, data_year_from, edition""", [family, family])


def etl_runs() -> pd.DataFrame:
    return fetch("""
        SELECT run_id, command, started_at, finished_at, status, row_counts, warnings, message
        FROM etl_run ORDER BY started_at DESC""")
