"""Worker: the dashboard's queries (dashboard.queries, uncached) against one warehouse, and the same results
computed with pandas on DataFrames already in memory (the baseline).

    python -m benchmarks.query_bench --warehouse W --level city --out result.json [--reps 30] [--budget 60]
                                     [--profile-dir DIR]

Every timed call starts with an empty result cache (`clear_cache`). A figure is repeated `--reps` times unless its
time budget runs out first (then at least 3 times); the result says how many samples were taken.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import SYNTHETIC_FAMILY, summary, write_json

MIN_REPS = 3
FIGURES = ("ranking", "rank_history_10", "subindicator_heatmap", "region_profile", "map_values", "overview",
           "sidebar")
DESCRIPTIONS = {
    "ranking": "rankings page: queries.ranking",
    "rank_history_10": "trends, 10 regions: queries.rank_history",
    "subindicator_heatmap": "sub-industry heatmap: queries.subindicator_ranks(['sub_industry'])",
    "region_profile": "city profile: queries.region_rows",
    "map_values": "map colours: queries.map_values",
    "overview": "overview stories: queries.ranking + queries.period_changes",
    "sidebar": "sidebar filters: families, levels, periods, indicators, regions ×2",
}


def timed(fn: Callable[[], Any], reps: int, budget: float, before: Callable[[], None] | None = None
          ) -> tuple[list[float], Any]:
    """Milliseconds per call; stops at `reps` calls or when `budget` seconds are used (at least MIN_REPS)."""
    samples: list[float] = []
    result = None
    started = time.perf_counter()
    while len(samples) < reps and (len(samples) < MIN_REPS or time.perf_counter() - started < budget):
        if before:
            before()
        t0 = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples, result


def clear_cache(q: Any) -> None:
    """Empty dashboard.queries' result cache (whichever form it has: functools.lru_cache `_cached`, a dict
    `_CACHE`, or a public `clear_cache()`), so the next call runs its SQL."""
    if hasattr(q, "clear_cache"):
        q.clear_cache()
    elif hasattr(q, "_cached"):
        q._cached.cache_clear()
    elif hasattr(q, "_CACHE"):
        with getattr(q, "_CACHE_LOCK", threading.Lock()):
            q._CACHE.clear()
    else:
        raise RuntimeError("dashboard.queries has no result cache that the benchmark knows how to clear")


def _rows(result: Any) -> int:
    if isinstance(result, tuple):
        return sum(_rows(r) for r in result)
    return len(result) if hasattr(result, "__len__") else 0


# ---------------------------------------------------------------- the dashboard's queries


def choose_params(q: Any, family: str, level: str) -> dict[str, Any]:
    periods = q.periods(family).sort_values("data_year")
    period = str(periods["period"].iloc[-1])
    previous = str(periods["period"].iloc[-2]) if len(periods) > 1 else None
    ranking = q.ranking(family, period, "total", level)
    ranked = ranking.dropna(subset=["rank"])
    step = max(1, len(ranked) // 10)
    adcodes = ranked["adcode"].iloc[::step].head(10).tolist()
    return {"family": family, "period": period, "previous": previous, "indicator": "total", "level": level,
            "adcodes": adcodes, "adcode": str(ranked["adcode"].iloc[0]), "periods": periods}


def query_functions(q: Any, p: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    """Each figure's calls on `q`: dashboard.queries, or the pandas baseline (same method names; it has no
    sidebar figure)."""
    fam, per, ind, lvl = p["family"], p["period"], p["indicator"], p["level"]
    calls = {
        "ranking": lambda: q.ranking(fam, per, ind, lvl),
        "rank_history_10": lambda: q.rank_history(fam, ind, lvl, p["adcodes"]),
        "subindicator_heatmap": lambda: q.subindicator_ranks(fam, per, lvl, ["sub_industry"]),
        "region_profile": lambda: q.region_rows(fam, p["adcode"], lvl),
        "map_values": lambda: q.map_values(fam, per, ind, lvl),
        "overview": lambda: (q.ranking(fam, per, ind, lvl), q.period_changes(fam, per, ind, lvl)),
        "sidebar": lambda: (q.families(), q.levels(fam), q.periods(fam), q.indicators(fam, per, lvl),
                            q.regions(lvl), q.regions("province")),
    }
    return calls if hasattr(q, "families") else {k: v for k, v in calls.items() if k != "sidebar"}


# ---------------------------------------------------------------- the pandas baseline


def load_frames(warehouse: Path, family: str) -> dict[str, Any]:
    """Everything the pages need, read once into pandas (the rankings view's rows of the family, regions,
    indicators): the baseline's 'already in memory' state."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute("SET enable_progress_bar = false")
        rk = con.execute("""
            SELECT family, period, data_year, release_id, framework, adcode, region_zh, region_short_zh,
                   region_en, level, province_adcode, province_zh, province_en, economic_region, is_west,
                   indicator, indicator_zh, indicator_en, indicator_kind, indicator_parent, concept, value, rank,
                   rank_source, scope, basis, source_url, is_restated
            FROM rankings WHERE family = ?""", [family]).df()
        regions = con.execute("SELECT * FROM region").df()
        indicators = con.execute("SELECT family, code AS indicator, sort FROM indicator").df()
    finally:
        con.close()
    return {"rk": rk, "regions": regions, "indicators": indicators}


