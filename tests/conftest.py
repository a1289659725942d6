"""Shared fixtures: built warehouses in temporary folders, the ../shared datasets, the CI rule for skips."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from etl import commands
from etl.paths import PROJECT_ROOT

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
RAW = PROJECT_ROOT / "data" / "raw"
EXAMPLES = PROJECT_ROOT / "data" / "examples"
TEMPLATES = PROJECT_ROOT / "data" / "templates"
FIXTURES = Path(__file__).parent / "fixtures"


def skip_or_fail(reason: str) -> None:
    """Outside CI a missing prerequisite skips with its reason; under CI=true it is a failure."""
    if CI:
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


def _shared_candidates() -> list[Path]:
    env = os.environ.get("INDEX_SHARED_DIR")
    return [Path(env)] if env else [PROJECT_ROOT.parent / "shared", Path("/work/shared")]


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    for candidate in _shared_candidates():
        if (candidate / "datasets" / "pku_dfiic").is_dir():
            return candidate
    skip_or_fail("../shared/datasets/pku_dfiic is not on this machine (set INDEX_SHARED_DIR)")
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def pku_workbook(shared_dir: Path) -> Path:
    return shared_dir / "datasets" / "pku_dfiic" / "PKU-DFIIC_2011-2023_workbook_layout.xlsx"


def quiet(_: str) -> None:
    """Progress sink for tests."""


def copy_raw(target: Path) -> Path:
    raw = target / "raw"
    shutil.copytree(RAW, raw)
    return raw


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of data/raw and a warehouse path, both in a temporary folder."""
    return copy_raw(tmp_path), tmp_path / "warehouse" / "index.duckdb"


@pytest.fixture(scope="session")
def embedded_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The warehouse built from the embedded Tencent data."""
    root = tmp_path_factory.mktemp("embedded")
    warehouse = root / "index.duckdb"
    commands.build(copy_raw(root), warehouse, quiet)
    return warehouse


@pytest.fixture(scope="session")
def full_warehouse(tmp_path_factory: pytest.TempPathFactory, pku_workbook: Path) -> Path:
    """Embedded data + the 2019 worked example + PKU-DFIIC from ../shared."""
    root = tmp_path_factory.mktemp("full")
    raw, warehouse = copy_raw(root), root / "index.duckdb"
    commands.add(EXAMPLES / "new_report_2019_edition.csv", EXAMPLES / "new_report_2019_edition.meta.yml", raw,
                 warehouse, quiet)
    commands.add(pku_workbook, TEMPLATES / "pku_dfiic_2011_2023.meta.yml", raw, warehouse, quiet)
    return warehouse


@pytest.fixture
def app(embedded_warehouse, monkeypatch):
    """Run the dashboard (AppTest) on the embedded data: app(page, **url_parameters)."""
    from tests.test_app import make_runner

    return make_runner(embedded_warehouse, monkeypatch)


@pytest.fixture
def dense(full_warehouse, monkeypatch):
    """Run the dashboard (AppTest) with the 2019 example and PKU-DFIIC loaded."""
    from tests.test_app import make_runner

    return make_runner(full_warehouse, monkeypatch)
