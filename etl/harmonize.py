"""Harmonize parsed cells: names → adcodes (alias table), codes/headers → indicators, text → numbers.

Names, levels, sources and years are fields of the file's rows and are harmonized once per row (names once per
distinct name); indicators once per slot; numbers for all cells at once, with the exact (slower) reading only
for the few texts that are not plain numbers. Problems still name every offending cell's row and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from etl.catalogue import Family
from etl.parse import Cells, Parsed
from etl.paths import REFERENCE_DIR
from etl.problems import Problems, located, source_name
from etl.regions import RegionResolver
from etl.sidecar import SOURCE_PATTERN, IndicatorMap, Sidecar
from etl.text import has_control_chars, load_yaml, normalize

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(\D|$))")
# Texts this matches (plain numbers, or with thousands separators) are read by Arrow's cast once the commas
# are gone, which gives exactly what _numbers gives for them.
_SIMPLE_NUMBER = r"^-?([0-9]+|[0-9]{1,3}(,[0-9]{3})+)(\.[0-9]+)?$"


@lru_cache(maxsize=1)
def value_synonyms() -> dict[str, dict[str, str]]:
    data = load_yaml((REFERENCE_DIR / "values.yml").read_text(encoding="utf-8"))
    return {field: {normalize(s): canon for canon, spellings in groups.items() for s in spellings}
            for field, groups in data.items()}


@dataclass
class Observations(Cells):
    """One release's observations, columnar: every cell's numbers with its row's and slot's harmonized fields.

    rows: adcode, level, data_year, basis, basis_note, source_url, source_file, source_row, raw_name, _row,
    _sheet; slots: indicator, scope, value_col, rank_col, band_col; cells: row, slot (positions), value, rank,
    rank_at_most (NaN: not published) and ok (harmonized cleanly: goes on to validation).
    """

    release_id: str
    value: np.ndarray
    rank: np.ndarray
    rank_at_most: np.ndarray
    ok: np.ndarray

    def frame(self, cells: np.ndarray | None = None) -> pd.DataFrame:
        """The observations (all, or those at the given positions) as one long table."""
        cells, rows, slots = self._at(cells)
        numbers = pd.DataFrame({
            "value": self.value[cells], "rank": pd.array(self.rank[cells]).astype("Int64"),
            "rank_at_most": pd.array(self.rank_at_most[cells]).astype("Int64"), "_ok": self.ok[cells]})
        frame = pd.concat([rows, slots, numbers], axis=1).assign(release_id=self.release_id)
        return frame[["release_id", "data_year", "adcode", "level", "indicator", "scope", "value", "rank",
                      "rank_at_most", "basis", "basis_note", "source_url", "source_file", "source_row", "raw_name",
                      "_row", "_sheet", "value_col", "rank_col", "band_col", "_ok"]]

    def head(self, n: int) -> pd.DataFrame:
        return self.frame(np.arange(min(n, len(self))))


def report(problems: Problems, path: Path, cells: np.ndarray, frame: Callable[[np.ndarray], pd.DataFrame],
           column: str | None, message: str, severity: str = "error", limit: int = 20,
           column_of: str | None = None) -> None:
    """One problem per offending cell (positions `cells`, up to `limit`), each naming its row and column: `column`,
    or the cell's own field `column_of` (the header a value sits under). `message` is formatted with the cell's
    fields; `frame` gives the fields of cells by position."""
    if not len(cells):
        return
    for _, row in frame(cells[:limit]).iterrows():
        col = row[column_of] if column_of else column
        problems.add(located(path, row["sheet"] if "sheet" in row else row["_sheet"]),
                     message.format(**row.to_dict()), int(row["_row"]), col or None, severity)
    if len(cells) > limit:
        problems.add(str(path), f"… {len(cells) - limit} more rows with the same problem", severity=severity)


def _by_unique(values: pd.Series, fn) -> pd.Series:
    """Apply fn once per distinct value: reports repeat the same names and codes thousands of times."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    results = np.empty(len(uniques), dtype=object)
    results[:] = [fn(u) for u in uniques]
    return pd.Series(results[codes], index=values.index)


