"""Scale generator: SYNTHETIC yearly releases shaped like the real report tables, at a chosen size.

    python -m benchmarks.generate --size default --dir /tmp/some-temporary-folder [--level auto|city|county]

Writes, into a temporary folder (never data/raw/):

    <dir>/raw/synthetic_bench/<edition>/synthetic_bench_<edition>.csv + .meta.yml   one report_table per edition
    <dir>/reference/                 a copy of data/reference plus indicators/synthetic_bench.yml (the catalogue);
                                     point the ETL at it with INDEX_REFERENCE_DIR
    <dir>/manifest.json              shape, level, seed, files, bytes, observation count
    <dir>/SYNTHETIC.txt              what this folder is

Shape: regions × editions × indicators. The default is 2,900 regions × 20 editions × 60 indicators ≈ 3.5 M
observations. Regions come from `etl.regions.region_master()`: county-level units when it has them (level
"county", each with a parent city; the table then has province, city and county columns and the sidecar says
`level: county`), else cities. With only ~370 cities the other dimensions grow to reach the target size
(indicators first, up to the ETL's column limit; see `plan`). Indicators form a hierarchy: one total, nine
sub-indices and sub-industries under them. The total has a published, complete rank column; ~3 % of the other
cells are empty (not published); names come as full or short names, in traditional characters, with stray or
full-width spaces; numbers are mostly "12.34", some "1,234.56" or in full-width digits, a few negative.
Everything is seeded and labelled synthetic in the sidecars' title and notes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from benchmarks.common import PROJECT_ROOT, SYNTHETIC_FAMILY, SYNTHETIC_MARK, write_json

SIZES = {"smoke": 50_000, "0.1M": 100_000, "1M": 1_000_000, "default": 3_500_000}
DEFAULT_REGIONS, DEFAULT_EDITIONS, DEFAULT_INDICATORS = 2_900, 20, 60
MIN_EDITIONS = 2  # rank changes need a previous edition
MAX_EDITIONS = 34  # data years 1990..2023
MAX_INDICATORS = 480  # the ETL accepts at most 500 columns: region, province, (city), rank + indicators
N_SUB_INDICES = 9
LAST_DATA_YEAR = 2023
EMPTY_SHARE = 0.03
SEED = 20240501

SUB_INDICES = [  # (code suffix, name_zh, name_en)
    ("infrastructure", "数字基础设施", "Digital infrastructure"),
    ("industrialization", "数字产业化", "Digital industrialization"),
    ("digitalization", "产业数字化", "Industrial digitalization"),
    ("government", "数字政务", "Digital government"),
    ("life", "数字生活", "Digital life"),
    ("culture", "数字文化", "Digital culture"),
    ("innovation", "创新创业", "Innovation & entrepreneurship"),
    ("finance", "数字金融", "Digital finance"),
    ("data", "数据要素", "Data factor"),
]
LEVEL_HEADERS = {"province": "省份", "city": "所属城市", "region": {"city": "城市", "county": "区县"}}
RANK_HEADER = "排名"
TOTAL_HEADER = "总指数"


@dataclass(frozen=True)
class Shape:
    level: str
    regions: int
    editions: int
    indicators: int

    @property
    def observations(self) -> int:
        return self.regions * self.editions * self.indicators

    def describe(self) -> str:
        return (f"{self.regions:,} {self.level} × {self.editions} editions × {self.indicators} indicators = "
                f"{self.observations:,} observations")


def target_size(size: str) -> int:
    return SIZES[size] if size in SIZES else int(float(size))


def plan(target: int, level: str, available: int) -> Shape:
    """Dimensions near `target` observations: 2,900 × 20 × 60 scaled. Smaller sizes drop editions (down to
    2), then regions; when fewer regions exist (cities), indicators grow (up to the column limit), then editions."""
    regions, editions, indicators = min(available, DEFAULT_REGIONS), DEFAULT_EDITIONS, DEFAULT_INDICATORS
    if regions * editions * indicators > target:
        editions = max(MIN_EDITIONS, min(editions, round(target / (regions * indicators))))
        if regions * editions * indicators > target * 1.15:
            regions = max(10, round(target / (editions * indicators)))
    elif regions * editions * indicators < target * 0.85:
        indicators = min(MAX_INDICATORS, round(target / (regions * editions)))
        if regions * editions * indicators < target * 0.85:
            editions = min(MAX_EDITIONS, round(target / (regions * indicators)))
    return Shape(level, regions, editions, indicators)


# ---------------------------------------------------------------- catalogue


def indicator_catalogue(n: int = MAX_INDICATORS) -> list[dict[str, Any]]:
    """1 total, 9 sub-indices, then sub-industries spread round-robin over the sub-indices (catalogue order)."""
    rows: list[dict[str, Any]] = [{"code": "total", "name_zh": "合成总指数", "name_en": "Synthetic total index",
                                   "kind": "total", "header": TOTAL_HEADER}]
    for code, zh, en in SUB_INDICES:
        rows.append({"code": f"sub_{code}", "name_zh": f"{zh}分指数", "name_en": f"{en} sub-index",
                     "kind": "sub_index", "parent": "total", "header": f"{zh}分指数"})
    for j in range(n - len(rows)):
        code, zh, en = SUB_INDICES[j % N_SUB_INDICES]
        rows.append({"code": f"seg_{j + 1:03d}", "name_zh": f"{zh}·细分{j + 1:03d}",
                     "name_en": f"{en} segment {j + 1}", "kind": "sub_industry", "parent": f"sub_{code}",
                     "header": f"{zh}细分{j + 1:03d}"})
    return rows[:n]


def catalogue_yaml() -> str:
    """data/reference/indicators/synthetic_bench.yml (same schema as pku_dfiic.yml), for MAX_INDICATORS codes;
    a data set uses the first `indicators` of them, so one catalogue serves every size."""
    head = (f"# {SYNTHETIC_MARK}: indicator catalogue of the benchmark family, written by benchmarks/generate.py "
            "into a temporary copy of data/reference. Not a real index.\n")
    body = {
        "family": SYNTHETIC_FAMILY,
        "name_zh": "合成基准指数（SYNTHETIC 性能测试数据）",
        "name_en": "Synthetic benchmark index (SYNTHETIC data for performance tests)",
        "publisher": "benchmarks/generate.py (synthetic data, no publisher)",
        "concepts": {},
        "indicators": [{k: v for k, v in row.items() if k != "header"} for row in indicator_catalogue()],
    }
    return head + yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=200)


def make_reference(dest: Path) -> Path:
    """A copy of data/reference with the synthetic catalogue added."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(PROJECT_ROOT / "data" / "reference", dest)
    (dest / "indicators" / f"{SYNTHETIC_FAMILY}.yml").write_text(catalogue_yaml(), encoding="utf-8")
    return dest


