"""Format adapters: each turns one raw file into the same raw cells (nothing interpreted yet).

A file's cells are its source rows × indicator slots:
- rows, one per row of the file: _row, sheet, region_raw, region_code, province_raw, city_raw, level_raw, source,
  basis, basis_note, data_year_raw, edition_raw;
- slots, one per indicator column (report tables, PKU-DFIIC) or per distinct indicator code (long tables):
  indicator_raw, scope, value_col, rank_col, band_col (the headers the value, rank and band cells sit under);
- cells, one per row × slot the file holds: the row's and slot's positions and the value, rank and band texts.
A band ("in the top N", exact rank unknown) is its own cell text: band_raw holds N. Names, levels, years and
sources belong to rows, so later steps read and resolve them once per row, not once per cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from etl.catalogue import families
from etl.problems import InputError, Problem
from etl.read import RawTable, open_workbook, read_sheet, read_table
from etl.sidecar import IndicatorMap, Sidecar
from etl.text import normalize

ROW_COLUMNS = ["_row", "sheet", "region_raw", "region_code", "province_raw", "city_raw", "level_raw", "source",
               "basis", "basis_note", "data_year_raw", "edition_raw"]
SLOT_COLUMNS = ["indicator_raw", "scope", "value_col", "rank_col", "band_col"]
CELL_TEXTS = ("value_raw", "rank_raw", "band_raw")
PARSED_COLUMNS = ["_row", "region_raw", "region_code", "province_raw", "city_raw", "level_raw", "indicator_raw",
                  "scope", "rank_raw", "value_raw", "band_raw", "rank_col", "value_col", "band_col", "source",
                  "basis", "basis_note", "data_year_raw", "sheet", "edition_raw"]
# Table roles that are row attributes, and their names among the rows' columns.
ROW_ROLES = {"region": "region_raw", "province": "province_raw", "city": "city_raw", "level": "level_raw",
             "source": "source", "basis": "basis", "basis_note": "basis_note", "data_year": "data_year_raw",
             "edition": "edition_raw"}
TEXT = pa.large_string()  # pandas keeps its text columns as Arrow large strings: no copies on the way


@dataclass
class Cells:
    """Cells as rows × slots: each cell is a row of the table (a region) and a slot (an indicator's columns)."""

    rows: pd.DataFrame
    slots: pd.DataFrame
    row: np.ndarray  # per cell: position in rows
    slot: np.ndarray  # per cell: position in slots

    def __len__(self) -> int:
        return len(self.row)

    def _at(self, cells: np.ndarray | None) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame]:
        """The positions (all cells when None) and their rows' and slots' fields, one line per cell."""
        cells = np.arange(len(self)) if cells is None else np.asarray(cells)
        return (cells, self.rows.iloc[self.row[cells]].reset_index(drop=True),
                self.slots.iloc[self.slot[cells]].reset_index(drop=True))


@dataclass
class Parsed(Cells):
    """The raw cells of one file (see the module docstring); texts are Arrow arrays, '' or null when empty."""

    texts: dict[str, pa.ChunkedArray]  # value_raw, rank_raw, band_raw per cell
    headers: dict[str, str]  # role → the header as written in the file

    def frame(self, cells: np.ndarray | None = None) -> pd.DataFrame:
        """The cells (all, or those at the given positions) as one long table of PARSED_COLUMNS."""
        cells, rows, slots = self._at(cells)
        texts = {name: text.take(pa.array(cells)).to_pandas().fillna("") for name, text in self.texts.items()}
        return pd.concat([rows, slots, pd.DataFrame(texts)], axis=1)[PARSED_COLUMNS]


def _rows(table: pa.Table, sheet: str | None, **constants: str) -> pd.DataFrame:
    """The rows' fields from a table's role columns ('' where the table has no such column)."""
    rows = pd.DataFrame(dict.fromkeys(ROW_COLUMNS, ""), index=range(table.num_rows))
    rows["_row"], rows["sheet"] = table.column("_row").to_numpy(), sheet or ""
    for role, name in ROW_ROLES.items():
        if role in table.column_names:
            rows[name] = table.column(role).to_pandas()
    for name, value in constants.items():
        rows[name] = value
    return rows


def _text(column: pa.ChunkedArray | None, n: int) -> pa.ChunkedArray:
    """One column's cell texts as Arrow large strings (null where the slot has no such column)."""
    return pa.chunked_array([pa.nulls(n, TEXT)]) if column is None else column.cast(TEXT)