def _numbers(raw: pd.Series, missing: tuple[str, ...]) -> tuple[pd.Series, pd.Series]:
    """Parse numeric text ('1,234.5', full-width digits, '12%'); returns values and a mask of bad cells."""
    values = pd.to_numeric(raw, errors="coerce").astype("float64")
    bad = pd.Series(False, index=raw.index)
    todo = values.isna() & (raw != "")  # empty cells ("not published") need no cleaning
    if todo.any():
        text = raw[todo].astype(str).str.strip()
        blank = (text == "") | text.isin(missing)
        cleaned = text.str.normalize("NFKC").str.replace(_THOUSANDS, "", regex=True).str.rstrip("%")
        fixed = pd.to_numeric(cleaned.where(~blank), errors="coerce")
        values[todo] = fixed.astype("float64")
        bad[todo] = ~blank & fixed.isna()
    return values, bad


def numbers(text: pa.ChunkedArray, missing: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """_numbers for many cells at once: plain and thousands-grouped numbers through Arrow, the rest (full-width
    digits, '12%', spaces, missing markers, junk) through _numbers. Null or '' is an empty cell."""
    values = np.full(len(text), np.nan)
    bad = np.zeros(len(text), dtype=bool)
    if text.null_count == len(text):
        return values, bad
    hit = pc.fill_null(pc.match_substring_regex(text, _SIMPLE_NUMBER), False).to_numpy()
    if hit.any():
        values[hit] = pc.cast(pc.replace_substring(text.filter(pa.array(hit)), ",", ""), pa.float64()).to_numpy()
    rest = np.flatnonzero(~hit & pc.fill_null(pc.not_equal(text, ""), False).to_numpy())
    if len(rest):
        exact, wrong = _numbers(text.take(pa.array(rest)).to_pandas().reset_index(drop=True), missing)
        values[rest], bad[rest] = exact.to_numpy(), wrong.to_numpy()
    return values, bad


def _row_text(parsed: Parsed, column: str) -> pa.ChunkedArray:
    array = pa.array(parsed.rows[column].astype(str))
    return array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])


_WHAT = {"rank": "rank", "band": "rank_at_most (a band: top N)"}


