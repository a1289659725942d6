"""Harmonize parsed cells: names → adcodes (alias table), codes/headers → indicators, text → numbers."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from etl.catalogue import Family
from etl.paths import REFERENCE_DIR
from etl.problems import Problems, located, source_name
from etl.regions import RegionResolver
from etl.sidecar import SOURCE_PATTERN, IndicatorMap, Sidecar
from etl.text import has_control_chars, load_yaml, normalize

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(\D|$))")


@lru_cache(maxsize=1)
def value_synonyms() -> dict[str, dict[str, str]]:
    data = load_yaml((REFERENCE_DIR / "values.yml").read_text(encoding="utf-8"))
    return {field: {normalize(s): canon for canon, spellings in groups.items() for s in spellings}
            for field, groups in data.items()}


def _where(path: Path, sheet: str) -> str:
    return located(path, sheet)


def _report(problems: Problems, path: Path, rows: pd.DataFrame, column: str | pd.Series, message: str,
            severity: str = "error", limit: int = 20) -> None:
    """One problem per offending row (up to `limit`), each naming its row and column."""
    cols = column if isinstance(column, pd.Series) else pd.Series(column, index=rows.index)
    for (_, row), col in zip(rows.head(limit).iterrows(), cols.loc[rows.head(limit).index], strict=True):
        problems.add(_where(path, row["sheet"]), message.format(**row.to_dict()), int(row["_row"]), col or None,
                     severity)
    if len(rows) > limit:
        problems.add(str(path), f"… {len(rows) - limit} more rows with the same problem", severity=severity)


def _by_unique(values: pd.Series, fn) -> pd.Series:
    """Apply fn once per distinct value: reports repeat the same names and codes thousands of times."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    results = np.empty(len(uniques), dtype=object)
    results[:] = [fn(u) for u in uniques]
    return pd.Series(results[codes], index=values.index)


def _numbers(raw: pd.Series, missing: tuple[str, ...]) -> tuple[pd.Series, pd.Series]:
    """Parse numeric text ('1,234.5', full-width digits, '12%'); returns values and a mask of bad cells.

    Plain numbers (the common case) are converted at C speed; only the rest get the slower cleaning.
    """
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


_WHAT = {"rank": "rank", "band": "rank_at_most (a band: top N)"}


def _whole_numbers(problems: Problems, path: Path, parsed: pd.DataFrame, kind: str,
                   missing: tuple[str, ...]) -> tuple[pd.Series, pd.Series]:
    """Ranks or bands: whole numbers ≥ 1 (empty = not published); returns numbers and the mask of bad cells."""
    numbers, bad = _numbers(parsed[f"{kind}_raw"], missing)
    bad |= numbers.notna() & ((numbers % 1 != 0) | (numbers < 1))
    if bad.any():
        _report(problems, path, parsed[bad], parsed.loc[bad, f"{kind}_col"],
                f"{_WHAT[kind]} {{{kind}_raw!r}} is not a whole number ≥ 1")
    return numbers, bad


def _map_field(problems: Problems, path: Path, frame: pd.DataFrame, column: str, field: str, default: str,
               label: str) -> pd.Series:
    synonyms = value_synonyms()[field]
    mapped = _by_unique(frame[column].astype(str),
                        lambda v: default if not v.strip() else synonyms.get(normalize(v)))
    bad = mapped.isna()
    if bad.any():
        allowed = ", ".join(sorted(set(synonyms.values())))
        _report(problems, path, frame[bad], label, "{" + column + "!r} is not a " + f"{field} ({allowed})")
    return mapped


