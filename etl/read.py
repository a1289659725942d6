"""Read a raw report file into a table: detect the format and encoding, skip title rows, find the header."""

from __future__ import annotations

import codecs
import csv
import io
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from etl.catalogue import header_roles
from etl.problems import InputError, Problem, Problems
from etl.text import normalize

MAX_FILE_BYTES = 50 * 1024 * 1024  # bigger files are refused before anything is read
_MB = 1024 * 1024
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
        raise InputError(Problem(str(path), f"file is {size / _MB:.0f} MB; the limit is "
                                            f"{MAX_FILE_BYTES / _MB:.0f} MB (split the report or load a CSV)"))
    if size == 0:
        raise InputError(Problem(str(path), "file is empty"))


def _column_at(data: bytes, offset: int) -> str | None:
    """The column (role or header, as in other problems) of the CSV cell holding byte `offset`."""
    start = data.rfind(b"\n", 0, offset) + 1
    index, quoted = 0, False
    for byte in data[start:offset]:  # ',' and '"' never occur inside UTF-8 or GBK multi-byte characters
        if byte == 0x22:
            quoted = not quoted
        elif byte == 0x2C and not quoted:
            index += 1
    text = data[: 1 << 20].decode("utf-8", errors="replace")
    head = list(csv.reader(io.StringIO("\n".join(text.splitlines()[:HEADER_SEARCH_ROWS]))))
    try:
        header = head[find_header(Path("-"), head, set())]
    except InputError:
        return None
    return _column_label(header, index)


def _column_label(header: list[str], index: int) -> str | None:
    """How problems name column `index`: its role where the header is recognised, else the header."""
    if index >= len(header):
        return None
    written = header[index].strip()
    return header_roles().get(normalize(written), written) or None


def _mixed_lines(data: bytes) -> tuple[int, int, int] | None:
    """(byte offset, row, UTF-8 row) of the first line in a minority encoding, if UTF-8 and GBK lines mix."""
    utf8_rows, other = [], []
    offset = 0
    for row, line in enumerate(data.split(b"\n"), start=1):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            other.append((offset + exc.start, row))
        else:
            if any("\u2e80" <= ch <= "\u9fff" for ch in text):
                utf8_rows.append((offset + next(i for i, b in enumerate(line) if b >= 0x80), row))
        offset += len(line) + 1
    if not utf8_rows or not other:
        return None
    (bad_at, bad_row), (_, good_row) = (other[0], utf8_rows[0]) if len(other) <= len(utf8_rows) else \
        (utf8_rows[0], other[0])
    return bad_at, bad_row, good_row


def decode(path: Path, data: bytes, declared: str = "auto") -> tuple[str, str]:
    """Decode bytes with the declared encoding, or detect UTF-8 (with or without BOM) / GBK / GB18030.

    Auto-detection refuses a file whose lines mix UTF-8 and GBK (two files pasted together): decoding it
    either way would turn part of the names into mojibake.
    """
    if b"\x00" in data[:65536]:
        raise InputError(Problem(str(path), "file holds binary data (NUL bytes): not a CSV text file"))
    candidates = _AUTO_ENCODINGS if declared == "auto" else (declared,)
    for i, encoding in enumerate(candidates):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            failure = exc
            if declared == "auto" and i == 0 and (mixed := _mixed_lines(data)):
                at, row, utf8_row = mixed
                raise InputError(Problem(str(path), f"mixed encodings: this row is not encoded like row {utf8_row} "
                                                    "(one is UTF-8, the other GBK/GB18030); save the whole file "
                                                    "in one encoding (UTF-8)", row, _column_at(data, at))) from None
            continue
        return text.removeprefix("\ufeff"), codecs.lookup(encoding).name
    line = data[: failure.start].count(b"\n") + 1
    what = f"declared encoding {declared!r}" if declared != "auto" else "UTF-8 or GBK/GB18030"
    raise InputError(Problem(str(path), f"cannot decode as {what} (byte {failure.start}); "
                                        "save the file as UTF-8 or set 'encoding' in the sidecar", line,
                             _column_at(data, failure.start)))


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


