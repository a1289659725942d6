"""Shared helpers of the benchmark suite: paths, statistics, child processes, JSON results."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Not resolved: the suite may run from a copy of the project whose benchmarks/ is a symlink.
BENCH_DIR = Path(__file__).absolute().parent
PROJECT_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
SYNTHETIC_FAMILY = "synthetic_bench"
SYNTHETIC_MARK = "SYNTHETIC"


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); nan for no values."""
    data = sorted(v for v in values if v is not None and not math.isnan(v))
    if not data:
        return math.nan
    pos = (len(data) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def summary(values: Sequence[float]) -> dict[str, Any]:
    data = [float(v) for v in values]
    return {"n": len(data), "median": median(data), "p95": percentile(data, 95),
            "min": min(data) if data else math.nan, "max": max(data) if data else math.nan, "samples": data}


def child_env(**extra: str | None) -> dict[str, str]:
    """The environment for a child process: the project importable, unbuffered output, extras set or removed."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_worker(module: str, args: list[str], env: dict[str, str], out: Path, timeout: float,
               log: Path | None = None) -> dict[str, Any]:
    """Run `python -m benchmarks.<module> ... --out out` in a fresh process; returns the JSON it wrote."""
    command = [sys.executable, "-m", f"benchmarks.{module}", *args, "--out", str(out)]
    start = time.perf_counter()
    with open(log or os.devnull, "ab") as sink:
        proc = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()  # the worker stops the servers it started, then exits
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    if proc.returncode != 0 or not out.exists():
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:] if log and log.exists() else ""
        raise RuntimeError(f"benchmarks.{module} {' '.join(args)} failed (exit {proc.returncode}) after "
                           f"{time.perf_counter() - start:.0f} s\n{tail}")
    return json.loads(out.read_text(encoding="utf-8"))


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
