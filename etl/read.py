"""Read a raw report file into a table: detect the format and encoding, skip title rows, find the header."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd

from etl.catalogue import header_roles
from etl.problems import InputError, Problem
from etl.text import normalize

MAX_FILE_BYTES = 50 * 1024 * 1024  # bigger files are refused before anything is read
MAX_COLUMNS = 500
HEADER_SEARCH_ROWS = 30
XLSX_MERGE_CHECK_BYTES = 30 * 1024 * 1024  # merged-cell detection needs a full (non-streaming) load
_AUTO_ENCODINGS = ("utf-8-sig", "gb18030")  # GBK is a subset of GB18030


@dataclass
class RawTable:
    """A raw table with canonical role names where headers were recognised; `_row` is the file's row number."""

    frame: pd.DataFrame
    encoding: str | None
    header_row: int
    sheet: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        """Column name → the header as written in the file."""
        return self.frame.attrs.get("headers", {})


def check_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(Problem(str(path), f"file is {size / 1e6:.0f} MB; the limit is "
                                            f"{MAX_FILE_BYTES / 1e6:.0f} MB (split the report or load a CSV)"))
    if size == 0:
        raise InputError(Problem(str(path), "file is empty"))


def decode(path: Path, data: bytes, declared: str = "auto") -> tuple[str, str]:
    """Decode bytes with the declared encoding, or detect UTF-8 (with or without BOM) / GBK / GB18030."""
    if b"\x00" in data[:65536]:
        raise InputError(Problem(str(path), "file holds binary data (NUL bytes): not a CSV text file"))
    candidates = _AUTO_ENCODINGS if declared == "auto" else (declared,)
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            failure = exc
            continue
        return text.removeprefix("\ufeff"), codecs.lookup(encoding).name
    line = data[: failure.start].count(b"\n") + 1
    what = f"declared encoding {declared!r}" if declared != "auto" else "UTF-8 or GBK/GB18030"
    raise InputError(Problem(str(path), f"cannot decode as {what} (byte {failure.start}); "
                                        "save the file as UTF-8 or set 'encoding' in the sidecar", line))


def _header_score(cells: list[str], extra: set[str]) -> int:
    roles = header_roles()
    return sum(1 for c in cells if c and (normalize(c) in roles or normalize(c) in extra))


def find_header(path: Path, rows: list[list[str]], extra_headers: set[str]) -> int:
    """Index of the header row: the first row with two or more recognised headers."""
    extra = {normalize(h) for h in extra_headers}
    for i, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if _header_score(cells, extra) >= 2:
            return i
    known = "排名/名次/rank, 城市/地区/city, 省份/province"
    raise InputError(Problem(str(path), f"no header row found in the first {HEADER_SEARCH_ROWS} rows; "
                                        f"expected column headers such as {known}", 1))


def _canonical_columns(path: Path, header: list[str], overrides: dict[str, str], header_row: int) -> list[str]:
    """Rename recognised headers to their role; sidecar `columns` overrides win. Duplicates are errors."""
    roles = header_roles()
    by_override = {normalize(h): role for role, h in overrides.items()}
    names: list[str] = []
    for i, raw in enumerate(header):
        text = (raw or "").strip()
        key = normalize(text)
        name = by_override.get(key) or roles.get(key) or text or f"column_{i + 1}"
        if name in names:
            raise InputError(Problem(str(path), f"two columns mean {name!r} ({text!r}); keep one or map them "
                                                "in the sidecar's 'columns'", header_row, text))
        names.append(name)
    return names


def _frame(path: Path, header: list[str], body: pd.DataFrame, header_row: int,
           overrides: dict[str, str]) -> pd.DataFrame:
    if len(header) > MAX_COLUMNS:
        raise InputError(Problem(str(path), f"{len(header)} columns; at most {MAX_COLUMNS} are accepted",
                                 header_row))
    body.columns = _canonical_columns(path, header, overrides, header_row)
    written = dict(zip(body.columns, (h.strip() for h in header), strict=True))
    body.insert(0, "_row", range(header_row + 1, header_row + 1 + len(body)))
    cells = body.drop(columns="_row")
    body = body[(cells != "").any(axis=1)].reset_index(drop=True)
    if body.empty:
        raise InputError(Problem(str(path), "the header row is there but no data rows follow it", header_row))
    body.attrs["headers"] = written
    return body


