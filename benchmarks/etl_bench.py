"""Worker: one ETL run in this (fresh) process, timed; or the plain-pandas baseline ETL on the same files.

    python -m benchmarks.etl_bench etl      --raw-dir R --reference-dir REF --warehouse W --out result.json
                                            [--profile profile.txt]
    python -m benchmarks.etl_bench baseline --raw-dir R --reference-dir REF --db B.sqlite --out result.json
                                            [--max-observations N]

`etl` calls `etl.commands.build(raw_dir, warehouse, progress)` (parse → harmonize → validate → publish) after the
imports, so the figure is the ETL's own work, not interpreter start-up; the phases are timed from its progress
messages. `baseline` is the same load written the plain pandas way: read each CSV, map names to adcodes with a
dict built from the region master and aliases, melt, `to_sql` into an SQLite file.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.common import write_json

PHASES = ("parse", "harmonize", "validate", "publish")


def run_etl(raw_dir: Path, warehouse: Path, profile: Path | None) -> dict[str, Any]:
    t_import = time.perf_counter()
    from etl import commands

    import_seconds = time.perf_counter() - t_import
    marks: list[tuple[float, str]] = []

    def progress(message: str) -> None:
        marks.append((time.perf_counter(), message))
        print(message, flush=True)

    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
    start = time.perf_counter()
    summary = commands.build(raw_dir, warehouse, progress)
    seconds = time.perf_counter() - start
    if profiler:
        profiler.stop()
        profile.write_text(profiler.output_text(unicode=True, color=False, show_all=False, timeline=False),
                           encoding="utf-8")
        profile.with_suffix(".html").write_text(profiler.output_html(), encoding="utf-8")
    phases: dict[str, float] = defaultdict(float)
    previous = start
    for at, message in marks:
        word = message.split()[0] if message.split() else ""
        phase = word if word in PHASES else "other"
        phases["read_sidecar_and_parse" if phase == "parse" else phase] += at - previous
        previous = at
    observations = sum(len(r.observations) for r in summary.releases)
    return {"seconds": seconds, "observations": observations, "releases": len(summary.releases),
            "rate": observations / seconds, "import_seconds": import_seconds, "phases": dict(phases),
            "warehouse_bytes": warehouse.stat().st_size, "warnings": len(summary.warnings)}


# ---------------------------------------------------------------- the plain pandas ETL


def run_baseline(raw_dir: Path, db_path: Path, max_observations: int | None) -> dict[str, Any]:
    import sqlite3
    import unicodedata

    import pandas as pd
    import yaml

    from etl.regions import region_aliases, region_master
    from etl.text import normalize

    start = time.perf_counter()
    master = region_master()
    parent = dict(zip(master["adcode"] + master["level"], master["province_adcode"], strict=True))
    if "city_adcode" in master:
        parent.update({a + "county": c for a, c, lv in zip(master["adcode"], master["city_adcode"], master["level"],
                                                             strict=True) if lv == "county"})
    names: dict[tuple[str, str], set[str]] = defaultdict(set)
    for alias, adcode, level in region_aliases()[["alias", "adcode", "level"]].itertuples(index=False):
        names[(normalize(alias), level)].add(adcode)
    if db_path.exists():
        db_path.unlink()
    con = sqlite3.connect(db_path)
    observations, files = 0, 0
    for meta in sorted(raw_dir.rglob("*.meta.yml")):
        if max_observations and observations >= max_observations:
            break
        sc = yaml.safe_load(meta.read_text(encoding="utf-8"))
        level = sc.get("level", "city")
        frame = pd.read_csv(meta.parent / sc["file"], skiprows=2, dtype=str, keep_default_na=False)
        region_col = (sc.get("columns") or {}).get("region", "城市")
        parent_col, parent_level = ("所属城市", "city") if level == "county" else ("省份", "province")

        def code(name: str, parent_name: str, level: str = level, parent_level: str = parent_level) -> str | None:
            found = names.get((normalize(name), level), set())  # a dict look-up; the parent settles homonyms
            if len(found) > 1:
                homes = names.get((normalize(parent_name), parent_level), set())
                found = {a for a in found if parent.get(a + level) in homes}
            return next(iter(found)) if len(found) == 1 else None

        frame["adcode"] = [code(n, p) for n, p in zip(frame[region_col], frame[parent_col], strict=True)]
        value_cols = {h: m["indicator"] for h, m in sc["indicators"].items() if m.get("role", "value") == "value"}
        rank_col = next(h for h, m in sc["indicators"].items() if m.get("role") == "rank")
        long = frame.melt(id_vars=["adcode", rank_col], value_vars=list(value_cols), var_name="header",
                          value_name="text")
        long["indicator"] = long["header"].map(value_cols)
        text = long["text"].map(lambda s: unicodedata.normalize("NFKC", s)).str.replace(",", "", regex=False)
        long["value"] = pd.to_numeric(text, errors="coerce")
        long["rank"] = pd.to_numeric(long[rank_col], errors="coerce").where(long["indicator"] == "total")
        long["release_id"] = f"{sc['family']}/{sc['edition']}"
        long["data_year"] = sc["data_year"]
        long["level"] = level
        long[["release_id", "data_year", "adcode", "level", "indicator", "value", "rank"]].to_sql(
            "observation", con, if_exists="append", index=False, chunksize=50_000)
        observations += len(long)
        files += 1
    con.commit()
    con.close()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "observations": observations, "files": files, "rate": observations / seconds,
            "db_bytes": db_path.stat().st_size, "subset": bool(max_observations)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.etl_bench")
    parser.add_argument("mode", choices=["etl", "baseline"])
    parser.add_argument("--raw-dir", type=Path, required=True)
    parser.add_argument("--reference-dir", type=Path)
    parser.add_argument("--warehouse", type=Path)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--max-observations", type=int)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.reference_dir:
        os.environ["INDEX_REFERENCE_DIR"] = str(args.reference_dir)  # before etl is imported
    if any(re.fullmatch(r"etl(\..*)?", m) for m in sys.modules):
        raise SystemExit("etl imported too early")
    if args.mode == "etl":
        result = run_etl(args.raw_dir, args.warehouse, args.profile)
    else:
        result = run_baseline(args.raw_dir, args.db, args.max_observations)
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
