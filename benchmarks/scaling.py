"""The growth plot of `python -m benchmarks.run --scaling`: ETL throughput and every query's median (with a bar up
to its p95) against the number of (SYNTHETIC) observations, from the run's figures. Plotly + kaleido (already
dependencies of the app): PNG in the run's folder and `benchmarks/scaling.png` (the copy BENCHMARKS.md shows).
`python -m benchmarks.scaling benchmarks/results/<run>/results.json` draws it again from a run's JSON."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from benchmarks.common import PROJECT_ROOT, SYNTHETIC_MARK, log

PLOT_PATH = PROJECT_ROOT / "benchmarks" / "scaling.png"
QUERY_TARGET_MS = 30.0
ETL_TARGET = 1_000_000


def growth(results: dict[str, Any]) -> dict[str, list[tuple[int, float, float]]]:
    """Series name → [(observations, median, p95)] sorted by size: ETL obs/s (ours, pandas), queries (ms)."""
    sizes = {size: data["observations"] for size, data in results["datasets"].items()}
    series: dict[str, list[tuple[int, float, float]]] = {}
    for fig in results["figures"]:
        n = sizes.get(fig.get("size"))
        if n is None or fig.get("median") is None:
            continue
        if fig["group"] == "etl":
            series.setdefault("ETL (this project)", []).append((n, fig["median"], fig["median"]))
            if fig.get("baseline"):
                base = fig["baseline"]["median"]
                series.setdefault("ETL (plain pandas)", []).append((n, base, base))
        elif fig["group"] == "query":
            name = fig["key"].split("@")[0].removeprefix("query_")
            series.setdefault(name, []).append((n, fig["median"], fig["p95"]))
    return {k: sorted(v) for k, v in series.items()}


def scaling_plot(results: dict[str, Any], out_dir: Path) -> Path | None:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    series = growth(results)
    if not any(len(points) > 1 for points in series.values()):
        log("  growth plot: fewer than two sizes measured, no plot")
        return None
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1, subplot_titles=(
        "ETL parse → publish: observations per second (median)", "Dashboard queries: median, bar up to p95 (ms)"))
    for name, points in series.items():
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        etl = name.startswith("ETL")
        bars = None if etl else {"type": "data", "symmetric": False, "array": [p[2] - p[1] for p in points],
                                 "arrayminus": [0] * len(points), "thickness": 1, "width": 3}
        fig.add_trace(go.Scatter(x=xs, y=ys, name=name, mode="lines+markers", error_y=bars,
                                 line={"dash": "dot"} if "pandas" in name else None, legendgroup="etl" if etl
                                 else "query"), row=1, col=1 if etl else 2)
    all_x = sorted({p[0] for points in series.values() for p in points})
    fig.add_trace(go.Scatter(x=[all_x[0], all_x[-1]], y=[ETL_TARGET] * 2, name="target ≥ 1 M obs/s", mode="lines",
                             line={"color": "grey", "dash": "dash"}), row=1, col=1)
    fig.add_trace(go.Scatter(x=[all_x[0], all_x[-1]], y=[QUERY_TARGET_MS] * 2, name="target p95 ≤ 30 ms",
                             mode="lines", line={"color": "grey", "dash": "dash"}), row=1, col=2)
    for col in (1, 2):
        fig.update_xaxes(type="log", title_text="observations (SYNTHETIC)", row=1, col=col)
        fig.update_yaxes(type="log", row=1, col=col)
    machine = results["machine"]
    fig.update_layout(width=1200, height=520, template="plotly_white", margin={"t": 90},
                      title={"text": f"How cost grows — {SYNTHETIC_MARK} data, one run {machine['date'][:16]}, "
                                     f"{machine['cores']} cores, commit {machine['git_commit']}", "x": 0.01})
    path = out_dir / "scaling.png"
    fig.write_image(str(path), scale=1)
    shutil.copyfile(path, PLOT_PATH)
    log(f"  growth plot → {path} (and {PLOT_PATH.relative_to(PROJECT_ROOT)})")
    return path


if __name__ == "__main__":
    import json
    import sys

    source = Path(sys.argv[1])
    scaling_plot(json.loads(source.read_text(encoding="utf-8")), source.parent)
