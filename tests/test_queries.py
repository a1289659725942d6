"""The query module follows atomic republishing: a pinned run keeps reading its version, the next run sees
the new file, and old versions' cache entries are dropped."""

import shutil

import pytest

from dashboard import queries as q
from etl import commands
from tests.conftest import EXAMPLES, copy_raw, quiet


@pytest.fixture
def live(tmp_path, monkeypatch):
    raw, warehouse = copy_raw(tmp_path), tmp_path / "index.duckdb"
    commands.build(raw, warehouse, quiet)
    monkeypatch.setenv("INDEX_WAREHOUSE", str(warehouse))
    yield raw, warehouse
    q._PINNED.__dict__.clear()


def editions() -> list[str]:
    return q.periods("tencent_internet_plus")["period"].tolist()


def test_a_pinned_run_keeps_its_version_while_a_new_file_lands(live):
    raw, warehouse = live
    q.pin()
    before = editions()
    commands.add(EXAMPLES / "new_report_2019_edition.csv", EXAMPLES / "new_report_2019_edition.meta.yml", raw,
                 warehouse, quiet)
    assert editions() == before == ["2016", "2017", "2018"]  # same view, same file
    q.pin()  # the next run
    assert editions() == ["2016", "2017", "2018", "2019"]
    assert all(key[1] == q.warehouse().version() for key in q._CACHE if key[0] == warehouse)


def test_unpinned_callers_see_each_new_file(live):
    raw, warehouse = live
    assert "2019" not in editions()
    shutil.copy(EXAMPLES / "new_report_2019_edition.csv", raw / "x.csv")
    commands.add(raw / "x.csv", EXAMPLES / "new_report_2019_edition.meta.yml", raw, warehouse, quiet)
    assert editions()[-1] == "2019"