def _whole_numbers(problems: Problems, path: Path, parsed: Parsed, kind: str,
                   missing: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Ranks or bands: whole numbers ≥ 1 (empty = not published); returns numbers and the mask of bad cells."""
    values, bad = numbers(parsed.texts[f"{kind}_raw"], missing)
    with np.errstate(invalid="ignore"):
        bad |= ~np.isnan(values) & ((values % 1 != 0) | (values < 1))
    report(problems, path, np.flatnonzero(bad), parsed.frame, None,
           f"{_WHAT[kind]} {{{kind}_raw!r}} is not a whole number ≥ 1", column_of=f"{kind}_col")
    return values, bad


def _cells_of(parsed: Parsed, rows: np.ndarray) -> np.ndarray:
    """Positions of the cells that belong to the rows marked in `rows`."""
    return np.flatnonzero(rows[parsed.row])


def _map_field(problems: Problems, path: Path, parsed: Parsed, column: str, field: str, default: str,
               label: str) -> pd.Series:
    """A row field through the value synonyms (data/reference/values.yml); None where unknown."""
    synonyms = value_synonyms()[field]
    mapped = _by_unique(parsed.rows[column].astype(str),
                        lambda v: default if not v.strip() else synonyms.get(normalize(v)))
    bad = mapped.isna().to_numpy()
    if bad.any():
        allowed = ", ".join(sorted(set(synonyms.values())))
        report(problems, path, _cells_of(parsed, bad), parsed.frame, label,
               "{" + column + "!r} is not a " + f"{field} ({allowed})")
    return mapped


def _indicators(problems: Problems, path: Path, parsed: Parsed, sc: Sidecar, family: Family) -> pd.DataFrame:
    """Each slot's raw indicator code/header → (indicator, scope); unknown ones are problems."""
    known = set(family.indicators["code"])
    for raw_key, spec in sc.indicators.items():
        if spec.indicator not in known:
            problems.add(sc.path, f"indicators.{raw_key} → unknown indicator code {spec.indicator!r} of family "
                                  f"{family.code!r} (known: {', '.join(sorted(known))})", sc.line("indicators"),
                         "indicators")
    slots = parsed.slots
    mapping: dict[str, IndicatorMap] = {}
    for raw in slots["indicator_raw"].unique():
        spec = sc.indicators.get(raw) or (IndicatorMap(raw) if raw in known else None)
        if spec and spec.indicator in known:
            mapping[raw] = spec
    # A sidecar key that maps to an unknown code is the sidecar's problem (above), not the cells'.
    unknown = (~slots["indicator_raw"].isin(mapping.keys()) & ~slots["indicator_raw"].isin(sc.indicators)).to_numpy()
    if unknown.any():
        report(problems, path, np.flatnonzero(unknown[parsed.slot]), parsed.frame, "indicator",
               "unknown indicator code {indicator_raw!r}: map it in the sidecar's 'indicators' or add it to "
               f"data/reference/indicators/{family.code}.yml")
    codes = [mapping[r].indicator if r in mapping else None for r in slots["indicator_raw"]]
    scopes = [mapping[r].scope if r in mapping else None for r in slots["indicator_raw"]]
    scope = slots["scope"].where(slots["scope"] != "", pd.Series(scopes, index=slots.index, dtype=object))
    return pd.DataFrame({"indicator": codes, "scope": scope.to_numpy()})


def _regions(problems: Problems, path: Path, parsed: Parsed, levels: pd.Series,
             resolver: RegionResolver) -> pd.Series:
    """Resolve each distinct (name or code, level, province, city) once; report every unresolved cell."""
    rows = parsed.rows
    key = rows["region_code"].where(rows["region_code"] != "", rows["region_raw"])
    cols = ["key", "level", "province", "city"]
    combos = pd.DataFrame({"key": key, "level": levels, "province": rows["province_raw"], "city": rows["city_raw"]})
    group = combos.groupby(cols, dropna=False, sort=False).ngroup().to_numpy()
    firsts = combos.drop_duplicates(cols)
    results = np.empty(len(firsts), dtype=object)
    for g, (name, level, province, city) in enumerate(zip(*(firsts[c].to_numpy(dtype=object) for c in cols),
                                                          strict=True)):
        if not isinstance(level, str):
            continue
        if has_control_chars(name):
            report(problems, path, _cells_of(parsed, group == g), parsed.frame, "region",
                   "name holds control characters: {region_raw!r}")
            continue
        res = resolver.resolve(name, level, province or None, city or None)
        if res.adcode is None:
            report(problems, path, _cells_of(parsed, group == g), parsed.frame, "region",
                   res.message.replace("{", "{{").replace("}", "}}"))
        results[g] = res.adcode
    return pd.Series(results[group], index=rows.index)


def _data_years(problems: Problems, path: Path, parsed: Parsed, sc: Sidecar) -> pd.Series:
    years, bad = numbers(_row_text(parsed, "data_year_raw"), ())
    years = np.where(np.isnan(years), sc.data_year if sc.data_year is not None else np.nan, years)
    lo, hi = sc.data_years or (1990, 2100)
    with np.errstate(invalid="ignore"):
        bad |= np.isnan(years) | (years % 1 != 0) | (years < lo) | (years > hi)
    report(problems, path, _cells_of(parsed, bad), parsed.frame, "data_year",
           f"data year {{data_year_raw!r}} is not a whole year in {lo}–{hi}")
    return pd.Series(years, index=parsed.rows.index).where(~bad).astype("Int64")


def _editions(problems: Problems, path: Path, parsed: Parsed, sc: Sidecar) -> None:
    """A report_year / edition column must name the sidecar's edition."""
    written = parsed.rows["edition_raw"].astype(str).str.strip().str.normalize("NFKC")
    bad = ((written != "") & (written != sc.edition)).to_numpy()
    report(problems, path, _cells_of(parsed, bad), parsed.frame, "edition",
           f"edition {{edition_raw!r}} differs from the sidecar's edition {sc.edition!r}")


def _sources(problems: Problems, path: Path, parsed: Parsed, sc: Sidecar) -> tuple[pd.Series, np.ndarray]:
    """Each row's source: its own or the sidecar's first URL; returns them and the mask of bad rows."""
    source = parsed.rows["source"].where(parsed.rows["source"] != "", sc.source_urls[0])
    bad = ~_by_unique(source, lambda u: bool(SOURCE_PATTERN.match(str(u).strip()))).astype(bool).to_numpy()
    # Name the column as the file spells it (headers kept by etl.read through parsing).
    report(problems, path, _cells_of(parsed, bad), parsed.frame, parsed.headers.get("source", "source"),
           "source {source!r} is not an http(s) URL (or 'NO_URL: <where it was published>')")
    return source, bad


def _historical_warnings(problems: Problems, path: Path, obs: Observations, regions: pd.DataFrame) -> None:
    """Data for a region after it was abolished or merged stays its own, but deserves a warning."""
    ended = regions.dropna(subset=["valid_to"])[["adcode", "level", "valid_to", "name_zh"]]
    late = obs.rows.merge(ended, on=["adcode", "level"])  # keeps the rows' order (every row holds cells)
    late = late[late["data_year"] > late["valid_to"]]
    for (adcode, _), grp in late.groupby(["adcode", "level"]):
        first = grp.iloc[0]
        problems.add(located(path, first["_sheet"]),
                     f"{first['name_zh']} ({adcode}) existed until {first['valid_to']} but has data for "
                     f"{sorted(grp['data_year'].unique().tolist())}; kept as its own region",
                     int(first["_row"]), "region", "warning")


def harmonize(parsed: Parsed, sc: Sidecar, family: Family, resolver: RegionResolver,
              regions: pd.DataFrame, problems: Problems) -> Observations:
    """Return observations (one per release × year × region × indicator × scope) with their rows' provenance."""
    path = sc.raw_path
    levels = _map_field(problems, path, parsed, "level_raw", "level", sc.level, "level")
    basis = _map_field(problems, path, parsed, "basis", "basis", "stated", "basis")
    slots = _indicators(problems, path, parsed, sc, family)
    _editions(problems, path, parsed, sc)
    adcodes = _regions(problems, path, parsed, levels, resolver)
    values, bad_values = numbers(parsed.texts["value_raw"], sc.missing_values)
    report(problems, path, np.flatnonzero(bad_values), parsed.frame, None,
           "value {value_raw!r} is not a number (write numbers like 1234.5 or 1,234.5; leave unknown values empty)",
           column_of="value_col")
    ranks, bad_ranks = _whole_numbers(problems, path, parsed, "rank", sc.missing_values)
    bands, bad_bands = _whole_numbers(problems, path, parsed, "band", sc.missing_values)
    both = ~np.isnan(ranks) & ~np.isnan(bands)
    report(problems, path, np.flatnonzero(both), parsed.frame, None,
           "an exact rank ({rank_raw}) and a band (top {band_raw}) in one row: keep the exact rank and leave "
           "rank_at_most empty, or give only the band", column_of="band_col")
    bad_bands |= both
    source, bad_sources = _sources(problems, path, parsed, sc)
    raw = parsed.rows
    rows = pd.DataFrame({
        "adcode": adcodes, "level": levels, "data_year": _data_years(problems, path, parsed, sc), "basis": basis,
        "basis_note": raw["basis_note"].replace("", None), "source_url": source,
        "source_file": _by_unique(raw["sheet"], lambda sheet: source_name(path, sheet)),
        "source_row": raw["_row"], "raw_name": raw["region_raw"], "_row": raw["_row"], "_sheet": raw["sheet"]})
    row_ok = rows[["adcode", "level", "data_year", "basis"]].notna().all(axis=1).to_numpy() & ~bad_sources
    slot_ok = slots["indicator"].notna().to_numpy()
    obs = Observations(
        rows, pd.concat([slots, parsed.slots[["value_col", "rank_col", "band_col"]]], axis=1), parsed.row,
        parsed.slot, sc.release_id, np.where(bad_values, np.nan, values), np.where(bad_ranks, np.nan, ranks),
        np.where(bad_bands, np.nan, bands),
        row_ok[parsed.row] & slot_ok[parsed.slot] & ~bad_values & ~bad_ranks & ~bad_bands)
    if not problems.errors:
        _historical_warnings(problems, path, obs, regions)
    return obs