class PandasDashboard:
    """The same results as the SQL of dashboard/queries.py, computed with pandas (filter, groupby, rank, merge)."""

    def __init__(self, frames: dict[str, Any], periods: Any):
        self.rk = frames["rk"]
        self.regions = frames["regions"]
        self.indicators = frames["indicators"]
        order = periods.sort_values("data_year")["period"].astype(str).tolist()
        self.previous = {p: (order[i - 1] if i else None) for i, p in enumerate(order)}

    def _national(self, family: str, level: str) -> Any:
        rk = self.rk
        return rk[(rk["family"] == family) & (rk["level"] == level) & (rk["scope"] == "national")
                  & ~rk["is_restated"]]

    def _concept(self, family: str, indicator: str) -> str:
        rk = self.rk
        return rk.loc[(rk["family"] == family) & (rk["indicator"] == indicator), "concept"].iloc[0]

    def _changes(self, nat: Any, period: str) -> Any:
        ranked = nat[nat["rank"].notna()]
        cur = ranked[ranked["period"] == period]
        prev = ranked[ranked["period"] == self.previous.get(period)][["adcode", "rank", "period"]]
        prev = prev.rename(columns={"rank": "previous_rank", "period": "previous_period"})
        out = cur.merge(prev, on="adcode", how="left")
        out["rank_change"] = out["previous_rank"] - out["rank"]
        return out

    def ranking(self, family: str, period: str, indicator: str, level: str) -> Any:
        nat = self._national(family, level)
        cur = nat[(nat["period"] == period) & (nat["indicator"] == indicator)]
        concept = cur["concept"].iloc[0]
        same = nat[(nat["concept"] == concept) & nat["rank"].notna()]
        hist = same.sort_values("data_year").groupby("adcode").agg(history=("rank", list),
                                                                    history_periods=("period", list))
        changes = self._changes(same, period)[["adcode", "previous_rank", "previous_period", "rank_change"]]
        out = cur.merge(changes, on="adcode", how="left").merge(hist, on="adcode", how="left")
        return out.sort_values(["rank", "value", "adcode"], ascending=[True, False, True], na_position="last")

    def rank_history(self, family: str, indicator: str, level: str, adcodes: list[str]) -> Any:
        nat = self._national(family, level)
        concept = self._concept(family, indicator)
        out = nat[nat["rank"].notna() & (nat["concept"] == concept) & nat["adcode"].isin(adcodes)]
        return out.sort_values(["adcode", "data_year"])

    def subindicator_ranks(self, family: str, period: str, level: str, kinds: list[str]) -> Any:
        nat = self._national(family, level)
        cur = nat[nat["period"] == period]
        totals = cur.loc[cur["indicator_kind"] == "total", ["adcode", "rank"]].drop_duplicates("adcode")
        rows = cur[cur["indicator_kind"].isin(kinds)]
        out = rows.merge(totals.rename(columns={"rank": "total_rank"}), on="adcode", how="left")
        out = out.merge(self.indicators[self.indicators["family"] == family][["indicator", "sort"]], on="indicator")
        return out.sort_values(["sort", "rank"], na_position="last")

    def region_rows(self, family: str, adcode: str, level: str) -> Any:
        rk = self.rk
        rows = rk[(rk["family"] == family) & (rk["adcode"] == adcode) & (rk["level"] == level)]
        nat = self._national(family, level)
        nat = nat[nat["rank"].notna()]
        keys = ["period", "indicator"]
        province, west = rows["province_adcode"].iloc[0], bool(rows["is_west"].iloc[0])
        same_prov = nat[nat["province_adcode"] == province].copy()
        same_prov["province_rank"] = same_prov.groupby(keys)["rank"].rank(method="min")
        same_prov["province_ranked"] = same_prov.groupby(keys)["rank"].transform("count")
        same_group = nat[nat["is_west"] == west].copy()
        same_group["group_rank"] = same_group.groupby(keys)["rank"].rank(method="min")
        same_group["group_ranked"] = same_group.groupby(keys)["rank"].transform("count")
        counts = nat.groupby(keys).size().rename("ranked").reset_index()
        within = (same_prov[same_prov["adcode"] == adcode][[*keys, "province_rank", "province_ranked"]]
                  .merge(same_group[same_group["adcode"] == adcode][[*keys, "group_rank", "group_ranked"]],
                         on=keys, how="outer").merge(counts, on=keys, how="left"))
        national = (rows["scope"] == "national") & ~rows["is_restated"]
        out = rows.merge(within, on=keys, how="left")
        out.loc[~national.to_numpy(), ["province_rank", "province_ranked", "group_rank", "group_ranked", "ranked"]] \
            = None
        out = out.merge(self.indicators[self.indicators["family"] == family][["indicator", "sort"]], on="indicator")
        return out.sort_values(["data_year", "sort", "scope"])

    def map_values(self, family: str, period: str, indicator: str, level: str) -> Any:
        nat = self._national(family, level)
        cur = nat[(nat["period"] == period) & (nat["indicator"] == indicator)]
        regs = self.regions[self.regions["level"] == level]
        out = regs.merge(cur[["adcode", "rank", "value", "rank_source", "basis", "source_url"]], on="adcode",
                         how="left", indicator=True)
        out = out[out["valid_to"].isna() | (out["_merge"] == "both")]
        out["published"] = out["rank"].notna() | out["value"].notna()
        return out.sort_values("adcode")

    def period_changes(self, family: str, period: str, indicator: str, level: str) -> Any:
        nat = self._national(family, level)
        concept = self._concept(family, indicator)
        out = self._changes(nat[nat["concept"] == concept], period)
        return out.sort_values(["rank_change", "rank"], ascending=[False, True], na_position="last")


