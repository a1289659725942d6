"""`python -m etl init`: a drafted sidecar whose only gaps are the TODO provenance fields; `etl check` lists each
TODO, and passes once they are filled. PDFs, a messy GBK CSV and the PKU-DFIIC workbook."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from etl.__main__ import main
from tests import pdf_fixtures as fx
from tests.conftest import skip_or_fail

PROVENANCE_TODOS = ["publisher", "published", "source_urls", "citation", "terms", "framework"]
FILLED = {"publisher": "腾讯研究院 (Tencent Research Institute)", "published": "2018-04-12",
          "citation": "腾讯研究院 (2018)", "terms": "Cite the report.", "framework": "internet_plus_2018"}
REPORT_TABLE_2018 = Path(__file__).parent / "data" / "report_table_2018.csv"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def fill_todos(meta: Path, values: dict[str, str]) -> None:
    """What a user does after init: replace every TODO value, nothing else."""
    text = meta.read_text(encoding="utf-8")
    for key, value in values.items():
        text, n = re.subn(rf"^{key}: 'TODO:.*'$", f"{key}: '{value}'", text, flags=re.M)
        assert n == 1, key
    text, n = re.subn(r"^- 'TODO: URL.*'$", "- https://tisi.org/5025", text, flags=re.M)
    assert n == 1
    assert "TODO:" not in text
    meta.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory) -> Path:
    if not Path(fx.CHROMIUM).is_file():
        skip_or_fail(f"{fx.CHROMIUM} is needed to print the PDF fixtures")
    root = tmp_path_factory.mktemp("init")
    return fx.print_pdf(fx.report_html(fx.top10_tables(), ruled=False, heading=fx.REPORT_2018), root / "report.pdf")


def test_init_drafts_a_pdf_sidecar_and_check_lists_its_todos(report_pdf, tmp_path, capsys):
    pdf = tmp_path / report_pdf.name
    pdf.write_bytes(report_pdf.read_bytes())
    code, out, _ = run(capsys, "init", str(pdf))
    meta = tmp_path / "report.meta.yml"
    assert code == 0 and meta.is_file()
    assert "family tencent_internet_plus: the title or file name says '互联网+'" in out
    assert "edition 2018: from '《中国\"互联网+\"指数报告(2018)》 榜单'" in out
    assert "data year 2017: this family's editions describe the year before their publication" in out
    assert "table 4: page 1, title '表4 2017年总指数城市排名', columns 排名 @x=" in out
    assert "column '排名' → digital_economy (rank): the title names '数字经济分指数'" in out
    todo_keys = re.findall(r"report\.meta\.yml, row \d+, key '(\w+)': TODO", out)
    assert todo_keys == PROVENANCE_TODOS

    code, _, err = run(capsys, "--raw-dir", str(tmp_path / "raw"), "check", str(pdf), "--meta", str(meta))
    assert code == 1
    listed = re.findall(r"report\.meta\.yml, row (\d+), key '(\w+)': fill in 'TODO", err)
    assert [key for _, key in listed] == PROVENANCE_TODOS
    lines = meta.read_text(encoding="utf-8").splitlines()
    assert all(lines[int(row) - 1].startswith((f"{key}:", "- 'TODO")) for row, key in listed)

    fill_todos(meta, FILLED)
    code, out, err = run(capsys, "--raw-dir", str(tmp_path / "raw"), "check", str(pdf), "--meta", str(meta))
    assert code == 0, err
    assert "is valid (42 observations)" in out


def test_init_never_overwrites_without_force(report_pdf, tmp_path, capsys):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(report_pdf.read_bytes())
    meta = tmp_path / "report.meta.yml"
    meta.write_text("mine", encoding="utf-8")
    code, _, err = run(capsys, "init", str(pdf))
    assert code == 1 and "a sidecar is already there; pass --force to overwrite it" in err
    assert meta.read_text(encoding="utf-8") == "mine"
    assert run(capsys, "init", str(pdf), "--force")[0] == 0 and meta.read_text(encoding="utf-8") != "mine"
    out = tmp_path / "elsewhere.meta.yml"
    assert run(capsys, "init", str(pdf), "--out", str(out))[0] == 0 and out.is_file()


def messy_gbk_csv(path: Path) -> Path:
    """The 2018 top-10 report table as a spreadsheet export: GBK, traditional headers, full-width spaces."""
    text = REPORT_TABLE_2018.read_text(encoding="utf-8")
    text = text.replace("所属省份,数字经济分指数排名", "所屬省份,數字經濟分指數排名").replace("深圳,", "深　圳,")
    path.write_bytes(text.encode("gbk"))
    return path


def test_init_drafts_a_messy_gbk_csv(tmp_path, capsys):
    report = messy_gbk_csv(tmp_path / "top10_2018.csv")
    code, out, _ = run(capsys, "init", str(report))
    assert code == 0
    assert "header: row 3 (排名, 城市, 所屬省份, 數字經濟分指數排名); 10 data rows; encoding gb18030" in out
    assert "column '數字經濟分指數排名' → digital_economy (rank): matches '数字经济分指数', score 1.00" in out
    assert "column '排名' → total (rank): the title names '总指数'" in out
    meta = tmp_path / "top10_2018.meta.yml"
    fill_todos(meta, FILLED)
    code, out, err = run(capsys, "--raw-dir", str(tmp_path / "raw"), "check", str(report), "--meta", str(meta))
    assert code == 0, err
    assert "is valid (20 observations)" in out  # 10 cities × 2 ranks; 长沙's blank one is "not published"


def test_a_near_miss_header_is_matched_with_its_score(tmp_path, capsys):
    report = tmp_path / "report_2018.csv"
    text = REPORT_TABLE_2018.read_text(encoding="utf-8").replace("数字经济分指数排名", "数字经济分指排名")
    report.write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, "init", str(report))
    assert code == 0
    assert re.search(r"column '数字经济分指排名' → digital_economy \(rank\): matches '数字经济分指数', score 0\.9\d",
                     out), out


def test_init_drafts_the_pku_appendix_pdf(shared_dir, tmp_path, capsys):
    appendix = fx.pku_appendix(shared_dir)
    pdf = fx.print_pdf(fx.report_html([appendix], ruled=True), tmp_path / "pku_appendix_2020.pdf")
    code, out, _ = run(capsys, "init", str(pdf))
    assert code == 0
    assert "family pku_dfiic: the title or file name says '数字普惠金融'" in out
    assert "data year 2020: from '附表1 2020年城市数字普惠金融指数'" in out
    assert f"page 1–11, title '{appendix.title}'" in out and "333 row(s)" in out
    assert "column '总指数' → index_aggregate: matches '总指数', score 1.00" in out
    meta = tmp_path / "pku_appendix_2020.meta.yml"
    fill_todos(meta, {**FILLED, "framework": "pku_dfiic_2011_2023", "title": "北京大学数字普惠金融指数(2020)",
                      "published": "2021-04-30", "publisher": "北京大学数字金融研究中心"})
    code, out, err = run(capsys, "--raw-dir", str(tmp_path / "raw"), "check", str(pdf), "--meta", str(meta))
    assert code == 0, err
    assert f"is valid ({4 * len(appendix.rows):,} observations)" in out


def test_init_drafts_the_pku_workbook(pku_workbook, tmp_path, capsys):
    meta = tmp_path / "pku.meta.yml"
    code, out, _ = run(capsys, "init", str(pku_workbook), "--out", str(meta))
    assert code == 0 and "family pku_dfiic: the title or file name says 'pku-dfiic'" in out
    text = meta.read_text(encoding="utf-8")
    assert "format: pku_workbook" in text and "data_years:\n- 2011\n- 2023" in text and "edition: 2011-2023" in text
