"""PDF report tables: what is extracted equals what was printed (every cell), with the right pages, and a PDF
report loads into the warehouse with page-level sources. Fixtures are printed at test time (tests/pdf_fixtures.py):
one Chromium run per fixture set, shared by the session."""

from __future__ import annotations

import pickle
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd
import pdfplumber
import pytest
import yaml

from etl import commands, pdf
from etl.__main__ import main
from etl.pdf_extract import Line, text_parts
from etl.pdfspec import PdfSpec
from etl.problems import InputError
from etl.regions import resolver
from etl.text import nfkc
from tests import pdf_fixtures as fx
from tests.conftest import copy_raw, quiet, skip_or_fail

HEADERS = {"指数", *fx.PKU_COLUMNS.values()}
SPREAD = (3, 1, 1, 3)  # tables per report page of the 2-up print


@pytest.fixture(scope="session")
def top10() -> list[fx.SourceTable]:
    return fx.top10_tables()


@pytest.fixture(scope="session")
def printed(tmp_path_factory, top10) -> dict[str, Path]:
    """The 2018 lists printed four ways: Chromium ruled, unruled and 2-up; reportlab (STSong-Light)."""
    if not Path(fx.CHROMIUM).is_file():
        skip_or_fail(f"{fx.CHROMIUM} is needed to print the PDF fixtures")
    root = tmp_path_factory.mktemp("pdf-top10")
    return {"ruled": fx.print_pdf(fx.report_html(top10, ruled=True), root / "top10.pdf"),
            "unruled": fx.print_pdf(fx.report_html(top10, ruled=False), root / "top10_unruled.pdf"),
            "spread": fx.print_pdf(fx.spread_html(top10, SPREAD), root / "top10_2up.pdf"),
            "reportlab": fx.reportlab_pdf(top10, root / "top10_reportlab.pdf")}


@pytest.fixture(scope="session")
def appendix(shared_dir) -> fx.SourceTable:
    return fx.pku_appendix(shared_dir)


@pytest.fixture(scope="session")
def appendix_pdfs(tmp_path_factory, appendix) -> dict[str, Path]:
    """The PKU-DFIIC 2020 appendix (333 cities, 11 pages, header repeated, prose, footnote, folios)."""
    if not Path(fx.CHROMIUM).is_file():
        skip_or_fail(f"{fx.CHROMIUM} is needed to print the PDF fixtures")
    root = tmp_path_factory.mktemp("pdf-pku")
    return {"ruled": fx.print_pdf(fx.report_html([appendix], ruled=True), root / "appendix.pdf"),
            "unruled": fx.print_pdf(fx.report_html([appendix], ruled=False), root / "appendix_unruled.pdf")}


def rows_of(table) -> list[list[str]]:
    return [cells for part in table.parts for _, cells in part.rows]


@pytest.mark.parametrize("producer", ["ruled", "unruled", "spread", "reportlab"])
def test_every_printed_list_is_extracted_exactly(producer, printed, top10):
    tables = pdf.extract(printed[producer], PdfSpec(), HEADERS).tables
    assert [t.title for t in tables] == [s.title for s in top10]
    for got, source in zip(tables, top10, strict=True):
        assert got.header == source.header
        assert rows_of(got) == source.rows, got.title


def test_a_2up_spread_is_read_as_two_report_pages(printed, top10):
    tables = pdf.extract(printed["spread"], PdfSpec(), HEADERS).tables
    pages = [part.page for t in tables for part in t.parts]
    assert pages == ["p1L"] * 3 + ["p1R", "p2L"] + ["p2R"] * 3
    forced_off = pdf.extract(printed["spread"], PdfSpec(two_up=False), HEADERS).tables
    assert [t.title for t in forced_off] != [s.title for s in top10]  # read across the gutter, the lines mix


@pytest.mark.parametrize("style", ["ruled", "unruled"])
def test_the_appendix_is_extracted_cell_by_cell_over_its_pages(style, appendix_pdfs, appendix):
    (table,) = pdf.extract(appendix_pdfs[style], PdfSpec(), HEADERS).tables
    assert table.title == appendix.title and table.header == appendix.header
    assert rows_of(table) == appendix.rows  # 333 rows × 7 cells: repeated headers, footnote, folios left out
    with pdfplumber.open(appendix_pdfs[style]) as doc:
        pages = len(doc.pages)
    assert [p.page for p in table.parts] == [f"p{n}" for n in range(1, pages + 1)]
    assert all([r for r, _ in part.rows] == list(range(1, len(part.rows) + 1)) for part in table.parts)


def test_wrapped_names_are_joined(appendix_pdfs, appendix):
    longest = max((row[2] for row in appendix.rows), key=len)
    with pdfplumber.open(appendix_pdfs["ruled"]) as doc:
        text = "\n".join(page.extract_text() for page in doc.pages)
    assert longest not in nfkc(text).split("\n")  # printed over two lines …
    (table,) = pdf.extract(appendix_pdfs["ruled"], PdfSpec(), HEADERS).tables
    assert longest in [row[2] for row in rows_of(table)]  # … read as one name


