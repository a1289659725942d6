"""Reading raw files: encodings, title rows, header synonyms (simplified and traditional), XLSX sheets."""

from pathlib import Path

import openpyxl
import pytest

from etl.problems import InputError
from etl.read import read_table

# Real rows: the 2018 edition's city top 3 of the total index (hkcd.com, 2018-04-12).
ROWS = [("1", "深圳", "广东"), ("2", "广州", "广东"), ("3", "北京", "北京")]


def write_csv(path: Path, header: list[str], encoding: str, title_rows: int = 0) -> Path:
    lines = ['《中国"互联网+"指数报告(2018)》 总指数城市百强', "注：港澳台地区未统计"][:title_rows]
    lines += [",".join(header)] + [",".join(r) for r in ROWS]
    path.write_bytes("\n".join(lines).encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings_are_detected(tmp_path, encoding):
    table = read_table(write_csv(tmp_path / "t.csv", ["排名", "城市", "省份"], encoding))
    assert list(table.frame["region"]) == ["深圳", "广州", "北京"]
    assert table.encoding in ("utf-8", "utf-8-sig", "gb18030")


def test_title_rows_above_the_header_are_skipped_and_rows_keep_file_numbers(tmp_path):
    table = read_table(write_csv(tmp_path / "t.csv", ["名次", "城市名称", "所属省份"], "utf-8", title_rows=2))
    assert table.header_row == 3
    assert list(table.frame["_row"]) == [4, 5, 6]
    assert {"rank", "region", "province"} <= set(table.frame.columns)


def test_traditional_and_english_header_synonyms(tmp_path):
    table = read_table(write_csv(tmp_path / "t.csv", ["名次", "城市名稱", "所屬省份"], "utf-8"))
    assert {"rank", "region", "province"} <= set(table.frame.columns)
    table = read_table(write_csv(tmp_path / "e.csv", ["Rank", "City", "Province"], "utf-8"))
    assert {"rank", "region", "province"} <= set(table.frame.columns)


def test_declared_encoding_that_does_not_fit_is_an_error_naming_the_row(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["rank", "city", "province"], "gbk")
    with pytest.raises(InputError) as err:
        read_table(path, encoding="utf-8")
    assert "cannot decode as declared encoding 'utf-8'" in str(err.value) and "row 2" in str(err.value)


def test_xlsx_sheet_with_title_row(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "总指数"
    ws.append(["2018 总指数城市百强"])
    ws.append(["排名", "城市", "省份"])
    for rank, city, prov in ROWS:
        ws.append([int(rank), city, prov])
    wb.save(tmp_path / "t.xlsx")
    table = read_table(tmp_path / "t.xlsx")
    assert table.sheet == "总指数" and table.header_row == 2
    assert list(table.frame["rank"]) == ["1", "2", "3"]


def test_merged_header_cells_are_refused(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["排名", "城市", "省份"])
    ws.merge_cells("B1:C1")
    ws.append([1, "深圳", "广东"])
    wb.save(tmp_path / "m.xlsx")
    with pytest.raises(InputError, match="merged header cells B1:C1"):
        read_table(tmp_path / "m.xlsx")


def test_binary_garbage_named_csv_is_refused(tmp_path):
    path = tmp_path / "g.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match="binary data"):
        read_table(path)