def wide(table: pa.Table, rows: pd.DataFrame, slots: pd.DataFrame, headers: dict[str, str]) -> Parsed:
    """Every row × every slot of a wide table, slot by slot (the order problems are reported in); the slots'
    value_col, rank_col and band_col name the table's columns."""
    n, k = table.num_rows, len(slots)
    columns = dict(zip(table.column_names, table.columns, strict=True))
    texts = {text: pa.chunked_array([chunk for name in slots[role] for chunk in _text(columns.get(name), n).chunks],
                                    TEXT)
             for text, role in zip(CELL_TEXTS, ("value_col", "rank_col", "band_col"), strict=True)}
    return Parsed(rows, slots[SLOT_COLUMNS].reset_index(drop=True), np.tile(np.arange(n), k),
                  np.repeat(np.arange(k), n), texts, headers)


def concat(parts: list[Parsed]) -> Parsed:
    """Several tables' cells as one (the parts of a PDF table, the sheets of a workbook)."""
    row_offsets = np.cumsum([0] + [len(p.rows) for p in parts[:-1]])
    slot_offsets = np.cumsum([0] + [len(p.slots) for p in parts[:-1]])
    return Parsed(
        pd.concat([p.rows for p in parts], ignore_index=True),
        pd.concat([p.slots for p in parts], ignore_index=True),
        np.concatenate([p.row + o for p, o in zip(parts, row_offsets, strict=True)]),
        np.concatenate([p.slot + o for p, o in zip(parts, slot_offsets, strict=True)]),
        {name: pa.chunked_array([c for p in parts for c in p.texts[name].chunks], TEXT) for name in CELL_TEXTS},
        {k: v for p in parts for k, v in p.headers.items()})


def _require(path: Path, table: RawTable, roles: tuple[str, ...]) -> None:
    missing = [r for r in roles if r not in table.columns]
    if missing:
        found = ", ".join(c for c in table.columns if c != "_row")
        raise InputError(Problem(str(path), f"missing column(s) {', '.join(missing)} (found: {found}); name "
                                            "them in the sidecar's 'columns' if the headers differ",
                                 table.header_row))


def parse_long(path: Path, sc: Sidecar) -> Parsed:
    """One row per region × indicator: region, indicator, rank, band and/or value columns."""
    table = read_table(path, encoding=sc.encoding, sheet=sc.sheet, overrides=sc.columns)
    _require(path, table, ("region", "indicator"))
    if not {"rank", "value", "rank_at_most"} & set(table.columns):
        raise InputError(Problem(str(path), "needs a rank, rank_at_most or value column", table.header_row))
    data = table.table
    codes, indicators = pd.factorize(data.column("indicator").to_numpy(), use_na_sentinel=False)
    slots = pd.DataFrame({"indicator_raw": indicators, "scope": ""})
    for role, column in (("value_col", "value"), ("rank_col", "rank"), ("band_col", "rank_at_most")):
        slots[role] = sc.columns.get(column, column)
    texts = {text: _text(data.column(column) if column in data.column_names else None, data.num_rows)
             for text, column in zip(CELL_TEXTS, ("value", "rank", "rank_at_most"), strict=True)}
    return Parsed(_rows(data, table.sheet), slots, np.arange(data.num_rows), codes, texts, table.headers)


def _pair_columns(path: Path, table: RawTable, sc: Sidecar) -> dict[tuple[str, str], dict[str, str]]:
    """Group the table's indicator columns by (indicator, scope) into their value, rank and band columns."""
    fixed = {"_row", "region", "province", "city", "level", "source", "basis", "basis_note", "data_year", "edition",
             "row_number"}
    mapped = {normalize(k): v for k, v in sc.indicators.items()}
    pairs: dict[tuple[str, str], dict[str, str]] = {}
    bare_rank = False
    for col in table.columns:
        spec = mapped.get(normalize(table.headers.get(col, col))) or mapped.get(normalize(col))
        if spec is None and col == "rank":
            bare_rank = True  # paired below with the only indicator that has no rank column
            continue
        if spec is None:
            if col not in fixed:
                raise InputError(Problem(str(path), f"column {col!r} is not mapped to an indicator in the "
                                                    "sidecar's 'indicators'", table.header_row, col))
            continue
        slot = pairs.setdefault((spec.indicator, spec.scope), {})
        if spec.role in slot:
            raise InputError(Problem(str(path), f"two {spec.role} columns for {spec.indicator}", table.header_row,
                                     col))
        slot[spec.role] = col
    if bare_rank:
        value_only = [k for k, v in pairs.items() if "rank" not in v]
        if len(value_only) != 1:
            raise InputError(Problem(str(path), "say which indicator the rank column ranks: map it in the "
                                                "sidecar as {indicator: <code>, role: rank}", table.header_row,
                                     "rank"))
        pairs[value_only[0]]["rank"] = "rank"
    return pairs