# ---------------------------------------------------------------- regions and their names


def _t2s_pair():
    import opencc

    return opencc.OpenCC("s2t")


def _spaced(name: str, rng: np.random.Generator, wide: bool) -> str:
    space = "\u3000" if wide else " "
    where = int(rng.integers(0, 3))
    if where == 0 or len(name) < 2:
        return space + name
    if where == 1:
        return name + space
    cut = int(rng.integers(1, len(name)))
    return name[:cut] + space + name[cut:]


def available_level() -> str:
    """'county' when the region master has county-level units, else 'city'."""
    from etl.regions import region_master

    return "county" if (region_master()["level"] == "county").any() else "city"


def candidate_regions(level: str) -> pd.DataFrame:
    """Current regions of the level that a report could list (historical units and the city-level rows of
    台湾/香港/澳门, which repeat the province, left out)."""
    from etl.regions import region_master

    master = region_master()
    regions = master[(master["level"] == level) & master["valid_to"].isna()]
    if level == "city":
        regions = regions[~regions["adcode"].str.endswith("0000")]
    return regions.reset_index(drop=True)


@dataclass
class NamedRegion:
    adcode: str
    variants: dict[str, list[str]]  # kind → spellings that resolve to this adcode
    provinces: list[str]
    cities: list[str]


def _resolves(resolver: Any, name: str, level: str, adcode: str, province: str | None, city: str | None) -> bool:
    try:
        res = resolver.resolve(name, level, province, city) if level == "county" else \
            resolver.resolve(name, level, province)
    except Exception:
        return False
    return res.adcode == adcode


