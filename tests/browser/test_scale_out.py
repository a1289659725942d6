"""Scaling out (README "Scaling out"): two app servers read one warehouse file while the ETL republishes it. Each
session sees the old or the new version, never a mix; afterwards both servers serve the new release without a
restart, and the Parquet export they offer is of that release."""

import io
import json
import zipfile

import duckdb
import pytest

from tests.browser import test_concurrent_readers as readers
from tests.browser.conftest import app_server
from tests.browser.test_browser_interactions import button

pytestmark = pytest.mark.browser

live = readers.live  # two raw folders (without and with the 2019 edition), the warehouse, the first server


@pytest.fixture
def second_server(live, tmp_path):
    """Another replica on the same warehouse file (one machine here; a copy of the file per machine in production)."""
    server = app_server(live[2], tmp_path / "second.log")
    server.start()
    yield server
    server.stop()


def built_by(warehouse) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT value FROM warehouse_info WHERE key = 'run_id'").fetchone()[0]


def test_two_servers_follow_the_etl_without_a_restart(browse, live, second_server):
    old_raw, new_raw, warehouse, first_server = live
    pages = [browse.open(server, "/data") for server in (first_server, second_server)]
    assert [readers.view_state(browse, page) for page in pages] == [readers.OLD] * 2
    etl, errors = readers.republishing(old_raw, new_raw, warehouse, times=2)
    while etl.is_alive():
        for page in pages:
            state = readers.rerun_view(browse, page)
            assert state in (readers.OLD, readers.NEW), f"{page.url}: a view mixed two warehouse versions: {state}"
    etl.join()
    assert not errors, errors
    assert [readers.rerun_view(browse, page) for page in pages] == [readers.NEW] * 2, (
        "a server still shows the old release after the ETL published the new one")
    for page in pages:  # the export offered is of the file just published, 2019 edition included
        name, data = browse.download(page, button(page, "dl_parquet"))
        assert name.startswith("tencent_internet_plus_parquet_") and name.endswith(".zip"), name
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            manifest = json.loads(archive.read(f"{name.removesuffix('.zip')}/manifest.json"))
        assert manifest["warehouse"]["run_id"] == built_by(warehouse)
        assert [r["edition"] for r in manifest["releases"]] == ["2016", "2017", "2018", "2019"]
    browse.assert_offline()