def _indicators(problems: Problems, path: Path, frame: pd.DataFrame, sc: Sidecar,
                family: Family) -> pd.DataFrame:
    """Raw indicator codes/headers → (indicator, scope); unknown ones are problems."""
    known = set(family.indicators["code"])
    for raw_key, spec in sc.indicators.items():
        if spec.indicator not in known:
            problems.add(sc.path, f"indicators.{raw_key} → unknown indicator code {spec.indicator!r} of family "
                                  f"{family.code!r} (known: {', '.join(sorted(known))})", sc.line("indicators"),
                         "indicators")
    mapping: dict[str, IndicatorMap] = {}
    for raw in frame["indicator_raw"].unique():
        spec = sc.indicators.get(raw) or (IndicatorMap(raw) if raw in known else None)
        if spec and spec.indicator in known:
            mapping[raw] = spec
    frame = frame.assign(indicator_raw=frame["indicator_raw"].where(
        frame["indicator_raw"].isin(mapping) | ~frame["indicator_raw"].isin(sc.indicators), None))
    unknown = ~frame["indicator_raw"].isin(mapping.keys()) & frame["indicator_raw"].notna()
    if unknown.any():
        _report(problems, path, frame[unknown], "indicator",
                "unknown indicator code {indicator_raw!r}: map it in the sidecar's 'indicators' or add it to "
                f"data/reference/indicators/{family.code}.yml")
    codes = _by_unique(frame["indicator_raw"], lambda r: mapping[r].indicator if r in mapping else None)
    scopes = _by_unique(frame["indicator_raw"], lambda r: mapping[r].scope if r in mapping else None)
    scope = frame["scope"].where(frame["scope"] != "", scopes)
    return pd.DataFrame({"indicator": codes, "scope": scope})


def _regions(problems: Problems, path: Path, frame: pd.DataFrame, levels: pd.Series,
             resolver: RegionResolver) -> pd.Series:
    """Resolve each distinct (name or code, level, province, city) once; report every unresolved row."""
    key = frame["region_code"].where(frame["region_code"] != "", frame["region_raw"])
    cols = ["key", "level", "province", "city"]
    combos = pd.DataFrame({"key": key, "level": levels, "province": frame["province_raw"], "city": frame["city_raw"]})
    group = combos.groupby(cols, dropna=False, sort=False).ngroup().to_numpy()
    firsts = combos.drop_duplicates(cols)
    results = np.empty(len(firsts), dtype=object)
    for g, (name, level, province, city) in enumerate(firsts.itertuples(index=False)):
        if not isinstance(level, str):
            continue
        if has_control_chars(name):
            _report(problems, path, frame[group == g], "region", "name holds control characters: {region_raw!r}")
            continue
        res = resolver.resolve(name, level, province or None, city or None)
        if res.adcode is None:
            _report(problems, path, frame[group == g], "region", res.message.replace("{", "{{").replace("}", "}}"))
        results[g] = res.adcode
    return pd.Series(results[group], index=frame.index)


def _data_years(problems: Problems, path: Path, frame: pd.DataFrame, sc: Sidecar) -> pd.Series:
    years, bad = _numbers(frame["data_year_raw"], ())
    years = years.fillna(sc.data_year if sc.data_year is not None else np.nan)
    lo, hi = sc.data_years or (1990, 2100)
    bad |= years.isna() | (years % 1 != 0) | (years < lo) | (years > hi)
    if bad.any():
        _report(problems, path, frame[bad], "data_year",
                f"data year {{data_year_raw!r}} is not a whole year in {lo}–{hi}")
    return years.astype("Int64")


def _editions(problems: Problems, path: Path, frame: pd.DataFrame, sc: Sidecar) -> None:
    """A report_year / edition column must name the sidecar's edition."""
    written = frame["edition_raw"].astype(str).str.strip().str.normalize("NFKC")
    bad = (written != "") & (written != sc.edition)
    if bad.any():
        _report(problems, path, frame[bad], "edition",
                f"edition {{edition_raw!r}} differs from the sidecar's edition {sc.edition!r}")