def name_regions(regions: pd.DataFrame, level: str, rng: np.random.Generator) -> tuple[list[NamedRegion], int]:
    """Spellings per region, each checked with the ETL's own resolver (an ambiguous short name is not used).
    Returns the regions and how many were dropped because not even their full name resolves."""
    from etl.regions import region_master, resolver

    s2t = _t2s_pair()
    res = resolver()
    master = region_master()
    by_key = master.set_index(["adcode", "level"])
    named, dropped = [], 0
    for row in regions.itertuples(index=False):
        prov = by_key.loc[(row.province_adcode, "province")] if (row.province_adcode, "province") in by_key.index \
            else None
        provinces = [p for p in ([prov["name_zh"], prov["short_zh"]] if prov is not None else []) if p]
        cities: list[str] = []
        if level == "county":
            parent = getattr(row, "city_adcode", None)
            if isinstance(parent, str) and (parent, "city") in by_key.index:
                city = by_key.loc[(parent, "city")]
                cities = [c for c in (city["name_zh"], city["short_zh"]) if c]
        province0 = provinces[0] if provinces else None
        city0 = cities[0] if cities else None
        full, short = row.name_zh, row.short_zh or row.name_zh
        kinds = {
            "full": [full], "short": [short],
            "traditional": [s2t.convert(full), s2t.convert(short)],
            "stray_space": [_spaced(short, rng, False), _spaced(full, rng, False)],
            "fullwidth_space": [_spaced(short, rng, True), _spaced(full, rng, True)],
        }
        variants = {k: list(dict.fromkeys(v for v in vs if _resolves(res, v, level, row.adcode, province0, city0)))
                    for k, vs in kinds.items()}
        if not variants["full"]:
            dropped += 1
            continue
        provinces = [p for p in provinces if _resolves(res, p, "province", row.province_adcode, None, None)]
        named.append(NamedRegion(row.adcode, variants, provinces or ([province0] if province0 else []), cities))
    return named, dropped


NAME_KINDS = {"full": 0.45, "short": 0.30, "traditional": 0.10, "stray_space": 0.08, "fullwidth_space": 0.07}


def _pick_names(named: list[NamedRegion], rng: np.random.Generator) -> tuple[list[str], list[str], list[str], dict]:
    kinds = list(NAME_KINDS)
    draws = rng.choice(len(kinds), size=len(named), p=list(NAME_KINDS.values()))
    used: dict[str, int] = dict.fromkeys(kinds, 0)
    names, provinces, cities = [], [], []
    for region, k in zip(named, draws, strict=True):
        kind = kinds[k] if region.variants.get(kinds[k]) else "full"
        options = region.variants[kind]
        names.append(options[int(rng.integers(0, len(options)))])
        used[kind] += 1
        provinces.append(region.provinces[int(rng.integers(0, len(region.provinces)))] if region.provinces else "")
        cities.append(region.cities[int(rng.integers(0, len(region.cities)))] if region.cities else "")
    return names, provinces, cities, used


# ---------------------------------------------------------------- values


FULLWIDTH = str.maketrans("0123456789.-,", "０１２３４５６７８９．－，")


def _values(n_regions: int, n_ind: int, edition_index: int, strength: np.ndarray, params: dict[str, np.ndarray],
            rng: np.random.Generator) -> np.ndarray:
    """Plausible index points: region strength × growth; sub-indices and sub-industries scatter around their
    parent; some sub-industries are large (thousands), some are growth rates (a few negative)."""
    catalogue = indicator_catalogue(n_ind)
    growth = 1.0 + 0.045 * edition_index
    out = np.empty((n_regions, n_ind))
    total = 40.0 * strength * growth * rng.normal(1.0, 0.04, n_regions)
    out[:, 0] = total
    subs = {}
    for k in range(1, min(n_ind, 1 + N_SUB_INDICES)):
        subs[catalogue[k]["code"]] = total * params["weight"][k] * rng.normal(1.0, 0.08, n_regions)
        out[:, k] = subs[catalogue[k]["code"]]
    for j in range(1 + N_SUB_INDICES, n_ind):
        parent = subs.get(catalogue[j]["parent"], total)
        if params["growth_like"][j]:
            out[:, j] = rng.normal(6.0, 4.0, n_regions)  # growth rates in %: a few negative
        else:
            out[:, j] = parent * params["scale"][j] * rng.lognormal(0.0, 0.25, n_regions)
    return np.round(out, 2)


