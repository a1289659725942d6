"""Malformed reports: each gives a clear error naming file, row and column, exits non-zero, and leaves the
published warehouse byte-identical and data/raw untouched."""

import hashlib
from pathlib import Path

import pytest
import yaml

from etl import commands
from etl.__main__ import main
from tests.conftest import FIXTURES, quiet

BAD = FIXTURES / "bad"
CASES = yaml.safe_load((BAD / "cases.yml").read_text(encoding="utf-8"))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): digest(p) for p in sorted(path.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> tuple[Path, Path]:
    from tests.conftest import copy_raw

    root = tmp_path_factory.mktemp("bad")
    raw, warehouse = copy_raw(root), root / "index.duckdb"
    commands.build(raw, warehouse, quiet)
    return raw, warehouse


def test_corpus_has_at_least_ten_cases():
    assert len(CASES) >= 10


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_input_is_refused_and_nothing_changes(case, published, capsys, monkeypatch):
    raw, warehouse = published
    monkeypatch.chdir(BAD)
    before_wh, before_raw = digest(warehouse), tree(raw)
    code = main(["--raw-dir", str(raw), "--warehouse", str(warehouse), "add", case["file"], "--meta", case["meta"],
                 "--skip-geo"])
    err = capsys.readouterr().err
    assert code == 1, err
    for expected in case["expect"]:
        assert expected in err, f"{expected!r} not in:\n{err}"
    assert "Nothing was published" in err
    assert digest(warehouse) == before_wh
    assert tree(raw) == before_raw
