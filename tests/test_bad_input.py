"""Malformed reports: each gives a clear error naming file, row and column, exits non-zero, and leaves the
published warehouse byte-identical and data/raw untouched. Data-driven from tests/fixtures/bad/cases.yml."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from etl import commands
from etl.__main__ import main
from etl.paths import PROJECT_ROOT
from tests.conftest import EXAMPLES, FIXTURES, copy_raw, quiet
from tests.pdf_fixtures import MALFORMED

BAD = FIXTURES / "bad"
CORPUS = yaml.safe_load((BAD / "cases.yml").read_text(encoding="utf-8"))
CASES, CONTROLS = CORPUS["bad"], CORPUS["controls"]
PROJECT_RAW = PROJECT_ROOT / "data" / "raw"
EXAMPLE_CSV = EXAMPLES / "new_report_2019_edition.csv"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(path: Path) -> dict[str, str]:
    """Every file and folder under path (hidden ones included), files with their sha256."""
    return {str(p.relative_to(path)): digest(p) if p.is_file() else "dir" for p in sorted(path.rglob("*"))}


def sparse_100mb(path: Path) -> None:
    """The real 2019 rows, then zeros up to 100 MB (a sparse file: it takes no disk space)."""
    with open(path, "wb") as handle:
        handle.write(EXAMPLE_CSV.read_bytes())
        handle.truncate(100 * 1024 * 1024)


def wide_10000_columns(path: Path) -> None:
    """The real 2019 rows with empty columns added up to 10,000."""
    rows = list(csv.reader(io.StringIO(EXAMPLE_CSV.read_text(encoding="utf-8"))))
    extra = 10_000 - len(rows[0])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows[0] + [f"extra_{i}" for i in range(1, extra + 1)])
    writer.writerows(row + [""] * extra for row in rows[1:])
    path.write_text(out.getvalue(), encoding="utf-8")


GENERATORS = {"sparse_100mb": sparse_100mb, "wide_10000_columns": wide_10000_columns, **MALFORMED}


def _param(case: dict):
    marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if case.get("xfail") else []
    return pytest.param(case, id=case["name"], marks=marks)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> tuple[Path, Path]:
    """data/raw and a warehouse built from it, kept aside to restore the working copy from."""
    root = tmp_path_factory.mktemp("pristine")
    raw, warehouse = copy_raw(root), root / "warehouse" / "index.duckdb"
    commands.build(raw, warehouse, quiet)
    return raw, warehouse


@pytest.fixture(scope="module")
def _published_copy(pristine, tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("bad")
    shutil.copytree(pristine[0], root / "raw")
    shutil.copytree(pristine[1].parent, root / "warehouse")
    return root / "raw", root / "warehouse" / "index.duckdb"


@pytest.fixture
def published(pristine, _published_copy) -> Iterator[tuple[Path, Path]]:
    """The published copy; restored after a test that changed it (a case that wrongly succeeded), so one
    failure cannot leak into the next case."""
    yield _published_copy
    (raw, warehouse), (clean_raw, clean_warehouse) = _published_copy, pristine
    if digest(warehouse) != digest(clean_warehouse) or tree(raw) != tree(clean_raw):
        shutil.rmtree(raw)
        shutil.rmtree(warehouse.parent)
        shutil.copytree(clean_raw, raw)
        shutil.copytree(clean_warehouse.parent, warehouse.parent)


def run_add(case: dict, raw: Path, warehouse: Path, capsys) -> tuple[int, str]:
    code = main(["--raw-dir", str(raw), "--warehouse", str(warehouse), "add", case["file"], "--meta",
                 case["meta"], *case.get("args", []), "--skip-geo"])
    return code, capsys.readouterr().err


def test_corpus_has_at_least_thirty_cases_and_every_fixture_exists():
    assert len(CASES) >= 30
    assert len({c["name"] for c in CASES}) == len(CASES)
    for case in CASES:
        assert {"name", "file", "meta", "where", "message", "problems"} <= set(case), case["name"]
        assert case.get("generate") in (None, *GENERATORS), case["name"]
        if not case.get("generate") and case["file"] != "no_such_report.csv":
            assert (BAD / case["file"]).is_file(), case["file"]
        assert (BAD / case["meta"]).is_file(), case["meta"]
    for control in CONTROLS:
        assert (BAD / control["file"]).is_file() and (BAD / control["meta"]).is_file(), control["name"]


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_bad_input_is_refused_and_nothing_changes(case, published, capsys, monkeypatch, tmp_path):
    raw, warehouse = published
    monkeypatch.chdir(BAD)
    if case.get("generate"):
        GENERATORS[case["generate"]](tmp_path / case["file"])
        monkeypatch.chdir(tmp_path)
        case = {**case, "meta": str(BAD / case["meta"])}
    before_wh, before_raw, before_project = digest(warehouse), tree(raw), tree(PROJECT_RAW)
    code, err = run_add(case, raw, warehouse, capsys)

    assert code == 1, err
    assert "Traceback" not in err
    assert "Nothing was published" in err
    counted = re.search(r"^(\d+) problem\(s\) in the input:", err, re.M)
    assert counted and int(counted.group(1)) == case["problems"], err
    lines = [line for line in err.splitlines() if f"{case['where']}: " in line]
    assert any(case["message"] in line.split(f"{case['where']}: ", 1)[1] for line in lines), \
        f"no line with {case['where']!r}: … {case['message']!r} in:\n{err}"
    for expected in case.get("also", []):
        assert expected in err, f"{expected!r} not in:\n{err}"
    assert digest(warehouse) == before_wh
    assert tree(raw) == before_raw
    assert tree(PROJECT_RAW) == before_project
    assert not list(warehouse.parent.glob(warehouse.name + ".tmp-*"))


@pytest.mark.parametrize("control", CONTROLS, ids=[c["name"] for c in CONTROLS])
def test_control_inputs_pass(control, published, capsys, monkeypatch):
    raw, warehouse = published
    monkeypatch.chdir(BAD)
    before_wh, before_raw = digest(warehouse), tree(raw)
    code = main(["--raw-dir", str(raw), "--warehouse", str(warehouse), "check", control["file"], "--meta",
                 control["meta"]])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"is valid ({control['observations']} observations)" in out
    assert digest(warehouse) == before_wh and tree(raw) == before_raw


def _io_bytes() -> tuple[int, int]:
    fields = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    return int(fields["rchar"]), int(fields["wchar"])


@pytest.mark.parametrize("command", ["add", "check"])
def test_oversized_file_is_refused_before_it_is_read_or_copied(command, published, capsys, tmp_path):
    if not Path("/proc/self/io").exists():
        pytest.skip("needs Linux /proc/self/io to count bytes read and written")
    raw, warehouse = published
    big = tmp_path / "report_100mb.csv"
    sparse_100mb(big)
    before = _io_bytes()
    code = main(["--raw-dir", str(raw), "--warehouse", str(warehouse), command, str(big), "--meta",
                 str(BAD / "good.meta.yml"), *(["--skip-geo"] if command == "add" else [])])
    read, written = (after - start for after, start in zip(_io_bytes(), before, strict=True))
    assert code == 1 and "the limit is 50 MB" in capsys.readouterr().err
    assert read < 10 * 1024 * 1024 and written < 10 * 1024 * 1024, (read, written)


def _key_row(meta: Path, key: str) -> int:
    lines = meta.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if line.startswith(f"{key}:"))


@pytest.mark.parametrize("name", ["edition already loaded (no --replace)",
                                  "sidecar maps to an unknown indicator code",
                                  "sidecar sha256 that does not match the file"])
def test_sidecar_problems_name_the_row_of_their_key(name, published, capsys, monkeypatch):
    case = next(c for c in CASES if c["name"] == name)
    raw, warehouse = published
    monkeypatch.chdir(BAD)
    key = case["where"].rsplit("key ", 1)[1].strip("'")
    row = _key_row(BAD / case["meta"], key)
    code, err = run_add(case, raw, warehouse, capsys)
    assert code == 1
    assert f"row {row}, key '{key}'" in err, err