def parse_report_table(path: Path, sc: Sidecar) -> Parsed:
    """One row per region, a column per indicator value (and optionally per rank or band), mapping in the sidecar."""
    table = read_table(path, encoding=sc.encoding, sheet=sc.sheet, overrides=sc.columns,
                       extra_headers=set(sc.indicators))
    return report_cells(path, table, sc)


def report_cells(path: Path, table: RawTable, sc: Sidecar, **constants: str) -> Parsed:
    """The cells of a report table already read (a CSV/XLSX sheet, or one page of a PDF table)."""
    _require(path, table, ("region",))
    pairs = _pair_columns(path, table, sc)
    if not pairs:
        raise InputError(Problem(str(path), "no indicator columns mapped in the sidecar's 'indicators'",
                                 table.header_row))
    slots = pd.DataFrame({
        "indicator_raw": [ind for ind, _ in pairs], "scope": [scope for _, scope in pairs],
        **{f"{role}_col": [cols.get(role, "") for cols in pairs.values()] for role in ("value", "rank", "band")}})
    return wide(table.table, _rows(table.table, table.sheet, **constants), slots, table.headers)


PKU_SHEETS = {"Provinces": ("province", "prov_code", "prov_name"),
              "Prefecture_Level_Cities": ("city", "pref_code_year14", "pref_name_year18")}


def _pku_cells(path: Path, table: RawTable, level: str, code_col: str, name_col: str,
               indicators: dict[str, IndicatorMap]) -> Parsed:
    data = table.table
    missing = [c for c in ("year", code_col, name_col, *indicators) if c not in data.column_names]
    if missing:
        where = f"sheet {table.sheet!r}" if table.sheet else "file"
        raise InputError(Problem(str(path), f"{where} lacks official column(s) {', '.join(missing)}",
                                 table.header_row))
    rows = _rows(data, table.sheet, level_raw=level)
    for name, column in (("region_raw", name_col), ("region_code", code_col), ("data_year_raw", "year")):
        rows[name] = data.column(column).to_pandas()
    slots = pd.DataFrame({"indicator_raw": list(indicators), "scope": "national", "value_col": list(indicators),
                          "rank_col": "", "band_col": ""})
    return wide(data, rows, slots, table.headers)


def parse_pku_workbook(path: Path, sc: Sidecar) -> Parsed:
    """The official PKU-DFIIC workbook (sheets Provinces and Prefecture_Level_Cities), or one sheet as CSV."""
    indicators = sc.indicators or {c: IndicatorMap(c) for c in families()[sc.family].indicators["code"]}
    headers = {"year", *indicators, *(c for spec in PKU_SHEETS.values() for c in spec[1:])}
    if path.suffix.lower() == ".csv":
        table = read_table(path, encoding=sc.encoding, extra_headers=headers)
        sheet = "Provinces" if "prov_code" in table.frame.columns else "Prefecture_Level_Cities"
        return _pku_cells(path, table, *PKU_SHEETS[sheet], indicators)
    wb = open_workbook(path)
    present = [s for s in PKU_SHEETS if s in wb.sheetnames]
    if not present:
        raise InputError(Problem(str(path), f"no sheet named {' or '.join(PKU_SHEETS)} "
                                            f"(sheets: {', '.join(wb.sheetnames)})"))
    return concat([_pku_cells(path, read_sheet(path, wb[s], {}, headers), *PKU_SHEETS[s], indicators)
                   for s in present])


def parse_pdf_table(path: Path, sc: Sidecar) -> Parsed:
    """Tables printed in a PDF report (etl/pdf.py), read like report tables."""
    from etl.pdf import parse_pdf  # imported here: the PDF machinery builds on report_cells

    return parse_pdf(path, sc)


ADAPTERS = {"long": parse_long, "report_table": parse_report_table, "pku_workbook": parse_pku_workbook,
            "pdf_table": parse_pdf_table}


def parse(path: Path, sc: Sidecar) -> Parsed:
    return ADAPTERS[sc.format](path, sc)
