"""Export the published warehouse as Parquet, for engines other than this app (polars, Spark, Trino, DuckDB).

`rankings` and `rank_changes` are Hive-partitioned (`family=…/level=…/data_0.parquet`: the two columns live in
the folder names, not in the files); each dimension table is one file. `manifest.json` beside them gives every
table's columns and types, row count and files (rows, bytes, sha256), and the releases with their provenance.

Read through a read-only connection: the app keeps reading while an export runs, and a file the ETL publishes
meanwhile does not change an export under way (the connection keeps the version it opened).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import tempfile
import uuid
import zipfile
from pathlib import Path

import duckdb

FORMAT = "cn-index-explorer/parquet-export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PARTITION_BY = ("family", "level")
# table → the rows of one family (None: all of them); regions and their aliases are shared by every family.
TABLES = {
    "rankings": "family = $family",
    "rank_changes": "family = $family",
    "region": None,
    "region_alias": None,
    "family": "code = $family",
    "release": "family = $family",
    "indicator": "family = $family",
    "concept": "family = $family",
    "release_indicator": "release_id IN (SELECT release_id FROM release WHERE family = $family)",
}
PARTITIONED = ("rankings", "rank_changes")
PROVENANCE = ("release_id", "family", "edition", "data_year_from", "data_year_to", "title", "title_en", "publisher",
              "publisher_en", "published", "citation", "terms", "source_urls", "raw_file", "raw_sha256",
              "sidecar_file", "sidecar_sha256")


class ExportError(RuntimeError):
    """A refusal with a one-line reason (the command prints it and exits 1)."""


def _select(con: duckdb.DuckDBPyConnection, table: str, family: str | None) -> tuple[str, dict]:
    """The query of the table's rows as exported, and its parameters. JSON columns become plain text, which
    every Parquet reader takes as a string (DuckDB's JSON annotation reaches polars as binary)."""
    columns = con.execute(f"DESCRIBE {table}").fetchall()
    items = [f'CAST("{name}" AS VARCHAR) AS "{name}"' if kind == "JSON" else f'"{name}"' for name, kind, *_ in columns]
    query = f"SELECT {', '.join(items)} FROM {table}"
    where = TABLES[table]
    return (f"{query} WHERE $family IS NULL OR {where}", {"family": family}) if where else (query, {})


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _files(con: duckdb.DuckDBPyConnection, folder: Path, written: Path) -> list[dict]:
    """The Parquet files under `written` (a file, or a partitioned folder), with rows, bytes and sha256."""
    paths = sorted(written.rglob("*.parquet")) if written.is_dir() else [written]
    rows = dict(con.execute("SELECT file_name, num_rows FROM parquet_file_metadata($files)",
                            {"files": [str(p) for p in paths]}).fetchall()) if paths else {}
    return [{"path": p.relative_to(folder).as_posix(), "rows": rows[str(p)], "bytes": p.stat().st_size,
             "sha256": _sha256(p)} for p in paths]


def _write_table(con: duckdb.DuckDBPyConnection, folder: Path, table: str, family: str | None) -> dict:
    query, params = _select(con, table, family)
    partitioned = table in PARTITIONED
    written = folder / (table if partitioned else f"{table}.parquet")
    options = f"FORMAT parquet, PARTITION_BY ({', '.join(PARTITION_BY)})" if partitioned else "FORMAT parquet"
    con.execute(f"COPY ({query}) TO {_sql_path(written)} ({options})", params)
    columns = [{"name": name, "type": kind}
               for name, kind, *_ in con.execute(f"DESCRIBE {query}", params).fetchall()]
    files = _files(con, folder, written)
    return {"path": written.relative_to(folder).as_posix(), "partition_by": list(PARTITION_BY) if partitioned else [],
            "columns": columns, "rows": sum(f["rows"] for f in files), "files": files}


def _releases(con: duckdb.DuckDBPyConnection, family: str | None) -> list[dict]:
    cursor = con.execute(f"SELECT {', '.join(PROVENANCE)} FROM release WHERE $family IS NULL OR family = $family "
                         "ORDER BY family, published, edition", {"family": family})
    return [dict(zip(PROVENANCE, row, strict=True)) for row in cursor.fetchall()]


def _warehouse_info(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT key, value FROM warehouse_info ORDER BY key").fetchall())


def _require_family(con: duckdb.DuckDBPyConnection, family: str | None) -> None:
    held = [code for (code,) in con.execute("SELECT DISTINCT family FROM release ORDER BY 1").fetchall()]
    if family is not None and family not in held:
        raise ExportError(f"no releases of family {family!r} in the warehouse (it holds: {', '.join(held)})")


def write_export(con: duckdb.DuckDBPyConnection, folder: Path, family: str | None = None) -> dict:
    """Write every table (of one family, or all) and manifest.json into the new folder `folder`; return the
    manifest."""
    _require_family(con, family)
    folder.mkdir()
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION,
                "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "warehouse": _warehouse_info(con), "family": family,
                "tables": {table: _write_table(con, folder, table, family) for table in TABLES},
                "releases": _releases(con, family)}
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n",
                                   encoding="utf-8")
    return manifest


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    if not warehouse.is_file():
        raise ExportError(f"no warehouse at {warehouse}: run `python -m etl build` first")
    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as error:
        raise ExportError(f"cannot open the warehouse {warehouse}: {str(error).splitlines()[0]}") from None


