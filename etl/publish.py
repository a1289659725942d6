"""Publish: write a complete new DuckDB file beside the live one, check it, then rename it over the live one.

The live file is never opened for writing, so readers see the old warehouse or the new one, never a mix,
and a failed or killed run leaves the live file byte-identical.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

SQL_DIR = Path(__file__).parent
# Rows per row group (DuckDB's default is 122,880): min/max per group let a page's filter skip the rest, and
# smaller groups skip more (each group has its own overhead; 32 k was not tuned further, see BENCHMARKS.md).
ROW_GROUP_SIZE = 32_768
TMP_MARK = ".tmp-"
REQUIRED_TABLES = ("region_data", "region", "region_alias", "family", "release_data", "release", "period",
                   "indicator_data", "indicator", "concept_data", "concept", "release_indicator", "scope",
                   "observation_source", "observation_data", "rank_history_data", "rank_history_periods",
                   "release_summary", "region_coverage", "family_summary", "etl_run", "warehouse_info",
                   "observation", "rankings", "rank_changes")
# Fact columns holding the dense keys (0 … n - 1) of a dimension table.
FACT_KEYS = {"region_key": "region_data", "release_key": "release_data", "period_key": "period",
             "indicator_key": "indicator_data", "concept_key": "concept_data", "scope_key": "scope",
             "row_key": "observation_source"}


class LockBusy(RuntimeError):
    pass


@contextlib.contextmanager
def publish_lock(warehouse: Path, wait_seconds: float) -> Iterator[None]:
    """One ETL run publishes at a time: others wait up to `wait_seconds`, then refuse with a clear message."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    lock_path = warehouse.with_name(warehouse.name + ".lock")
    with open(lock_path, "a+") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "unknown"
                    raise LockBusy(f"another ETL run is publishing {warehouse} (holder: {holder}, lock file "
                                   f"{lock_path}); waited {wait_seconds:.0f} s — try again when it has "
                                   "finished") from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_leftovers(warehouse: Path) -> list[Path]:
    """Temporary files of runs that were killed before their rename (call only while holding the lock)."""
    leftovers = sorted(warehouse.parent.glob(warehouse.name + TMP_MARK + "*"))
    for path in leftovers:
        path.unlink(missing_ok=True)
    return leftovers


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _insert(con: duckdb.DuckDBPyConnection, table: str, data: pd.DataFrame | pa.Table) -> None:
    """Rows of a data frame or an Arrow table (no copy: DuckDB scans either in place) into a table."""
    cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    con.register("_data", data.select(cols) if isinstance(data, pa.Table) else data[cols])
    con.execute(f"INSERT INTO {table} SELECT * FROM _data")
    con.unregister("_data")


def _run_script(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute((SQL_DIR / name).read_text(encoding="utf-8"))


def write_warehouse(path: Path, tables: dict[str, pd.DataFrame | pa.Table], info: dict[str, str]) -> None:
    """Create the warehouse file at `path` from the tables' rows, then the views and summaries."""
    con = duckdb.connect()
    try:
        quoted = str(path).replace("'", "''")
        con.execute(f"ATTACH '{quoted}' AS warehouse (ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
        con.execute("USE warehouse")
        _run_script(con, "schema.sql")
        for table, data in tables.items():
            _insert(con, table, data)
        _insert(con, "warehouse_info", pd.DataFrame(info.items(), columns=["key", "value"]))
        _run_script(con, "views.sql")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def integrity_problems(path: Path) -> list[str]:
    """Open a warehouse read-only and check it is complete and consistent; [] means healthy."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        return [f"cannot open: {exc}"]
    try:
        present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        missing = [t for t in REQUIRED_TABLES if t not in present]
        if missing:
            return [f"missing tables/views: {missing}"]
        problems = []
        keys = " AND ".join(f"(SELECT coalesce(max({k}) < (SELECT count(*) FROM {t}), true) AND "
                            f"coalesce(min({k}) >= 0, true) FROM observation_data)" for k, t in FACT_KEYS.items())
        checks = {
            "regions loaded": "SELECT count(*) > 0 FROM region",
            "every observation's keys are in their tables": f"SELECT {keys}",
            "views readable": "SELECT count(*) >= 0 FROM (SELECT * FROM rankings LIMIT 1)",
            "release counts match": "SELECT count(*) = 0 FROM release_data r LEFT JOIN (SELECT release_key, "
                                    "count(*) AS n FROM observation_data GROUP BY ALL) c USING (release_key) "
                                    "WHERE r.observation_count <> coalesce(c.n, 0)",
        }
        for label, sql in checks.items():
            if not con.execute(sql).fetchone()[0]:
                problems.append(f"check failed: {label}")
        return problems
    except duckdb.Error as exc:
        return [f"query failed: {exc}"]
    finally:
        con.close()


def _read_live(warehouse: Path, sql: str) -> pd.DataFrame:
    """A query on the live warehouse; empty if there is none yet or it predates the table."""
    if not warehouse.exists():
        return pd.DataFrame()
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return pd.DataFrame()
    try:
        return con.execute(sql).df()
    except duckdb.Error:
        return pd.DataFrame()
    finally:
        con.close()


def read_previous_runs(warehouse: Path) -> pd.DataFrame:
    """ETL run history of the live warehouse, carried into the new file."""
    return _read_live(warehouse, "SELECT * FROM etl_run")


def published_sidecar_hashes(warehouse: Path) -> set[str]:
    """sha256 of every sidecar the live warehouse was built from."""
    frame = _read_live(warehouse, "SELECT sidecar_sha256 FROM release")
    return set(frame["sidecar_sha256"]) if len(frame) else set()


def publish(warehouse: Path, tables: dict[str, pd.DataFrame], info: dict[str, str]) -> Path:
    """Write a new warehouse beside the live one, verify it, and atomically rename it into place."""
    tmp = warehouse.with_name(f"{warehouse.name}{TMP_MARK}{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        write_warehouse(tmp, tables, info)
        problems = integrity_problems(tmp)
        if problems:
            raise RuntimeError(f"new warehouse failed its integrity check: {problems}")
        _fsync(tmp)
        os.replace(tmp, warehouse)
        _fsync(warehouse.parent)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return warehouse


def runs_frame(runs: list[dict]) -> pd.DataFrame:
    """ETL run records as a frame matching the etl_run table (JSON columns serialised)."""
    frame = pd.DataFrame(runs)
    for col in ("inputs", "row_counts", "warnings"):
        frame[col] = frame[col].map(lambda v: v if isinstance(v, str) or v is None else json.dumps(v,
                                                                                           ensure_ascii=False))
    return frame