# ---------------------------------------------------------------- profiles


def _walk(node: dict[str, Any], out: list[dict[str, Any]]) -> None:
    name = node.get("operator_name") or node.get("name") or node.get("operator_type") or ""
    timing = node.get("operator_timing", node.get("timing", 0.0)) or 0.0
    rows = node.get("operator_cardinality", node.get("intermediate_rows"))
    if name:
        info = node.get("extra_info") or {}
        keep = {k: info[k] for k in ("Table", "Conditions", "Join Type", "Filters", "Partitions", "Groups",
                                     "Aggregates", "Projections", "Function") if k in info}
        out.append({"operator": name, "seconds": float(timing), "rows": rows,
                    "info": json.dumps(keep, ensure_ascii=False)[:400]})
    for child in node.get("children", []):
        _walk(child, out)


def explain(warehouse: Path, sql: str, params: list, dest: Path) -> dict[str, Any]:
    """EXPLAIN ANALYZE (text) and DuckDB's JSON profile of one query: operators by time, share of the total."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute("SET enable_progress_bar = false")
        text = con.execute("EXPLAIN ANALYZE " + sql, params).fetchall()[0][1]
        dest.with_suffix(".txt").write_text(f"-- {sql.strip()}\n-- params: {params}\n\n{text}", encoding="utf-8")
        profile = dest.with_suffix(".json")
        con.execute("PRAGMA enable_profiling = 'json'")
        con.execute(f"PRAGMA profiling_output = '{profile}'")
        con.execute(sql, params).fetchall()
        con.execute("PRAGMA disable_profiling")
    finally:
        con.close()
    data = json.loads(profile.read_text(encoding="utf-8"))
    ops: list[dict[str, Any]] = []
    for child in data.get("children", data.get("operator", [])):
        _walk(child, ops)
    total = float(data.get("latency", data.get("query", {}).get("total_time", 0.0)) or 0.0)
    ops.sort(key=lambda o: -o["seconds"])
    for op in ops:
        op["share"] = op["seconds"] / total if total else None
    return {"total_seconds": total, "top_operators": ops[:8], "explain_file": str(dest.with_suffix(".txt"))}


def profile_queries(q: Any, fns: dict[str, Callable[[], Any]], warehouse: Path, out_dir: Path) -> dict[str, Any]:
    """Each figure's SQL statements (captured from queries.fetch) with their EXPLAIN ANALYZE profiles."""
    out_dir.mkdir(parents=True, exist_ok=True)
    original = q.fetch
    captured: list[tuple[str, list]] = []

    def capture(sql: str, params=(), path=None):
        captured.append((sql, [list(p) if isinstance(p, tuple) else p for p in params]))
        return original(sql, params, path)

    profiles: dict[str, Any] = {}
    q.fetch = capture
    try:
        for name, fn in fns.items():
            captured.clear()
            clear_cache(q)
            fn()
            profiles[name] = [explain(warehouse, sql, params, out_dir / f"explain-{name}-{i}")
                              for i, (sql, params) in enumerate(list(captured))]
    finally:
        q.fetch = original
    return profiles


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.query_bench")
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--family", default=SYNTHETIC_FAMILY)
    parser.add_argument("--level", default="city")
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per figure (then at least 3 calls)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--profile-dir", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    os.environ["INDEX_WAREHOUSE"] = str(args.warehouse)
    from dashboard import queries as q

    params = choose_params(q, args.family, args.level)
    fns = query_functions(q, params)
    result: dict[str, Any] = {"params": {k: v for k, v in params.items() if k != "periods"}, "figures": {}}
    for name, fn in fns.items():
        fn()  # warm: the connection is open and the file's pages are in the OS cache, as in a running server
        samples, value = timed(fn, args.reps, args.budget, before=lambda: clear_cache(q))
        result["figures"][name] = {"description": DESCRIPTIONS[name], "unit": "ms", **summary(samples),
                                   "rows": _rows(value)}
        print(f"  {name:<22} median {result['figures'][name]['median']:9.1f} ms  n={len(samples)}",
              file=sys.stderr, flush=True)
    if not args.no_baseline:
        t0 = time.perf_counter()
        frames = load_frames(args.warehouse, args.family)
        result["baseline_load_seconds"] = time.perf_counter() - t0
        result["baseline_rows_in_memory"] = len(frames["rk"])
        pdb = PandasDashboard(frames, params["periods"])
        for name, fn in query_functions(pdb, params).items():
            fn()
            samples, value = timed(fn, args.reps, args.budget)
            result["figures"][name]["baseline"] = {"description": "pandas on DataFrames in memory", "unit": "ms",
                                                   **summary(samples), "rows": _rows(value)}
            print(f"  {name:<22} pandas {result['figures'][name]['baseline']['median']:9.1f} ms  n={len(samples)}",
                  file=sys.stderr, flush=True)
        del frames, pdb
    if args.profile_dir:
        result["profiles"] = profile_queries(q, fns, args.warehouse, args.profile_dir)
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
