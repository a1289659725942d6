"""Format adapters: each turns one raw file into the same long table of raw cells (nothing interpreted yet).

Output columns: _row, region_raw, region_code, province_raw, city_raw, level_raw, indicator_raw, scope, rank_raw,
value_raw, band_raw, rank_col, value_col, band_col, source, basis, basis_note, data_year_raw, sheet, edition_raw.
A band ("in the top N", exact rank unknown) is its own cell: band_raw holds N.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from etl.catalogue import families
from etl.problems import InputError, Problem
from etl.read import RawTable, open_workbook, read_sheet, read_table
from etl.sidecar import IndicatorMap, Sidecar
from etl.text import normalize

PARSED_COLUMNS = ["_row", "region_raw", "region_code", "province_raw", "city_raw", "level_raw", "indicator_raw",
                  "scope", "rank_raw", "value_raw", "band_raw", "rank_col", "value_col", "band_col", "source",
                  "basis", "basis_note", "data_year_raw", "sheet", "edition_raw"]


def _require(path: Path, table: RawTable, roles: tuple[str, ...]) -> None:
    missing = [r for r in roles if r not in table.frame.columns]
    if missing:
        found = ", ".join(c for c in table.frame.columns if c != "_row")
        raise InputError(Problem(str(path), f"missing column(s) {', '.join(missing)} (found: {found}); name "
                                            "them in the sidecar's 'columns' if the headers differ",
                                 table.header_row))


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    for col in PARSED_COLUMNS:
        if col not in frame:
            frame[col] = ""
    return frame[PARSED_COLUMNS].fillna("")


def parse_long(path: Path, sc: Sidecar) -> pd.DataFrame:
    """One row per region × indicator: region, indicator, rank, band and/or value columns."""
    table = read_table(path, encoding=sc.encoding, sheet=sc.sheet, overrides=sc.columns)
    _require(path, table, ("region", "indicator"))
    if not {"rank", "value", "rank_at_most"} & set(table.frame):
        raise InputError(Problem(str(path), "needs a rank, rank_at_most or value column", table.header_row))
    frame = table.frame.rename(columns={r: f"{r}_raw" for r in ("region", "province", "city", "level", "indicator",
                                                                "rank", "value")})
    frame = frame.rename(columns={"data_year": "data_year_raw", "rank_at_most": "band_raw", "edition": "edition_raw"})
    frame["rank_col"] = sc.columns.get("rank", "rank")
    frame["value_col"] = sc.columns.get("value", "value")
    frame["band_col"] = sc.columns.get("rank_at_most", "rank_at_most")
    frame["scope"] = ""
    frame["sheet"] = table.sheet or ""
    return _finish(frame)


def _pair_columns(path: Path, table: RawTable, sc: Sidecar) -> dict[tuple[str, str], dict[str, str]]:
    """Group the table's indicator columns by (indicator, scope) into their value, rank and band columns."""
    fixed = {"_row", "region", "province", "city", "level", "source", "basis", "basis_note", "data_year", "edition",
             "row_number"}
    mapped = {normalize(k): v for k, v in sc.indicators.items()}
    pairs: dict[tuple[str, str], dict[str, str]] = {}
    bare_rank = False
    for col in table.frame.columns:
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


