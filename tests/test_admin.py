"""'Add a yearly report' in the web UI: off without an admin token; with it, uploads are validated like the
CLI, stored under safe generated names, and published only after the preview is confirmed."""

import hashlib
import re

import duckdb
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from etl import commands
from etl.paths import PROJECT_ROOT
from tests import pdf_fixtures
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


def test_a_pdf_upload_shows_its_tables_with_pages_before_publishing(site, monkeypatch, tmp_path):
    raw, warehouse = site
    monkeypatch.setenv("INDEX_ADMIN_TOKEN", "s3cret-token")
    tables = pdf_fixtures.top10_tables()
    report = pdf_fixtures.reportlab_pdf(tables, tmp_path / "lists.pdf").read_bytes()
    sidecar = yaml.safe_dump(pdf_fixtures.top10_sidecar(tables), allow_unicode=True, sort_keys=False)
    at = data_page()
    at.text_input(key="admin_token").input("s3cret-token").run()
    at.file_uploader(key="admin_file").set_value(("2018 lists.pdf", report, "application/pdf")).run()
    at.text_area(key="admin_sidecar").input(sidecar).run()
    at.checkbox(key="admin_replace").check().run()  # the 2018 edition is loaded: the PDF replaces it
    before = sha(warehouse)
    at.button(key="admin_validate").click().run()
    assert not at.exception
    assert "校验通过" in at.success[0].value
    assert any("从 PDF 读出的表格" in c.value for c in at.caption)
    extracted = next(d.value for d in at.dataframe if "page" in d.value.columns)
    first = extracted.iloc[0]
    assert (first["table"], first["page"], first["row"], first["排名"], first["省份"]) == \
        ("表1 2017年总指数省份排名", "p1", 1, "1", "广东")
    assert len(extracted) == sum(len(t.rows) for t in tables)
    assert sha(warehouse) == before
    at.button(key="admin_publish").click().run()
    assert "已发布" in at.success[-1].value
    with duckdb.connect(str(warehouse), read_only=True) as con:
        refs = [r for (r,) in con.execute("SELECT source_ref FROM rankings WHERE edition = '2018'").fetchall()]
    assert len(refs) == 42 and all(re.fullmatch(r"upload-\w+\.pdf:p[123]:r\d+", r) for r in refs), refs[:3]
    stored = sorted(p.name for p in (raw / "tencent_internet_plus" / "2018").iterdir())
    assert len(stored) == 2 and any(name.endswith(".pdf") for name in stored)
