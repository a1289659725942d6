"""'Add a yearly report' in the web UI: off without an admin token; with it, uploads are validated like the
CLI, stored under safe generated names, and published only after the preview is confirmed."""

import hashlib

import pytest
from streamlit.testing.v1 import AppTest

from etl import commands
from etl.paths import PROJECT_ROOT
from tests.conftest import EXAMPLES, FIXTURES, copy_raw, quiet

APP = str(PROJECT_ROOT / "dashboard" / "app.py")
SIDECAR = (EXAMPLES / "new_report_2019_edition.meta.yml").read_text(encoding="utf-8")
REPORT = (EXAMPLES / "new_report_2019_edition.csv").read_bytes()


@pytest.fixture
def site(tmp_path, monkeypatch):
    raw, warehouse = copy_raw(tmp_path), tmp_path / "index.duckdb"
    commands.build(raw, warehouse, quiet)
    monkeypatch.setenv("INDEX_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("INDEX_RAW_DIR", str(raw))
    return raw, warehouse


def data_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("app_pages/data.py")
    at.run()
    return at


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_upload_is_off_without_a_token(site, monkeypatch):
    monkeypatch.delenv("INDEX_ADMIN_TOKEN", raising=False)
    at = data_page()
    assert not at.text_input and not at.file_uploader


def test_wrong_token_shows_nothing_else(site, monkeypatch):
    monkeypatch.setenv("INDEX_ADMIN_TOKEN", "s3cret-token")
    at = data_page()
    at.text_input(key="admin_token").input("guess").run()
    assert "令牌不正确" in at.error[0].value and not at.file_uploader


def test_upload_validate_preview_then_publish(site, monkeypatch):
    raw, warehouse = site
    monkeypatch.setenv("INDEX_ADMIN_TOKEN", "s3cret-token")
    at = data_page()
    at.text_input(key="admin_token").input("s3cret-token").run()
    at.file_uploader(key="admin_file").set_value(("../../etc/passwd.csv", REPORT, "text/csv")).run()
    at.text_area(key="admin_sidecar").input(SIDECAR).run()
    before = sha(warehouse)
    at.button(key="admin_validate").click().run()
    assert not at.exception
    assert "校验通过" in at.success[0].value
    assert sha(warehouse) == before  # validation publishes nothing
    at.button(key="admin_publish").click().run()
    assert "已发布" in at.success[-1].value
    stored = sorted(p.name for p in (raw / "tencent_internet_plus" / "2019").iterdir())
    assert len(stored) == 2 and all(name.startswith("upload-") for name in stored)
    assert "passwd" not in "".join(stored)
    assert sha(warehouse) != before


def test_a_bad_upload_is_refused_and_nothing_changes(site, monkeypatch):
    raw, warehouse = site
    monkeypatch.setenv("INDEX_ADMIN_TOKEN", "s3cret-token")
    at = data_page()
    at.text_input(key="admin_token").input("s3cret-token").run()
    bad = (FIXTURES / "bad" / "unknown_city.csv").read_bytes()
    at.file_uploader(key="admin_file").set_value(("report.csv", bad, "text/csv")).run()
    at.text_area(key="admin_sidecar").input(SIDECAR).run()
    before = sha(warehouse)
    at.button(key="admin_validate").click().run()
    assert "校验未通过" in at.error[0].value
    assert "unknown city '西按'" in at.dataframe[-1].value["message"].str.cat()
    assert "admin_publish" not in [b.key for b in at.button]
    assert sha(warehouse) == before
    assert not (raw / "tencent_internet_plus" / "2019").exists()
