"""`python -m etl export --parquet DIR`: a second engine (polars) reads exactly the rows DuckDB gives, the manifest
describes the files truthfully, bad targets are refused, and the Data page's zip holds one family's export."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dashboard import queries as q
from etl.__main__ import main

# DuckDB's types (as the manifest names them) → what polars must read from the files.
POLARS_TYPES = {"VARCHAR": pl.String, "INTEGER": pl.Int32, "BIGINT": pl.Int64, "DOUBLE": pl.Float64,
                "BOOLEAN": pl.Boolean, "DATE": pl.Date, "TIMESTAMP": pl.Datetime("us"),
                "VARCHAR[]": pl.List(pl.String)}
HIVE = {"family": pl.String, "level": pl.String}


def export(warehouse: Path, target: Path, *args: str) -> int:
    return main(["--warehouse", str(warehouse), "export", "--parquet", str(target), *args])


@pytest.fixture(scope="module", params=["embedded_warehouse", "full_warehouse"])
def exported(request, tmp_path_factory) -> tuple[Path, Path, dict]:
    """The warehouse (embedded data, or with the 2019 example and PKU-DFIIC), its export, and the manifest."""
    warehouse = request.getfixturevalue(request.param)
    target = tmp_path_factory.mktemp("export") / "parquet"
    assert export(warehouse, target) == 0
    return warehouse, target, json.loads((target / "manifest.json").read_text(encoding="utf-8"))


def duckdb_rows(warehouse: Path, table: str, columns: list[str]) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()


def polars_frame(target: Path, manifest: dict, table: str) -> pl.DataFrame:
    spec = manifest["tables"][table]
    if spec["partition_by"]:
        return pl.read_parquet(target / spec["path"], hive_partitioning=True, hive_schema=HIVE)
    return pl.read_parquet(target / spec["path"])


def full_key(row: tuple) -> tuple:
    """Sort by every column; NULL after any value, never compared with one."""
    return tuple((value is None, value) for value in row)


@pytest.mark.parametrize("table", ["rankings", "rank_changes"])
def test_polars_reads_exactly_the_rows_duckdb_gives(exported, table):
    warehouse, target, manifest = exported
    columns = [c["name"] for c in manifest["tables"][table]["columns"]]
    theirs = polars_frame(target, manifest, table)
    assert sorted(theirs.columns) == sorted(columns)
    ours = sorted(duckdb_rows(warehouse, table, columns), key=full_key)
    assert len(ours) > 50
    # Python values on both sides: a NULL read back as NaN, 0 or "" would not compare equal to None.
    assert sorted(theirs.select(columns).rows(), key=full_key) == ours


def test_types_survive_the_round_trip(exported):
    _, target, manifest = exported
    for table, spec in manifest["tables"].items():
        schema = polars_frame(target, manifest, table).schema
        wrong = {c["name"]: (c["type"], schema[c["name"]]) for c in spec["columns"]
                 if schema[c["name"]] != POLARS_TYPES[c["type"]]}
        assert not wrong, f"{table}: types changed (manifest type, polars type): {wrong}"


def test_nulls_stay_null(exported):
    warehouse, target, manifest = exported
    theirs = polars_frame(target, manifest, "rankings")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        ours = con.execute("SELECT count(*) - count(rank), count(*) - count(rank_at_most), count(*) - count(value), "
                           "count(*) FILTER (WHERE value = 0) FROM rankings").fetchone()
    assert ours[0] > 0 and ours[2] > 0  # there are NULL ranks and NULL values to lose
    assert (theirs["rank"].null_count(), theirs["rank_at_most"].null_count(), theirs["value"].null_count(),
            theirs.filter(pl.col("value") == 0).height) == ours


def test_release_provenance_in_the_files_and_the_manifest(exported):
    warehouse, target, manifest = exported
    keys = ["release_id", "title", "publisher", "published", "citation", "terms", "source_urls", "raw_sha256"]
    ours = duckdb_rows(warehouse, "release ORDER BY release_id", keys)
    theirs = polars_frame(target, manifest, "release").sort("release_id").select(keys).rows()
    assert theirs == ours
    listed = sorted(manifest["releases"], key=lambda r: r["release_id"])
    assert [(r["release_id"], r["title"], r["citation"], r["source_urls"], r["raw_sha256"]) for r in listed] == \
        [(r[0], r[1], r[4], r[6], r[7]) for r in ours]
    assert all(r["published"] == str(o[3]) and len(r["raw_sha256"]) == 64 for r, o in zip(listed, ours, strict=True))
    # JSON columns arrive as text every engine can parse
    caveats = polars_frame(target, manifest, "family")["caveats"].drop_nulls().to_list()
    assert caveats and all(isinstance(json.loads(c), list) for c in caveats)


def test_manifest_row_counts_and_sha256_match_the_files(exported):
    warehouse, target, manifest = exported
    on_disk = {p.relative_to(target).as_posix() for p in target.rglob("*.parquet")}
    listed = {f["path"] for spec in manifest["tables"].values() for f in spec["files"]}
    assert listed == on_disk, "the manifest and the folder disagree on which files there are"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table, spec in manifest["tables"].items():
            (rows,), = con.execute(f"SELECT count(*) FROM {table}").fetchall()
            assert spec["rows"] == rows == sum(f["rows"] for f in spec["files"]), table
            for file in spec["files"]:
                path = target / file["path"]
                assert hashlib.sha256(path.read_bytes()).hexdigest() == file["sha256"], file["path"]
                assert pl.read_parquet(path).height == file["rows"] and path.stat().st_size == file["bytes"]
    families = {p.name for p in (target / "rankings").iterdir()}
    assert families == {f"family={r['family']}" for r in manifest["releases"]}


def test_export_leaves_the_warehouse_untouched_while_the_app_reads(embedded_warehouse, tmp_path):
    before = hashlib.sha256(embedded_warehouse.read_bytes()).digest()
    with duckdb.connect(str(embedded_warehouse), read_only=True) as reader:  # as the app holds it
        assert export(embedded_warehouse, tmp_path / "out") == 0
        assert reader.execute("SELECT count(*) FROM rankings").fetchone()[0] == 110
    assert hashlib.sha256(embedded_warehouse.read_bytes()).digest() == before


def test_a_non_empty_folder_is_refused_unless_forced(embedded_warehouse, tmp_path, capsys):
    target = tmp_path / "out"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    assert export(embedded_warehouse, target) == 1
    assert capsys.readouterr().err == f"error: {target} is not empty: choose an empty folder or pass --force to " \
                                      "replace it\n"
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    assert export(embedded_warehouse, target, "--force") == 0
    assert (target / "manifest.json").is_file() and not (target / "notes.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out"], "temporary folders were left beside the export"


@pytest.mark.parametrize(("case", "message"), [
    ("no warehouse", "error: no warehouse at {warehouse}: run `python -m etl build` first\n"),
    ("folder is a file", "error: cannot write to {parent}: not a folder\n"),
    ("unknown family", "error: no releases of family 'nope' in the warehouse (it holds: tencent_internet_plus)\n"),
])
def test_refusals_say_why_in_one_line(embedded_warehouse, tmp_path, capsys, case, message):
    warehouse, parent, args = embedded_warehouse, tmp_path, []
    if case == "no warehouse":
        warehouse = tmp_path / "missing" / "index.duckdb"
    elif case == "folder is a file":
        parent = tmp_path / "a_file"
        parent.write_text("", encoding="utf-8")
    else:
        args = ["--family", "nope"]
    assert export(warehouse, parent / "out", *args) == 1
    assert capsys.readouterr().err == message.format(warehouse=warehouse, parent=parent)
    assert not (parent / "out").exists()


def test_the_data_page_zip_holds_one_family_and_its_manifest(full_warehouse, monkeypatch):
    monkeypatch.setenv("INDEX_WAREHOUSE", str(full_warehouse))
    name, build = q.parquet_export("pku_dfiic")
    assert name.startswith("pku_dfiic_parquet_20")
    with zipfile.ZipFile(io.BytesIO(build())) as archive:
        manifest = json.loads(archive.read(f"{name}/manifest.json"))
        assert manifest["family"] == "pku_dfiic"
        assert {r["family"] for r in manifest["releases"]} == {"pku_dfiic"}
        for spec in manifest["tables"].values():
            for file in spec["files"]:
                data = archive.read(f"{name}/{file['path']}")
                assert hashlib.sha256(data).hexdigest() == file["sha256"]
        rankings = manifest["tables"]["rankings"]
        assert {f["path"].split("/")[1] for f in rankings["files"]} == {"family=pku_dfiic"}
    with duckdb.connect(str(full_warehouse), read_only=True) as con:
        (rows,), = con.execute("SELECT count(*) FROM rankings WHERE family = 'pku_dfiic'").fetchall()
    assert rankings["rows"] == rows