def _stack(base: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """The given columns one after another (column-major), '' where an indicator has no such column."""
    empty = np.full(len(base), "", dtype=object)
    return np.concatenate([base[c].to_numpy(dtype=object) if c else empty for c in columns])


def parse_report_table(path: Path, sc: Sidecar) -> pd.DataFrame:
    """One row per region, a column per indicator value (and optionally per rank or band), mapping in the sidecar."""
    table = read_table(path, encoding=sc.encoding, sheet=sc.sheet, overrides=sc.columns,
                       extra_headers=set(sc.indicators))
    return report_cells(path, table, sc)


def report_cells(path: Path, table: RawTable, sc: Sidecar) -> pd.DataFrame:
    """Unpivot a report table already read (a CSV/XLSX sheet, or one page of a PDF table)."""
    _require(path, table, ("region",))
    base = table.frame
    pairs = _pair_columns(path, table, sc)
    if not pairs:
        raise InputError(Problem(str(path), "no indicator columns mapped in the sidecar's 'indicators'",
                                 table.header_row))
    # Vectorised unpivot: every region row repeated once per indicator, indicator by indicator.
    k = len(pairs)
    value_cols = [cols.get("value", "") for cols in pairs.values()]
    rank_cols = [cols.get("rank", "") for cols in pairs.values()]
    band_cols = [cols.get("band", "") for cols in pairs.values()]
    frame = pd.DataFrame({
        "_row": np.tile(base["_row"].to_numpy(), k), "region_raw": np.tile(base["region"].to_numpy(), k),
        "indicator_raw": np.repeat([ind for ind, _ in pairs], len(base)),
        "scope": np.repeat([scope for _, scope in pairs], len(base)),
        "value_raw": _stack(base, value_cols), "rank_raw": _stack(base, rank_cols),
        "band_raw": _stack(base, band_cols), "value_col": np.repeat(value_cols, len(base)),
        "rank_col": np.repeat(rank_cols, len(base)), "band_col": np.repeat(band_cols, len(base)),
        "sheet": table.sheet or "",
    })
    for role in ("province", "city", "level", "source", "basis", "basis_note", "data_year", "edition"):
        if role in base:
            name = f"{role}_raw" if role in ("province", "city", "level", "data_year", "edition") else role
            frame[name] = np.tile(base[role].to_numpy(), k)
    return _finish(frame)


PKU_SHEETS = {"Provinces": ("province", "prov_code", "prov_name"),
              "Prefecture_Level_Cities": ("city", "pref_code_year14", "pref_name_year18")}


def _pku_frame(path: Path, table: RawTable, level: str, code_col: str, name_col: str,
               indicators: dict[str, IndicatorMap]) -> pd.DataFrame:
    frame = table.frame
    missing = [c for c in ("year", code_col, name_col, *indicators) if c not in frame.columns]
    if missing:
        where = f"sheet {table.sheet!r}" if table.sheet else "file"
        raise InputError(Problem(str(path), f"{where} lacks official column(s) {', '.join(missing)}",
                                 table.header_row))
    long = frame.melt(id_vars=["_row", "year", code_col, name_col], value_vars=list(indicators),
                      var_name="value_col", value_name="value_raw")
    return pd.DataFrame({
        "_row": long["_row"], "region_raw": long[name_col], "region_code": long[code_col], "level_raw": level,
        "indicator_raw": long["value_col"], "value_raw": long["value_raw"], "value_col": long["value_col"],
        "data_year_raw": long["year"], "scope": "national", "sheet": table.sheet or "",
    })


def parse_pku_workbook(path: Path, sc: Sidecar) -> pd.DataFrame:
    """The official PKU-DFIIC workbook (sheets Provinces and Prefecture_Level_Cities), or one sheet as CSV."""
    indicators = sc.indicators or {c: IndicatorMap(c) for c in families()[sc.family].indicators["code"]}
    headers = {"year", *indicators, *(c for spec in PKU_SHEETS.values() for c in spec[1:])}
    if path.suffix.lower() == ".csv":
        table = read_table(path, encoding=sc.encoding, extra_headers=headers)
        sheet = "Provinces" if "prov_code" in table.frame.columns else "Prefecture_Level_Cities"
        return _finish(_pku_frame(path, table, *PKU_SHEETS[sheet], indicators))
    wb = open_workbook(path)
    present = [s for s in PKU_SHEETS if s in wb.sheetnames]
    if not present:
        raise InputError(Problem(str(path), f"no sheet named {' or '.join(PKU_SHEETS)} "
                                            f"(sheets: {', '.join(wb.sheetnames)})"))
    frames = [_pku_frame(path, read_sheet(path, wb[s], {}, headers), *PKU_SHEETS[s], indicators)
              for s in present]
    return _finish(pd.concat(frames, ignore_index=True))


def parse_pdf_table(path: Path, sc: Sidecar) -> pd.DataFrame:
    """Tables printed in a PDF report (etl/pdf.py), unpivoted like report tables."""
    from etl.pdf import parse_pdf  # imported here: the PDF machinery builds on report_cells

    return parse_pdf(path, sc)


ADAPTERS = {"long": parse_long, "report_table": parse_report_table, "pku_workbook": parse_pku_workbook,
            "pdf_table": parse_pdf_table}


def parse(path: Path, sc: Sidecar) -> pd.DataFrame:
    return ADAPTERS[sc.format](path, sc)