def _text(values: np.ndarray, empty: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    text = np.char.mod("%.2f", values).astype(object)
    flat = text.reshape(-1)
    big = np.flatnonzero((np.abs(values.reshape(-1)) >= 1000) & (rng.random(values.size) < 0.3))
    for i in big:
        flat[i] = f"{values.flat[i]:,.2f}"
    wide = np.flatnonzero(rng.random(values.size) < 0.002)
    for i in wide:
        flat[i] = str(flat[i]).translate(FULLWIDTH)
    text[empty] = ""
    return text


# ---------------------------------------------------------------- files


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sidecar(edition: str, data_year: int, level: str, file: Path, headers: dict[str, dict], seed: int,
             shape: Shape, columns: dict[str, str]) -> dict[str, Any]:
    return {
        "family": SYNTHETIC_FAMILY,
        "edition": edition,
        "data_year": data_year,
        "title": f"【合成数据 {SYNTHETIC_MARK}】数字经济指数基准报告（{edition}）",
        "title_en": f"{SYNTHETIC_MARK} benchmark report {edition} (generated, not a real report)",
        "publisher": "benchmarks/generate.py — synthetic data, no real publisher",
        "published": dt.date(int(edition), 4, 15),
        "source_urls": [f"https://synthetic.invalid/bench/{edition}"],
        "citation": f"{SYNTHETIC_MARK} data generated by benchmarks/generate.py (seed {seed}); not a real report.",
        "terms": f"{SYNTHETIC_MARK} data for performance tests only; do not analyse, cite or copy into data/raw/.",
        "framework": "synthetic_bench_v1",
        "notes": (f"{SYNTHETIC_MARK}: random but plausible values (seed {seed}), shape {shape.describe()}. "
                  "Lives in a temporary folder only."),
        "format": "report_table",
        "level": level,
        "file": file.name,
        "sha256": _sha256(file),
        "encoding": "auto",
        **({"columns": columns} if columns else {}),
        "indicators": headers,
        "value_range": [-1000, 1000000],
        "ranks_complete": True,
    }


def _check_target(root: Path) -> None:
    data = (PROJECT_ROOT / "data").resolve()
    if root.resolve().is_relative_to(data):
        raise SystemExit(f"refusing to write synthetic data under {data}: use a temporary folder")


def generate(root: Path, target: int, level: str = "auto", seed: int = SEED) -> dict[str, Any]:
    """Write the synthetic releases and reference copy into `root`; returns the manifest.
    INDEX_REFERENCE_DIR must point at root/reference before etl is imported (main() does this)."""
    _check_target(root)
    level = available_level() if level == "auto" else level
    rng = np.random.default_rng(seed)
    regions = candidate_regions(level)
    shape = plan(target, level, len(regions))
    if shape.regions < len(regions):
        regions = regions.iloc[np.sort(rng.choice(len(regions), size=shape.regions, replace=False))]
    named, dropped = name_regions(regions.reset_index(drop=True), level, rng)
    shape = Shape(level, len(named), shape.editions, shape.indicators)
    catalogue = indicator_catalogue(shape.indicators)
    n_reg, n_ind = shape.regions, shape.indicators
    strength = rng.lognormal(0.0, 0.45, n_reg)
    params = {"weight": rng.uniform(0.5, 1.5, n_ind), "scale": np.where(rng.random(n_ind) < 0.15, 60.0, 1.0)
              * rng.uniform(0.3, 1.2, n_ind), "growth_like": rng.random(n_ind) < 0.05}
    raw = root / "raw" / SYNTHETIC_FAMILY
    files, total_bytes, name_kinds = [], 0, dict.fromkeys(NAME_KINDS, 0)
    empty_cells = 0
    region_header = LEVEL_HEADERS["region"][level]
    columns = {"region": region_header} if level == "county" else {}
    first_year = LAST_DATA_YEAR - shape.editions + 1
    for e in range(shape.editions):
        data_year = first_year + e
        edition = str(data_year + 1)
        values = _values(n_reg, n_ind, e, strength, params, rng)
        empty = rng.random((n_reg, n_ind)) < EMPTY_SHARE
        empty[:, 0] = False  # the total is complete, with a complete rank
        empty_cells += int(empty.sum())
        ranks = pd.Series(values[:, 0]).rank(method="min", ascending=False).astype(int).to_numpy()
        names, provinces, cities, used = _pick_names(named, rng)
        for k, v in used.items():
            name_kinds[k] += v
        text = _text(values, empty, rng)
        table = {RANK_HEADER: ranks.astype(str), region_header: names, LEVEL_HEADERS["province"]: provinces}
        if level == "county":
            table[LEVEL_HEADERS["city"]] = cities
        for j, ind in enumerate(catalogue):
            table[ind["header"]] = text[:, j]
        frame = pd.DataFrame(table).sort_values(RANK_HEADER, key=lambda s: s.astype(int), kind="stable")
        folder = raw / edition
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{SYNTHETIC_FAMILY}_{edition}.csv"
        with open(path, "w", encoding="utf-8", newline="") as handle:
            unit = "区县" if level == "county" else "城市"
            handle.write(f"【合成数据 {SYNTHETIC_MARK}】数字经济指数基准报告（{edition}）各{unit}指数\n"
                         "注：合成数据，仅用于性能测试；空白 = 未公布\n")
            frame.to_csv(handle, index=False, lineterminator="\n")
        headers = {RANK_HEADER: {"indicator": "total", "role": "rank"}}
        headers.update({ind["header"]: {"indicator": ind["code"]} for ind in catalogue})
        sidecar = _sidecar(edition, data_year, level, path, headers, seed, shape, columns)
        (folder / f"{SYNTHETIC_FAMILY}_{edition}.meta.yml").write_text(
            f"# {SYNTHETIC_MARK} release written by benchmarks/generate.py\n"
            + yaml.safe_dump(sidecar, allow_unicode=True, sort_keys=False, width=200), encoding="utf-8")
        size = path.stat().st_size
        total_bytes += size
        files.append({"edition": edition, "file": str(path), "bytes": size, "rows": n_reg})
    (root / "SYNTHETIC.txt").write_text(
        f"{SYNTHETIC_MARK} benchmark data written by benchmarks/generate.py (seed {seed}). Temporary: delete at will; "
        "never copy into data/raw/.\n", encoding="utf-8")
    manifest = {
        "synthetic": True, "seed": seed, "target": target, "shape": asdict(shape),
        "observations": shape.observations, "level": level, "regions_dropped_unresolvable": dropped,
        "editions": [f["edition"] for f in files], "files": files, "bytes": total_bytes,
        "max_file_bytes": max(f["bytes"] for f in files), "empty_cells": empty_cells,
        "name_variants": name_kinds, "raw_dir": str(root / "raw"), "reference_dir": str(root / "reference"),
        "family": SYNTHETIC_FAMILY, "latest_edition": files[-1]["edition"],
    }
    write_json(root / "manifest.json", manifest)
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="default", help=f"{', '.join(SIZES)} or a number of observations")
    parser.add_argument("--level", default="auto", choices=["auto", "city", "county"])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--dir", type=Path, required=True, help="a temporary folder (created; never data/raw)")
    parser.add_argument("--out", type=Path, help="also write the manifest here")
    args = parser.parse_args(argv)
    _check_target(args.dir)
    args.dir.mkdir(parents=True, exist_ok=True)
    reference = make_reference(args.dir / "reference")
    os.environ["INDEX_REFERENCE_DIR"] = str(reference)  # before etl is imported (generate imports it lazily)
    if any(m == "etl" or m.startswith("etl.") for m in sys.modules):
        raise SystemExit("etl was imported before INDEX_REFERENCE_DIR was set")
    manifest = generate(args.dir, target_size(args.size), args.level, args.seed)
    if args.out:
        write_json(args.out, manifest)
    print(f"{SYNTHETIC_MARK}: {Shape(**manifest['shape']).describe()}, {manifest['bytes'] / 1e6:.1f} MB in "
          f"{len(manifest['files'])} files → {args.dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
