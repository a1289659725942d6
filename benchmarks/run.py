"""Benchmark suite: `python -m benchmarks.run [--size default|smoke] [--scaling] [--profile]` (or `make bench`).

Builds SYNTHETIC releases in a temporary folder (benchmarks/generate.py), then measures — each figure beside a
baseline measured in the same run — the ETL's throughput, the dashboard's queries, a full rebuild of the
embedded data, pages per second reading a 20-page PDF appendix (benchmarks/pdf_bench.py), the browser (first
chart, filter change, map payload, server memory), and with --scaling the ETL and the queries at 0.1 M, 1 M
and 3.5 M observations. Prints one table and writes JSON to benchmarks/results/.
Every measurement runs in its own child process; the temporary folders are removed at the end (--keep keeps
them). Not part of `make test`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata as md
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import PROJECT_ROOT, RESULTS_DIR, SYNTHETIC_MARK, child_env, log, run_worker, summary, write_json

PACKAGES = ("duckdb", "pandas", "pyarrow", "numpy", "pandera", "streamlit", "plotly", "kaleido", "playwright",
            "psutil", "pyinstrument")
MB = 1024 * 1024
PKU_PATH = "/rankings?lang=en&family=pku_dfiic&period=2020&indicator=index_aggregate"


@dataclass
class Plan:
    """How many repetitions each figure gets at one size (smoke: few, to finish in about a minute)."""

    size: str
    etl_reps: int = 3
    baseline_etl_reps: int = 1
    baseline_max_obs: int | None = None
    pdf_reps: int = 5
    query_reps: int = 30
    query_budget: float = 60.0
    rebuild_reps: int = 5
    first_reps: int = 10
    interactions: int = 20
    sessions: int = 10
    browser_budget: float = 300.0
    embedded_browser: bool = True
    switch_rounds: int = 3
    scaling_sizes: list[str] = field(default_factory=lambda: ["0.1M", "1M"])


def make_plan(size: str) -> Plan:
    if size == "smoke":
        return Plan(size, etl_reps=2, pdf_reps=2, query_reps=10, query_budget=3.0, rebuild_reps=3, first_reps=3,
                    interactions=6, sessions=3, browser_budget=20.0, embedded_browser=False)
    return Plan(size)


# ---------------------------------------------------------------- environment


def _run(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=30, cwd=PROJECT_ROOT,
                              check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine() -> dict[str, Any]:
    mem = None
    try:
        with open("/proc/meminfo") as handle:
            mem = int(handle.readline().split()[1]) * 1024
    except OSError:
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = None
    cpu = next((line.split(":", 1)[1].strip() for line in _run(["cat", "/proc/cpuinfo"]).splitlines()
                if line.startswith("model name")), platform.processor())
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cores": os.cpu_count(), "cpu": cpu, "memory_bytes": mem,
        "python": platform.python_version(), "platform": platform.platform(), "packages": versions,
        "chromium": _run(["/usr/bin/chromium", "--version"]),
        "git_commit": _run(["git", "rev-parse", "--short", "HEAD"]),
        "git_dirty_files": len([x for x in _run(["git", "status", "--porcelain"]).splitlines() if x.strip()]),
        "load_average_start": os.getloadavg(),
    }


# ---------------------------------------------------------------- the steps


class Suite:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.plan = make_plan(args.size)
        self.root = Path(tempfile.mkdtemp(prefix="bench-synthetic-"))
        self.stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        self.out_dir = RESULTS_DIR / f"{self.stamp}-{args.size}"
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.results: dict[str, Any] = {"suite": "benchmarks.run", "size": args.size, "scaling": args.scaling,
                                        "synthetic": True, "machine": machine(), "datasets": {}, "figures": [],
                                        "errors": [], "loads": []}
        (self.root / "SYNTHETIC.txt").write_text(f"{SYNTHETIC_MARK} benchmark data (benchmarks/run.py); "
                                                 "temporary, never copy into data/raw/.\n", encoding="utf-8")

    def worker(self, module: str, args: list[str], name: str, timeout: float, env: dict[str, str] | None = None
               ) -> dict[str, Any]:
        out = self.out_dir / f"{name}.json"
        out.unlink(missing_ok=True)
        self.results["loads"].append({"step": name, "load_average": os.getloadavg()})
        return run_worker(module, args, env or child_env(), out, timeout, self.out_dir / f"{name}.log")

    def figure(self, **fields: Any) -> dict[str, Any]:
        self.results["figures"].append(fields)
        return fields

    def step(self, label: str, fn, *args: Any) -> Any:
        log(f"[{time.strftime('%H:%M:%S')}] {label}")
        t0 = time.perf_counter()
        try:
            return fn(*args)
        except Exception as error:
            message = f"{label}: {type(error).__name__}: {str(error)[-1500:]}"
            log("  FAILED " + message)
            self.results["errors"].append(message)
            return None
        finally:
            log(f"  ({time.perf_counter() - t0:.0f} s)")

    # -- data

    def dataset(self, size: str) -> dict[str, Any]:
        folder = self.root / f"synthetic-{size}"
        manifest = self.worker("generate", ["--size", size, "--level", self.args.level, "--dir", str(folder)],
                               f"generate-{size}", 1800)
        log(f"  {SYNTHETIC_MARK} {size}: {manifest['shape']['regions']:,} {manifest['level']} × "
            f"{manifest['shape']['editions']} editions × {manifest['shape']['indicators']} indicators = "
            f"{manifest['observations']:,} observations, {manifest['bytes'] / 1e6:.1f} MB "
            f"(largest file {manifest['max_file_bytes'] / 1e6:.2f} MB)")
        manifest["warehouse"] = str(folder / "warehouse" / "index.duckdb")
        self.results["datasets"][size] = {k: v for k, v in manifest.items() if k != "files"}
        return manifest

    # -- ETL

    def etl(self, size: str, data: dict[str, Any], reps: int) -> None:
        runs = []
        for i in range(reps):
            runs.append(self.worker("etl_bench", ["etl", "--raw-dir", data["raw_dir"], "--reference-dir",
                                                  data["reference_dir"], "--warehouse", data["warehouse"]],
                                    f"etl-{size}-{i}", 3600))
            log(f"  ETL run {i + 1}/{reps}: {runs[-1]['observations']:,} obs in {runs[-1]['seconds']:.1f} s "
                f"= {runs[-1]['rate']:,.0f} obs/s")
        base_runs = []
        limit = self.plan.baseline_max_obs
        for i in range(self.plan.baseline_etl_reps):
            args = ["baseline", "--raw-dir", data["raw_dir"], "--reference-dir", data["reference_dir"], "--db",
                    str(Path(data["warehouse"]).with_name("baseline.sqlite"))]
            if limit and data["observations"] > limit:
                args += ["--max-observations", str(limit)]
            base_runs.append(self.worker("etl_bench", args, f"etl-baseline-{size}-{i}", 3600))
            log(f"  baseline run {i + 1}: {base_runs[-1]['observations']:,} obs in {base_runs[-1]['seconds']:.1f} s"
                f" = {base_runs[-1]['rate']:,.0f} obs/s")
        phases: dict[str, float] = {}
        for run in runs:
            for k, v in run["phases"].items():
                phases[k] = phases.get(k, 0.0) + v / len(runs)
        subset = base_runs and base_runs[0]["observations"] < data["observations"]
        self.figure(key=f"etl_throughput@{size}", group="etl", size=size, label="ETL throughput parse → publish",
                    unit="obs/s", higher_is_better=True, **summary([r["rate"] for r in runs]),
                    seconds=summary([r["seconds"] for r in runs]), observations=runs[0]["observations"],
                    phases_seconds=phases, import_seconds=runs[0]["import_seconds"],
                    warehouse_bytes=runs[-1]["warehouse_bytes"],
                    baseline=({**summary([r["rate"] for r in base_runs]),
                               "label": "plain pandas ETL (read_csv, dict look-up, melt, to_sql → SQLite)"
                               + (f", on a subset of {base_runs[0]['observations']:,} obs" if subset else ""),
                               "observations": base_runs[0]["observations"],
                               "seconds": summary([r["seconds"] for r in base_runs])} if base_runs else None),
                    target={"stat": "median", "op": ">=", "value": 1_000_000, "text": "≥ 1,000,000 obs/s"})

    def profile_etl(self, size: str, data: dict[str, Any]) -> None:
        path = self.out_dir / f"profile-etl-{size}.txt"
        self.worker("etl_bench", ["etl", "--raw-dir", data["raw_dir"], "--reference-dir", data["reference_dir"],
                                  "--warehouse", data["warehouse"], "--profile", str(path)],
                    f"etl-profile-{size}", 3600)
        self.results.setdefault("profiles", {})[f"etl@{size}"] = str(path)

    # -- PDF tables

    def pdf_pages(self) -> None:
        result = self.worker("pdf_bench", ["--dir", str(self.root / "pdf"), "--reps", str(self.plan.pdf_reps)],
                             "pdf", 1800)
        self.figure(key="pdf_pages_per_second", group="pdf", size=f"{result['pages']} pages", unit="pages/s",
                    higher_is_better=True, label=f"PDF appendix table → rows ({result['rows']} rows, child process)",
                    **result["rate"], seconds=result["seconds"],
                    baseline={**result["baseline_rate"], "label": "pdfplumber extract_text of the same pages, "
                                                                  "in process (text only, no tables)"},
                    target=None)

    # -- queries

    def queries(self, size: str, data: dict[str, Any], baseline: bool = True, profile: bool = False) -> None:
        args = ["--warehouse", data["warehouse"], "--level", data["level"], "--reps", str(self.plan.query_reps),
                "--budget", str(self.plan.query_budget)]
        if not baseline:
            args.append("--no-baseline")
        if profile:
            args += ["--profile-dir", str(self.out_dir / f"explain-{size}")]
        env = child_env(INDEX_REFERENCE_DIR=data["reference_dir"])
        result = self.worker("query_bench", args, f"queries-{size}", 7200, env)
        if profile:
            self.results.setdefault("profiles", {})[f"queries@{size}"] = result.get("profiles")
        self.results["datasets"][size]["query_params"] = result["params"]
        for name, fig in result["figures"].items():
            base = fig.pop("baseline", None)
            if base and base["rows"] != fig["rows"]:
                base["label_note"] = f"row count differs: {base['rows']} vs {fig['rows']}"
            has_target = name != "sidebar"
            self.figure(key=f"query_{name}@{size}", group="query", size=size, label=f"query: {fig['description']}",
                        higher_is_better=False, **fig,
                        baseline={**base, "label": "pandas on DataFrames in memory"} if base else None,
                        target={"stat": "p95", "op": "<=", "value": 30.0, "min_ratio": 5.0,
                                "text": "p95 ≤ 30 ms and ≥ 5× baseline"} if has_target else None)

    # -- full rebuild of the embedded data

    def rebuild(self) -> None:
        folder = self.root / "embedded"
        raw = folder / "raw"
        shutil.copytree(PROJECT_ROOT / "data" / "raw", raw)
        warehouse = folder / "warehouse" / "index.duckdb"
        env = child_env(INDEX_REFERENCE_DIR=None, INDEX_WAREHOUSE=None, INDEX_RAW_DIR=None)
        geo_current = subprocess.run([sys.executable, "-c", "import sys; from etl.geo import geo_is_current; "
                                      "from etl.paths import GEO_DIR; sys.exit(0 if geo_is_current(GEO_DIR) else 1)"],
                                     cwd=PROJECT_ROOT, env=env, check=False).returncode == 0
        command = [sys.executable, "-m", "etl", "--raw-dir", str(raw), "--warehouse", str(warehouse), "build"]
        if not geo_current:  # never let the benchmark rebuild data/geo
            command.append("--skip-geo")
        samples = []
        for i in range(self.plan.rebuild_reps + 1):  # run 0 creates the file and warms the page cache: not counted
            t0 = time.perf_counter()
            proc = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False)
            elapsed = time.perf_counter() - t0
            if proc.returncode != 0:
                raise RuntimeError(f"python -m etl build exited {proc.returncode}:\n{proc.stderr[-2000:]}")
            if i:
                samples.append(elapsed)
        self.results["embedded_warehouse"] = str(warehouse)
        base = []
        for _ in range(self.plan.rebuild_reps):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import pandas, duckdb"], cwd=PROJECT_ROOT, env=env, check=True)
            base.append(time.perf_counter() - t0)
        self.figure(key="rebuild_embedded", group="rebuild", size="embedded", unit="s", higher_is_better=False,
                    label="full rebuild of the embedded data: `python -m etl build`, start to exit"
                          + ("" if geo_current else " (--skip-geo: data/geo was not current)"),
                    **summary(samples), baseline={**summary(base), "label": "`python -c 'import pandas, duckdb'`"},
                    target={"stat": "median", "op": "<=", "value": 3.0, "text": "≤ 3 s"})

    # -- browser

    def pku_warehouse(self) -> str | None:
        """The embedded data + the 2019 example + PKU-DFIIC from ../shared (dev machines only: never shipped)."""
        workbook = next((d / "datasets" / "pku_dfiic" / "PKU-DFIIC_2011-2023_workbook_layout.xlsx"
                         for d in (PROJECT_ROOT.parent / "shared", Path("/work/shared"))
                         if (d / "datasets" / "pku_dfiic").is_dir()), None)
        if workbook is None:
            log("  no ../shared/datasets/pku_dfiic: the PKU-DFIIC browser figures are skipped")
            return None
        folder = self.root / "pku"
        raw, warehouse = folder / "raw", folder / "warehouse" / "index.duckdb"
        shutil.copytree(PROJECT_ROOT / "data" / "raw", raw)
        env = child_env(INDEX_REFERENCE_DIR=None, INDEX_WAREHOUSE=None, INDEX_RAW_DIR=None)
        for report, meta in ((PROJECT_ROOT / "data/examples/new_report_2019_edition.csv",
                              PROJECT_ROOT / "data/examples/new_report_2019_edition.meta.yml"),
                             (workbook, PROJECT_ROOT / "data/templates/pku_dfiic_2011_2023.meta.yml")):
            subprocess.run([sys.executable, "-m", "etl", "--raw-dir", str(raw), "--warehouse", str(warehouse), "add",
                            str(report), "--meta", str(meta), "--skip-geo"], cwd=PROJECT_ROOT, env=env, check=True,
                           capture_output=True)
        return str(warehouse)

    def browser(self, size: str, data: dict[str, Any]) -> None:
        plan = self.plan
        common = ["--first-reps", str(plan.first_reps), "--interactions", str(plan.interactions), "--sessions",
                  str(plan.sessions), "--budget", str(plan.browser_budget)]
        runs = {size: self.worker("browser_bench", ["--warehouse", data["warehouse"], "--reference-dir",
                                                    data["reference_dir"], "--map-level", data["level"], *common],
                                  f"browser-{size}", 7200)}
        if self.results.get("embedded_warehouse") and plan.embedded_browser:
            runs["embedded"] = self.worker("browser_bench", ["--warehouse", self.results["embedded_warehouse"],
                                                             *common, "--figures",
                                                             "first_chart,filter_change,map_payload"],
                                           "browser-embedded", 7200)
        pku = self.pku_warehouse() if plan.embedded_browser else None
        if pku:  # the issue's targets: PKU-DFIIC loaded, filters including a city, every page switched to
            runs["pku"] = self.worker("browser_bench", [
                "--warehouse", pku, *common, "--path", PKU_PATH, "--city", "Chongqing", "--switch-rounds",
                str(plan.switch_rounds), "--figures", "first_chart,filter_change,page_switch,memory"],
                "browser-pku", 7200)
        for where, result in runs.items():
            self._browser_figures(where, result.get("app", {}), result.get("baseline", {}))

    def _browser_figures(self, where: str, res: dict[str, Any], base: dict[str, Any]) -> None:
        if "first_chart" in res:
            self.figure(key=f"first_chart@{where}", group="browser", size=where, unit="ms", higher_is_better=False,
                        label="first chart visible, rankings page (warm server)", **_no_unit(res["first_chart"]),
                        baseline=self._base(base, "first_chart"),
                        target={"stat": "median", "op": "ratio<=", "value": 1.15, "of": "median",
                                "text": "≤ 1.15× baseline"})
        if "filter_change" in res:
            kinds = "region / edition / city" if "city" in res["filter_change"].get("by_kind", {}) \
                else "region / edition"
            self.figure(key=f"filter_change@{where}", group="browser", size=where, unit="ms", higher_is_better=False,
                        label=f"filter change → chart updated ({kinds})", **_no_unit(res["filter_change"]),
                        baseline=self._base(base, "filter_change", "the minimal app's rerun"),
                        target={"stat": "p95", "op": "ratio<=", "value": 1.3, "of": "p95",
                                "text": "p95 ≤ 1.3× baseline p95"})
        if "page_switch" in res:
            self.figure(key=f"page_switch@{where}", group="browser", size=where, unit="ms", higher_is_better=False,
                        label="page switch in a session, every page → page drawn", **_no_unit(res["page_switch"]),
                        baseline=self._base(base, "filter_change", "the minimal app's rerun"),
                        target={"stat": "p95", "op": "ratio<=", "value": 1.5, "of": "p95",
                                "text": "p95 ≤ 1.5× baseline p95"})
            for path, values in res["page_switch"].get("pages", {}).items():
                self.figure(key=f"page_switch{path}@{where}", group="browser", size=where, unit="ms",
                            higher_is_better=False, label=f"  … to {path}", **values,
                            baseline=self._base(base, "filter_change", "the minimal app's rerun"),
                            target={"stat": "p95", "op": "ratio<=", "value": 1.5, "of": "p95",
                                    "text": "p95 ≤ 1.5× baseline p95"})
        if "map_payload" in res:
            pay = res["map_payload"]
            value = float(pay["ws_largest_frame"])
            self.figure(key=f"map_payload@{where}", group="browser", size=where, unit="bytes", higher_is_better=False,
                        label=f"map payload: figure frame over the websocket ({pay.get('level', '?')} map)", n=1,
                        median=value, p95=value, min=value, max=value, samples=[value], details=pay,
                        baseline=({"median": float(pay["unsimplified_bytes"]), "n": 1,
                                   "p95": float(pay["unsimplified_bytes"]),
                                   "label": "the same features as unsimplified cnmaps GeoJSON"}
                                  if pay.get("unsimplified_bytes") else None),
                        target={"stat": "median", "op": "<=", "value": 1_000_000.0, "text": "≤ 1 MB"})
        if "memory" in res:
            mem = res["memory"]
            bmem = base.get("memory")
            self.figure(key=f"memory_{mem['sessions']}_sessions@{where}", group="browser", size=where,
                        unit="bytes", higher_is_better=False,
                        label=f"Streamlit server RSS, {mem['sessions']} concurrent sessions (peak)", n=1,
                        median=float(mem["peak_rss"]), p95=float(mem["peak_rss"]), min=float(mem["settled_rss"]),
                        max=float(mem["peak_rss"]), samples=[float(mem["peak_rss"])], details=mem,
                        baseline={"median": float(bmem["peak_rss"]), "p95": float(bmem["peak_rss"]), "n": 1,
                                  "label": "baseline app, same sessions"} if bmem else None,
                        target={"stat": "median", "op": "<=", "value": 400.0 * MB, "text": "≤ 400 MB"})
            self.figure(key=f"memory_children@{where}", group="browser", size=where, unit="bytes",
                        higher_is_better=False, n=1, label="  … its child processes (kaleido's Chromium)",
                        median=float(mem["children_peak_rss"]), p95=float(mem["children_peak_rss"]),
                        samples=[float(mem["children_peak_rss"])], baseline=None, target=None)

    @staticmethod
    def _base(base: dict[str, Any], key: str, what: str = "") -> dict[str, Any] | None:
        if key not in base or not base[key].get("n"):
            return None
        label = "minimal Streamlit + Plotly app (benchmarks/baseline_app.py)" + (f": {what}" if what else "")
        return {**_no_unit(base[key]), "label": label}

    def cleanup(self) -> None:
        if self.args.keep:
            log(f"kept {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)


def _no_unit(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != "unit"}


# ---------------------------------------------------------------- the table


def _fmt(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "ms":
        return f"{value:,.0f} ms" if value >= 1000 else f"{value:.1f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "pages/s":
        return f"{value:.1f} pages/s"
    if unit == "obs/s":
        return f"{value / 1e6:.2f} M/s" if value >= 1e6 else f"{value / 1e3:,.1f} k/s"
    if unit == "bytes":
        return f"{value / MB:.1f} MB" if value >= 0.1 * MB else f"{value / 1024:.0f} kB"
    return f"{value:g}"


def ratio(fig: dict[str, Any]) -> float | None:
    """How many times better than the baseline (> 1: better), from the medians."""
    base = fig.get("baseline")
    if not base or not base.get("median") or not fig.get("median"):
        return None
    return fig["median"] / base["median"] if fig.get("higher_is_better") else base["median"] / fig["median"]


def verdict(fig: dict[str, Any]) -> str:
    target = fig.get("target")
    if not target:
        return ""
    value = fig.get(target["stat"])
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if target["op"] == "ratio<=":  # against the baseline measured in the same run
        base = (fig.get("baseline") or {}).get(target["of"])
        return "n/a" if not base else "ok" if value / base <= target["value"] else "MISS"
    ok = value >= target["value"] if target["op"] == ">=" else value <= target["value"]
    if ok and target.get("min_ratio"):
        r = ratio(fig)
        ok = r is not None and r >= target["min_ratio"]
    return "ok" if ok else "MISS"


def table(results: dict[str, Any]) -> str:
    head = ["figure", "size", "n", "median", "p95", "baseline", "× vs base", "target", ""]
    rows = []
    for fig in results["figures"]:
        base = fig.get("baseline") or {}
        r = ratio(fig)
        target = fig.get("target") or {}
        if target.get("op") == "ratio<=" and base.get(target["of"]) and fig.get(target["stat"]):
            # the target is a ratio to the baseline (slower/faster): show that ratio, of the target's statistic
            versus = f"{fig[target['stat']] / base[target['of']]:.2f}× ({target['stat']})"
            shown = _fmt(base.get(target["of"]), fig["unit"]) + f" ({target['of']})"
        else:
            versus = f"{r:.2f}×" if r is not None else "—"
            shown = _fmt(base.get("median"), fig["unit"]) + (" (subset)" if "subset" in base.get("label", "") else "")
        rows.append([fig["label"], fig["size"], str(fig.get("n", "")), _fmt(fig.get("median"), fig["unit"]),
                     _fmt(fig.get("p95"), fig["unit"]), shown, versus, target.get("text", ""), verdict(fig)])
    widths = [min(62, max(len(str(r[i])) for r in [head, *rows])) for i in range(len(head))]
    def line(cells: list[str]) -> str:
        return " | ".join(str(c)[:widths[i]].ljust(widths[i]) if i in (0, 1, 7) else str(c).rjust(widths[i])
                          for i, c in enumerate(cells)).rstrip()
    out = [line(head), "-+-".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    return "\n".join(out)


def notes(results: dict[str, Any]) -> list[str]:
    lines = []
    for size, data in results["datasets"].items():
        s = data["shape"]
        lines.append(f"{SYNTHETIC_MARK} {size}: {s['regions']:,} {data['level']}-level regions × {s['editions']} "
                     f"editions × {s['indicators']} indicators = {data['observations']:,} observations "
                     f"({data['bytes'] / 1e6:.1f} MB of CSV); region level used: {data['level']}"
                     + (" (region_master() has no county level yet)" if data["level"] == "city" else ""))
    lines.append("× vs base: how many times better than the baseline, from the medians (> 1 = better); for a "
                 "target that is a ratio to the baseline, that ratio (< 1 = faster than the baseline). "
                 "p95 is interpolated between samples (n small → close to the maximum).")
    for fig in results["figures"]:
        base = fig.get("baseline") or {}
        if base.get("label"):
            lines.append(f"baseline of '{fig['label'].strip()}' @{fig['size']}: {base['label']}"
                         + (f" — {base['label_note']}" if base.get("label_note") else ""))
        if fig.get("failures"):
            lines.append(f"'{fig['label'].strip()}' @{fig['size']}: {len(fig['failures'])} failed attempt(s): "
                         f"{fig['failures'][0][:200]}")
    return list(dict.fromkeys(lines))


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="default", choices=["default", "smoke"])
    parser.add_argument("--scaling", action="store_true", help="also the ETL and queries at 0.1 M and 1 M")
    parser.add_argument("--profile", action="store_true",
                        help="also a pyinstrument profile of one ETL run and EXPLAIN ANALYZE of every query")
    parser.add_argument("--level", default="auto", choices=["auto", "city", "county"])
    parser.add_argument("--skip", default="", help="comma-separated: etl,queries,rebuild,pdf,browser")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    started = time.perf_counter()
    suite = Suite(args)
    size = "smoke" if args.size == "smoke" else "default"
    log(f"benchmarks → {suite.out_dir}  (temporary data in {suite.root})")
    try:
        data = suite.step(f"generate {size}", suite.dataset, size)
        if data:
            if "etl" not in skip or "queries" not in skip or "browser" not in skip:
                suite.step(f"ETL {size}", suite.etl, size, data, suite.plan.etl_reps)
            if args.profile:
                suite.step(f"profile ETL {size}", suite.profile_etl, size, data)
            if "queries" not in skip:
                suite.step(f"queries {size}", suite.queries, size, data, True, args.profile)
        if "rebuild" not in skip:
            suite.step("full rebuild (embedded)", suite.rebuild)
        if "pdf" not in skip:
            suite.step("PDF appendix (20 pages)", suite.pdf_pages)
        if data and "browser" not in skip:
            suite.step(f"browser {size}", suite.browser, size, data)
        if args.scaling:
            for small in suite.plan.scaling_sizes:
                sdata = suite.step(f"generate {small}", suite.dataset, small)
                if sdata:
                    suite.step(f"ETL {small}", suite.etl, small, sdata, suite.plan.etl_reps)
                    suite.step(f"queries {small}", suite.queries, small, sdata, True, False)
    finally:
        suite.cleanup()
        suite.results["seconds"] = time.perf_counter() - started
        suite.results["machine"]["load_average_end"] = os.getloadavg()
        write_json(suite.out_dir / "results.json", suite.results)
        write_json(RESULTS_DIR / "latest.json", suite.results)
    text = table(suite.results)
    print(text)
    for line in notes(suite.results):
        print("  · " + line)
    if suite.results["errors"]:
        print("\nerrors:")
        for error in suite.results["errors"]:
            print("  ! " + error[:2000])
    print(f"\n{len(suite.results['figures'])} figures in {suite.results['seconds'] / 60:.1f} min; JSON: "
          f"{suite.out_dir / 'results.json'}")
    (suite.out_dir / "table.txt").write_text(text + "\n", encoding="utf-8")
    return 1 if suite.results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
