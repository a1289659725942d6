"""The README's worked example on a copy of the project: a new yearly report arrives, check it, add it."""

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from etl.paths import PROJECT_ROOT

EXAMPLE = ["data/examples/new_report_2019_edition.csv", "--meta", "data/examples/new_report_2019_edition.meta.yml"]


def etl(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=project, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("project") / "explorer"
    ignore = shutil.ignore_patterns(".git", ".venv", "warehouse", "geo", "__pycache__", ".pytest_cache",
                                    "test-artifacts")
    shutil.copytree(PROJECT_ROOT, copy, symlinks=True, ignore=ignore)
    build = etl(copy, "build", "--skip-geo")
    assert build.returncode == 0, build.stderr
    return copy


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_check_is_a_dry_run(project):
    warehouse = project / "data" / "warehouse" / "index.duckdb"
    before = sha(warehouse)
    result = etl(project, "check", *EXAMPLE)
    assert result.returncode == 0, result.stderr
    assert "is valid (51 observations)" in result.stdout and "nothing was changed" in result.stdout
    assert sha(warehouse) == before
    assert not (project / "data" / "raw" / "tencent_internet_plus" / "2019").exists()


def test_add_makes_chongqing_6th_for_2018_and_keeps_provenance(project):
    result = etl(project, "add", *EXAMPLE, "--skip-geo")
    assert result.returncode == 0, result.stderr
    assert "tencent_internet_plus/2019" in result.stdout  # the summary table
    stored = project / "data" / "raw" / "tencent_internet_plus" / "2019"
    sidecar = yaml.safe_load((stored / "new_report_2019_edition.meta.yml").read_text(encoding="utf-8"))
    assert sidecar["file"] == "new_report_2019_edition.csv"
    assert sidecar["sha256"] == sha(stored / "new_report_2019_edition.csv")
    with duckdb.connect(str(project / "data" / "warehouse" / "index.duckdb"), read_only=True) as con:
        path = con.execute("""SELECT data_year, rank FROM rankings WHERE region_zh = '重庆市' AND level = 'city'
                              AND indicator = 'total' AND scope = 'national' ORDER BY data_year""").fetchall()
        west = con.execute("""SELECT region_zh, indicator, rank FROM rankings WHERE scope = 'west'
                              ORDER BY region_zh, indicator""").fetchall()
    assert path == [(2016, 8), (2017, 7), (2018, 6)]
    assert ("重庆市", "digital_government", 2) in west


def test_adding_the_same_edition_again_needs_replace(project):
    again = etl(project, "add", *EXAMPLE, "--skip-geo")
    assert again.returncode == 1
    assert "edition already loaded: tencent_internet_plus/2019" in again.stderr and "--replace" in again.stderr
    replaced = etl(project, "add", *EXAMPLE, "--replace", "--skip-geo")
    assert replaced.returncode == 0, replaced.stderr
    files = sorted(p.name for p in (project / "data" / "raw" / "tencent_internet_plus" / "2019").iterdir())
    assert files == ["new_report_2019_edition.csv", "new_report_2019_edition.meta.yml"]
    assert not list((project / "data" / "raw").glob(".staging-*"))


def test_build_prints_progress_and_a_summary(project):
    result = etl(project, "build", "--skip-geo")
    assert result.returncode == 0
    for step in ("parse", "harmonize", "validate", "publish"):
        assert f"  {step}" in result.stdout
    assert "releases," in result.stdout and "observations" in result.stdout