def test_kangxi_and_radical_forms_become_ordinary_characters(printed):
    with pdfplumber.open(printed["ruled"]) as doc:
        raw = doc.pages[0].extract_text() + doc.pages[1].extract_text()
    assert "⼴" in raw and "⻓" in raw  # Chromium + Noto CJK print 广东 and 长沙 like this
    tables = pdf.extract(printed["ruled"], PdfSpec(), HEADERS).tables
    cells = "".join(c for t in tables for row in rows_of(t) for c in row)
    assert "广东" in cells and "长沙" in cells
    assert not any("\u2e80" <= ch <= "\u2fdf" for ch in cells)
    assert nfkc("⼴东⾃治区⾦融⻓沙⻘岛") == "广东自治区金融长沙青岛"


def test_a_value_with_thousands_separators_stays_one_cell():
    words = [{"text": t, "x0": x, "x1": x + w, "top": 10.0, "bottom": 20.0} for t, x, w in
             [("排名", 10, 20), ("城市", 60, 20), ("指数", 140, 20)]]
    row = [{"text": t, "x0": x, "x1": x + w, "top": 24.0, "bottom": 34.0} for t, x, w in
           [("1", 10, 5), ("北京", 60, 20), ("1,234.56", 130, 40)]]
    (part,) = text_parts([Line(words), Line(row)], "p1", {"排名", "城市", "指数"}, (), [0])
    assert part.rows == [(1, ["1", "北京", "1,234.56"])]


# ---------------------------------------------------------------- loading a PDF report


