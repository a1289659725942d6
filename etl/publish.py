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

SQL_DIR = Path(__file__).parent
TMP_MARK = ".tmp-"
REQUIRED_TABLES = ("region", "region_alias", "family", "release", "indicator", "concept", "release_indicator",
                   "observation", "rankings_data", "rank_changes_data", "rank_history_data", "release_summary",
                   "region_coverage", "family_summary", "etl_run",
                   "warehouse_info")


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


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    con.register("_frame", frame[cols])
    con.execute(f"INSERT INTO {table} SELECT * FROM _frame")
    con.unregister("_frame")


# Published ranks win; where a ranking group (release × data year × indicator × level × scope) has values but
# no published rank at all, ranks are computed from the values: standard competition ranking (ties share the
# best rank: 1, 2, 2, 4), descending when higher is better. Rows with only a rank keep value NULL (never 0).
RANKED_INSERT = """
INSERT INTO observation
WITH grp AS (
    SELECT f.*, count(f.rank) OVER (PARTITION BY f.release_id, f.data_year, f.indicator, f.level, f.scope) AS n_pub
    FROM _frame f)
SELECT release_id, period, data_year, adcode, level, indicator, scope, value,
       CASE WHEN rank IS NOT NULL THEN rank
            WHEN n_pub = 0 AND value IS NOT NULL THEN
                 CAST(rank() OVER (PARTITION BY release_id, data_year, indicator, level, scope, n_pub, value IS NULL
                                   ORDER BY CASE WHEN higher_is_better THEN -value ELSE value END) AS INTEGER)
       END,
       rank_at_most,
       CASE WHEN rank IS NOT NULL THEN 'published' WHEN n_pub = 0 AND value IS NOT NULL THEN 'computed' END,
       is_restated, basis, basis_note, source_url, source_file, source_row, raw_name
FROM grp
"""


def _insert_observations(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    con.register("_frame", frame)
    con.execute(RANKED_INSERT)
    con.unregister("_frame")


def _run_script(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute((SQL_DIR / name).read_text(encoding="utf-8"))


def write_warehouse(path: Path, tables: dict[str, pd.DataFrame], info: dict[str, str]) -> None:
    """Create the warehouse file at `path` from data frames (one per table) and build the views."""
    con = duckdb.connect(str(path))
    try:
        _run_script(con, "schema.sql")
        for table, frame in tables.items():
            if table == "observation":
                _insert_observations(con, frame)
            else:
                _insert(con, table, frame)
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
        missing = [t for t in (*REQUIRED_TABLES, "rankings", "rank_changes") if t not in present]
        if missing:
            return [f"missing tables/views: {missing}"]
        problems = []
        checks = {
            "regions loaded": "SELECT count(*) > 0 FROM region",
            "every observation has a region": "SELECT count(*) = 0 FROM observation o ANTI JOIN region g "
                                              "ON g.adcode = o.adcode AND g.level = o.level",
            "rankings view complete": "SELECT (SELECT count(*) FROM observation) = (SELECT count(*) FROM rankings)",
            "release counts match": "SELECT count(*) = 0 FROM release r WHERE observation_count <> "
                                    "(SELECT count(*) FROM observation o WHERE o.release_id = r.release_id)",
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