def _check_target(target: Path, force: bool) -> None:
    if target.exists() and not target.is_dir():
        raise ExportError(f"{target} is a file, not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise ExportError(f"{target} is not empty: choose an empty folder or pass --force to replace it")


def _staging(target: Path) -> Path:
    """A new empty sibling of `target` (same file system, so the final rename is atomic)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    except (FileExistsError, NotADirectoryError):
        raise ExportError(f"cannot write to {target.parent}: not a folder") from None
    except OSError as error:
        raise ExportError(f"cannot write to {target.parent}: {error.strerror}") from None


def _move_into_place(staging: Path, target: Path) -> None:
    """Rename the finished export to `target`; an existing target is renamed aside first and then removed, so
    `target` holds the old export or the new one, never part of one (with --force it is absent for the instant
    between the two renames)."""
    aside = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    if target.exists():
        os.rename(target, aside)
    os.rename(staging, target)
    shutil.rmtree(aside, ignore_errors=True)


def export_parquet(warehouse: Path, target: Path, force: bool = False, family: str | None = None) -> dict:
    """`python -m etl export --parquet DIR`: the live warehouse (all families, or one) as Parquet in `target`."""
    _check_target(target, force)
    with contextlib.closing(_connect(warehouse)) as con:
        staging = _staging(target)
        try:
            manifest = write_export(con, staging / "export", family)
            _move_into_place(staging / "export", target)
        except OSError as error:
            raise ExportError(f"cannot write {target}: {error.strerror}") from None
        except duckdb.IOException as error:
            raise ExportError(f"cannot write {target}: {str(error).splitlines()[0]}") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return manifest


def zip_bytes(con: duckdb.DuckDBPyConnection, name: str, family: str | None = None) -> bytes:
    """The export (of one family, or all) as a zip holding one folder `name`: the Parquet files and manifest."""
    with tempfile.TemporaryDirectory(prefix="etl-export-") as tmp:
        folder = Path(tmp) / name
        write_export(con, folder, family)
        buffer = io.BytesIO()
        # Stored, not deflated: Parquet pages are compressed already.
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                archive.write(path, path.relative_to(tmp).as_posix())
    return buffer.getvalue()


def summary(manifest: dict, target: Path) -> str:
    """What the command prints: one line per table, then the totals."""
    tables = manifest["tables"]
    lines = [f"  {table:<18} {len(t['files']):>3} file(s) {t['rows']:>10,} rows "
             f"{sum(f['bytes'] for f in t['files']) / 1e3:>10,.1f} kB" for table, t in tables.items()]
    size = sum(f["bytes"] for t in tables.values() for f in t["files"])
    lines.append(f"{len(manifest['releases'])} releases, {len(tables)} tables, {size / 1e6:.2f} MB → {target} "
                 f"({MANIFEST})")
    return "\n".join(lines)