def read_csv(path: Path, data: bytes, encoding: str, overrides: dict[str, str],
             extra_headers: set[str]) -> RawTable:
    text, used = decode(path, data, encoding)
    head_lines = text.splitlines()[:HEADER_SEARCH_ROWS]
    head = list(csv.reader(io.StringIO("\n".join(head_lines))))
    if not any(any(c.strip() for c in row) for row in head):
        raise InputError(Problem(str(path), "file holds no data (only blank lines)"))
    h = find_header(path, head, extra_headers)
    header = head[h]
    if len(header) > MAX_COLUMNS:
        raise InputError(Problem(str(path), f"{len(header)} columns; at most {MAX_COLUMNS} are accepted", h + 1))
    try:
        body = pd.read_csv(io.StringIO(text), skiprows=h + 1, header=None, names=range(len(header)),
                           dtype=str, keep_default_na=False, skip_blank_lines=False, engine="c",
                           index_col=False)
    except pd.errors.ParserError as exc:
        raise InputError(Problem(str(path), f"malformed CSV: {exc}")) from None
    if len(body.columns) > len(header):
        body = body.iloc[:, : len(header)]
    return RawTable(_frame(path, header, body.fillna(""), h + 1, overrides), used, h + 1)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_merged_header(path: Path, ws: object, header_row: int) -> None:
    for rng in getattr(ws, "merged_cells", None) or []:
        if rng.min_row <= header_row <= rng.max_row:
            raise InputError(Problem(str(path), f"merged header cells {rng.coord} in sheet {ws.title!r}: "
                                                "unmerge them so every column has its own header",
                                     header_row, rng.coord))


def open_workbook(path: Path) -> openpyxl.Workbook:
    streaming = path.stat().st_size > XLSX_MERGE_CHECK_BYTES
    try:
        return openpyxl.load_workbook(path, read_only=streaming, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise InputError(Problem(str(path), f"not a readable XLSX workbook ({type(exc).__name__}: {exc}); "
                                            "re-save it from Excel/WPS as .xlsx")) from None


def read_sheet(path: Path, ws: object, overrides: dict[str, str], extra_headers: set[str]) -> RawTable:
    rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    if not any(any(c.strip() for c in row) for row in rows):
        raise InputError(Problem(str(path), f"sheet {ws.title!r} is empty"))
    h = find_header(path, rows, extra_headers)
    _check_merged_header(path, ws, h + 1)
    header = rows[h]
    while header and not header[-1].strip():
        header = header[:-1]
    body = pd.DataFrame([r[: len(header)] + [""] * (len(header) - len(r)) for r in rows[h + 1:]],
                        columns=range(len(header)), dtype=str)
    return RawTable(_frame(path, header, body, h + 1, overrides), None, h + 1, ws.title)


def choose_sheet(path: Path, wb: openpyxl.Workbook, wanted: str | None, extra_headers: set[str]) -> object:
    """The sidecar's sheet, else the only sheet, else the first sheet with a recognisable header."""
    if wanted:
        if wanted not in wb.sheetnames:
            raise InputError(Problem(str(path), f"no sheet named {wanted!r}; sheets: {', '.join(wb.sheetnames)}"))
        return wb[wanted]
    if len(wb.sheetnames) == 1:
        return wb.worksheets[0]
    for ws in wb.worksheets:
        head = [[_cell_text(v) for v in row] for row in ws.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)]
        if any(_header_score(r, {normalize(h) for h in extra_headers}) >= 2 for r in head):
            return ws
    raise InputError(Problem(str(path), f"none of the sheets ({', '.join(wb.sheetnames)}) has a header row "
                                        "with 排名/城市/省份-like columns; name the sheet in the sidecar"))


def is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def read_table(path: Path, *, encoding: str = "auto", sheet: str | None = None,
               overrides: dict[str, str] | None = None, extra_headers: set[str] | None = None) -> RawTable:
    """Read one CSV or XLSX report table."""
    check_size(path)
    data = path.read_bytes()
    overrides, extra = overrides or {}, (extra_headers or set()) | set((overrides or {}).values())
    if is_xlsx(data):
        wb = open_workbook(path)
        return read_sheet(path, choose_sheet(path, wb, sheet, extra), overrides, extra)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        raise InputError(Problem(str(path), "named like a workbook but is not an XLSX file (old .xls files: "
                                            "save as .xlsx)"))
    return read_csv(path, data, encoding, overrides, extra)