def table_from_rows(path: Path, header: list[str], rows: list[list[str]], numbers: list[int],
                    overrides: dict[str, str], sheet: str) -> RawTable:
    """A table given as cell texts (a PDF page's part of a table); `numbers` are the rows' own numbers."""
    body = pd.DataFrame(rows, columns=range(len(header)), dtype=str)
    frame = _frame(path, header, body, 0, overrides)  # numbers the rows 1..n, then drops the empty ones
    frame["_row"] = [numbers[r - 1] for r in frame["_row"]]
    return RawTable(frame, None, 0, sheet)


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
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            body = pd.read_csv(io.StringIO(text), skiprows=h + 1, header=None, names=range(len(header)),
                               dtype=str, keep_default_na=False, skip_blank_lines=False, engine="c",
                               index_col=False)
    except pd.errors.ParserError as exc:
        unclosed = _unclosed_quote(text)
        if unclosed:
            row, index = unclosed
            raise InputError(Problem(str(path), "a quoted cell starts here but its closing quote (\") never "
                                                "comes, so the rest of the file would be one cell; close or remove "
                                                "the quote", row, _column_label(header, index))) from None
        _refuse_extra_cells(path, text, h, header)
        raise InputError(Problem(str(path), f"malformed CSV: {' '.join(str(exc).split())}")) from None
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        _refuse_extra_cells(path, text, h, header)  # pandas dropped cells beyond the header's width
    if len(body.columns) > len(header):
        body = body.iloc[:, : len(header)]
    return RawTable(_frame(path, header, body.fillna(""), h + 1, overrides), used, h + 1)


def _refuse_extra_cells(path: Path, text: str, header_index: int, header: list[str], limit: int = 20) -> None:
    """Rows with more cells than the header lose the extra ones: an error unless those cells are empty."""
    problems = Problems()
    rows = csv.reader(io.StringIO(text))
    for _ in range(header_index + 1):
        next(rows, None)
    for row_number, cells in enumerate(rows, start=header_index + 2):
        extra = [(i, c) for i, c in enumerate(cells[len(header):], start=len(header) + 1) if c.strip()]
        if not extra:
            continue
        if len(problems.items) == limit:
            problems.add(path, "… more rows with cells beyond the header")
            break
        i, cell = extra[0]
        problems.add(path, f"{len(cells)} cells but the header has {len(header)}: cell {i} ({cell!r}) has no "
                           "column (a comma inside a name or value? put the cell in double quotes)", row_number)
    problems.raise_if_errors()


def _unclosed_quote(text: str) -> tuple[int, int] | None:
    """(row, column index) of a quoted CSV cell that is never closed, if there is one."""
    start, quoted, after_quote = True, False, False
    row, index, opened = 1, 0, None
    for ch in text:
        if quoted:
            if ch == '"':
                quoted, after_quote = False, True
            elif ch == "\n":
                row += 1
            continue
        if after_quote and ch == '"':  # "" inside a quoted cell: an escaped quote
            quoted, after_quote = True, False
            continue
        after_quote = False
        if ch == ",":
            start, index = True, index + 1
        elif ch == "\n":
            start, row, index = True, row + 1, 0
        elif ch == '"' and start:
            quoted, start, opened = True, False, (row, index)
        elif ch != "\r":
            start = False
    return opened if quoted else None


def _formula(value: object) -> str | None:
    """The formula of a workbook cell, if it holds one (workbooks are opened with formulas, not cached values)."""
    if isinstance(value, ArrayFormula):
        return value.text
    if isinstance(value, DataTableFormula):
        return "=TABLE(…)"
    if isinstance(value, str) and value.startswith("="):
        return value
    return None


def _check_formulas(path: Path, ws: object, rows: list[list[object]], header: list[str], header_row: int,
                    limit: int = 20) -> None:
    """Refuse formula cells from the header down: a report must hold values, and a formula's cached result is
    whatever the last program to save the file computed (openpyxl, WPS and scripts save none at all)."""
    problems = Problems()
    for r, row in enumerate(rows[header_row - 1:], start=header_row):
        for c, value in enumerate(row):
            formula = _formula(value)
            if formula is None:
                continue
            if len(problems.items) == limit:
                problems.add(path, "… more formula cells")
                raise InputError(problems)
            shown = formula if len(formula) <= 60 else formula[:57] + "…"
            problems.add(path, f"cell {get_column_letter(c + 1)}{r} of sheet {ws.title!r} holds a formula "
                               f"({shown!r}), not a value: paste it as values (Paste Special → Values) and save",
                         r, _column_label(header, c) or get_column_letter(c + 1))
    problems.raise_if_errors()


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
        return openpyxl.load_workbook(path, read_only=streaming, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise InputError(Problem(str(path), f"not a readable XLSX workbook ({type(exc).__name__}: {exc}); "
                                            "re-save it from Excel/WPS as .xlsx")) from None


def read_sheet(path: Path, ws: object, overrides: dict[str, str], extra_headers: set[str]) -> RawTable:
    cells = [list(row) for row in ws.iter_rows(values_only=True)]
    rows = [[_cell_text(v) for v in row] for row in cells]
    if not any(any(c.strip() for c in row) for row in rows):
        raise InputError(Problem(str(path), f"sheet {ws.title!r} is empty"))
    h = find_header(path, rows, extra_headers)
    _check_merged_header(path, ws, h + 1)
    _check_formulas(path, ws, cells, rows[h], h + 1)
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