def _historical_warnings(problems: Problems, path: Path, obs: pd.DataFrame, regions: pd.DataFrame) -> None:
    """Data for a region after it was abolished or merged stays its own, but deserves a warning."""
    ended = regions.dropna(subset=["valid_to"]).set_index(["adcode", "level"])["valid_to"]
    if ended.empty:
        return
    keyed = obs.set_index(["adcode", "level"]).index
    valid_to = pd.Series(ended.reindex(keyed).to_numpy(), index=obs.index)
    late = obs[valid_to.notna() & (obs["data_year"] > valid_to)]
    names = regions.set_index(["adcode", "level"])["name_zh"]
    for (adcode, level), grp in late.groupby(["adcode", "level"]):
        first = grp.iloc[0]
        problems.add(_where(path, first["_sheet"]),
                     f"{names[(adcode, level)]} ({adcode}) existed until {ended[(adcode, level)]} but has data for "
                     f"{sorted(grp['data_year'].unique().tolist())}; kept as its own region",
                     int(first["_row"]), "region", "warning")


def harmonize(parsed: pd.DataFrame, sc: Sidecar, family: Family, resolver: RegionResolver,
              regions: pd.DataFrame, problems: Problems) -> pd.DataFrame:
    """Return observations (one row per release × year × region × indicator × scope) plus row provenance."""
    path = sc.raw_path
    levels = _map_field(problems, path, parsed, "level_raw", "level", sc.level, "level")
    basis = _map_field(problems, path, parsed, "basis", "basis", "stated", "basis")
    ind = _indicators(problems, path, parsed, sc, family)
    _editions(problems, path, parsed, sc)
    adcodes = _regions(problems, path, parsed, levels, resolver)
    values, bad_values = _numbers(parsed["value_raw"], sc.missing_values)
    if bad_values.any():
        _report(problems, path, parsed[bad_values], parsed.loc[bad_values, "value_col"],
                "value {value_raw!r} is not a number (write numbers like 1234.5 or 1,234.5; leave unknown "
                "values empty)")
    ranks, bad_ranks = _whole_numbers(problems, path, parsed, "rank", sc.missing_values)
    bands, bad_bands = _whole_numbers(problems, path, parsed, "band", sc.missing_values)
    both = ranks.notna() & bands.notna()
    if both.any():
        _report(problems, path, parsed[both], parsed.loc[both, "band_col"],
                "an exact rank ({rank_raw}) and a band (top {band_raw}) in one row: keep the exact rank and leave "
                "rank_at_most empty, or give only the band")
    bad_bands |= both
    source = parsed["source"].where(parsed["source"] != "", sc.source_urls[0])
    bad_sources = ~_by_unique(source, lambda u: bool(SOURCE_PATTERN.match(str(u).strip()))).astype(bool)
    if bad_sources.any():
        # Name the column as the file spells it (headers kept by etl.read through parsing).
        _report(problems, path, parsed[bad_sources], parsed.attrs.get("headers", {}).get("source", "source"),
                "source {source!r} is not an http(s) URL (or 'NO_URL: <where it was published>')")
    obs = pd.DataFrame({
        "release_id": sc.release_id,
        "data_year": _data_years(problems, path, parsed, sc),
        "adcode": adcodes, "level": levels, "indicator": ind["indicator"], "scope": ind["scope"],
        "value": values.where(~bad_values), "rank": ranks.where(~bad_ranks).astype("Int64"),
        "rank_at_most": bands.where(~bad_bands).astype("Int64"),
        "basis": basis, "basis_note": parsed["basis_note"].replace("", None),
        "source_url": source,
        "source_file": _by_unique(parsed["sheet"], lambda sheet: source_name(path, sheet)),
        "source_row": parsed["_row"],
        "raw_name": parsed["region_raw"],
        "_row": parsed["_row"], "_sheet": parsed["sheet"], "value_col": parsed["value_col"],
        "rank_col": parsed["rank_col"], "band_col": parsed["band_col"],
    })
    # Rows that harmonized cleanly go on to validation; the others are already reported.
    obs["_ok"] = (obs[["adcode", "level", "indicator", "data_year", "basis"]].notna().all(axis=1)
                  & ~bad_values & ~bad_ranks & ~bad_bands & ~bad_sources)
    if not problems.errors:
        _historical_warnings(problems, path, obs, regions)
    return obs