def test_a_pdf_report_loads_with_page_level_sources(printed, top10, tmp_path):
    raw, warehouse = copy_raw(tmp_path), tmp_path / "index.duckdb"
    meta = tmp_path / "top10.meta.yml"
    meta.write_text(yaml.safe_dump(fx.top10_sidecar(top10), allow_unicode=True, sort_keys=False), encoding="utf-8")
    commands.add(printed["ruled"], meta, raw, warehouse, quiet, replace=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        got = con.execute("SELECT level, indicator, rank, adcode, value, source_ref FROM rankings "
                          "WHERE edition = '2018' ORDER BY ALL").df()
    own = fx.listed_2018()
    want = pd.DataFrame({"level": own["scope"], "indicator": own["indicator"], "rank": own["rank"].astype(int),
                         "adcode": [resolver().resolve(n, lv).adcode for n, lv in zip(own["name_zh"], own["scope"],
                                                                                      strict=True)],
                         "value": pd.to_numeric(own["value"])}).sort_values(["level", "indicator", "rank", "adcode"])
    pd.testing.assert_frame_equal(got.drop(columns="source_ref").reset_index(drop=True), want.reset_index(drop=True),
                                  check_dtype=False)
    shenzhen = got[(got["indicator"] == "total") & (got["level"] == "city") & (got["rank"] == 1)]
    assert shenzhen["source_ref"].tolist() == ["top10.pdf:p1:r10"]  # the 10th table row on page 1
    assert (raw / "tencent_internet_plus" / "2018" / "top10.pdf").is_file()


def test_the_appendix_loads_every_value(appendix_pdfs, appendix, tmp_path):
    raw, warehouse = tmp_path / "raw", tmp_path / "index.duckdb"
    meta = tmp_path / "appendix.meta.yml"
    meta.write_text(yaml.safe_dump({
        "family": "pku_dfiic", "edition": "2020-appendix", "data_year": 2020, "title": appendix.title,
        "publisher": "北京大学数字金融研究中心", "published": "2021-04-30",
        "source_urls": ["https://idf.pku.edu.cn/zsbz/bjdxszphjrzs/index.htm"], "citation": "PKU-DFIIC (test)",
        "terms": "test fixture, never stored", "framework": "pku_dfiic_2011_2023", "format": "pdf_table",
        "indicators": dict(zip(fx.PKU_COLUMNS.values(), fx.PKU_COLUMNS, strict=True))}, allow_unicode=True),
        encoding="utf-8")
    summary = commands.add(appendix_pdfs["ruled"], meta, raw, warehouse, quiet)
    assert any("莱芜" in str(w) for w in summary.warnings)  # merged into 济南 in 2019, still reported
    with duckdb.connect(str(warehouse), read_only=True) as con:
        got = con.execute("SELECT raw_name, indicator, value, source_ref FROM rankings").df()
    assert len(got) == 4 * len(appendix.rows)
    printed_values = {(row[2], code): float(row[3 + i]) for row in appendix.rows
                      for i, code in enumerate(fx.PKU_COLUMNS)}
    assert dict(zip(zip(got["raw_name"], got["indicator"], strict=True), got["value"], strict=True)) == printed_values
    assert got["source_ref"].str.extract(r":p(\d+):")[0].astype(int).max() == 11


# ---------------------------------------------------------------- refusals and limits


def test_the_time_limit_is_named_with_the_page(appendix_pdfs):
    with pytest.raises(InputError) as error:
        pdf.extract(appendix_pdfs["ruled"], PdfSpec(), HEADERS, max_seconds=0.3)
    assert "took longer than the limit of 0.3 s" in str(error.value)


def test_the_page_limit_is_named(appendix_pdfs):
    with pytest.raises(InputError, match="the PDF has 11 pages; at most 5 are read"):
        pdf.extract(appendix_pdfs["ruled"], PdfSpec(), HEADERS, max_pages=5)


def test_a_merged_row_in_a_ruled_table_is_refused_with_its_page_and_row(tmp_path, top10):
    table = next(t for t in top10 if len(t.rows) == 10)
    name = table.rows[6][1]
    page = fx.report_html([table], ruled=True).replace(f'<tr><td class="">7</td><td class="">{name}</td>',
                                                       f'<tr><td colspan="2">7 {name}</td>', 1)
    assert 'colspan="2"' in page
    printed_pdf = fx.print_pdf(page, tmp_path / "merged.pdf")
    with pytest.raises(InputError) as error:
        pdf.extract(printed_pdf, PdfSpec(), HEADERS)
    assert "merged.pdf, page 1: row 7 has merged or missing cells" in str(error.value)


def test_a_missing_table_title_is_a_sidecar_problem(printed, top10, tmp_path):
    meta = tmp_path / "top10.meta.yml"
    sidecar = fx.top10_sidecar(top10)
    sidecar["pdf"]["tables"][0]["title"] = "2017年数字生活城市排名"
    meta.write_text(yaml.safe_dump(sidecar, allow_unicode=True), encoding="utf-8")
    result = commands.check(printed["ruled"], meta, tmp_path / "raw", quiet)
    assert "no table titled '2017年数字生活城市排名' found" in str(result.problems.errors[0])


def test_pdfminer_font_warnings_are_silenced(printed):
    request = pickle.dumps((str(printed["ruled"]), PdfSpec(), {"排名", "城市", "指数"}, 500, 60.0))
    done = subprocess.run([sys.executable, "-m", "etl.pdf_extract"], input=request, capture_output=True,
                          check=True, env=pdf._child_env())
    assert pickle.loads(done.stdout)[0] == "ok"
    assert b"FontBBox" not in done.stderr and not done.stderr.strip()


def test_parsing_leaves_the_calling_process_responsive(appendix_pdfs):
    """The server's threads keep running while a PDF is parsed: the work happens in another process."""
    pdf._CACHE.clear()
    worker = threading.Thread(target=pdf.extract, args=(appendix_pdfs["unruled"], PdfSpec(), HEADERS))
    worker.start()
    gaps, last = [], time.perf_counter()
    while worker.is_alive():
        time.sleep(0.01)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
    worker.join()
    assert len(gaps) > 20 and max(gaps) < 0.25, max(gaps)


def test_a_problem_in_a_pdf_names_file_page_row_and_column(top10, tmp_path, capsys):
    misspelt = [fx.SourceTable(t.title, t.header, [[r, "深玔" if n == "深圳" else n, v] for r, n, v in t.rows],
                               t.level, t.indicator) for t in top10]
    report = fx.reportlab_pdf(misspelt, tmp_path / "lists.pdf")  # page 2 begins with the city total top 10
    meta = tmp_path / "lists.meta.yml"
    meta.write_text(yaml.safe_dump(fx.top10_sidecar(top10), allow_unicode=True), encoding="utf-8")
    code = main(["--raw-dir", str(tmp_path / "raw"), "check", str(report), "--meta", str(meta)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{report}, page 2, row 1, column 'region': unknown city '深玔'" in err


def test_a_ranking_problem_names_the_page_where_the_table_starts(printed, top10, tmp_path):
    meta = tmp_path / "top10.meta.yml"
    meta.write_text(yaml.safe_dump({**fx.top10_sidecar(top10), "ranks_complete": True}, allow_unicode=True),
                    encoding="utf-8")
    result = commands.check(printed["ruled"], meta, tmp_path / "raw", quiet)
    gaps = [str(p) for p in result.problems.errors if "not complete" in p.message]
    # The press quoted no 6th province, and only 1st and 5th place of the cities' 数字产业 (on page 2).
    assert f"{printed['ruled']}, page 1, row 1, column 'rank': ranks of total (province, national, 2017) are not " \
           "complete: missing [6], but the sidecar says ranks_complete: true" in gaps
    assert any(g.startswith(f"{printed['ruled']}, page 2, row 21, column 'rank': ranks of digital_industry (city")
               for g in gaps)
