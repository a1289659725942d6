"""The ETL commands: build (everything under data/raw), add (a new report, then build), check (dry run)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from etl import publish as pub
from etl import staging
from etl.pipeline import LoadedRelease, Progress, RunResult, assemble_tables, discover, load_all, new_run
from etl.problems import InputError, Problem
from etl.read import check_size
from etl.sidecar import key_lines, load_sidecar
from etl.staging import stage


@dataclass
class Summary:
    releases: list[LoadedRelease]
    warnings: list[Problem]
    warehouse: Path
    seconds: float

    def table(self) -> str:
        head = f"{'release':<34} {'years':<11} {'rows':>7} {'obs':>9} {'regions':>7} {'indic.':>6} {'ranks':>7}"
        lines = [head, "-" * len(head)]
        for rel in self.releases:
            obs = rel.observations
            years = f"{obs['data_year'].min()}–{obs['data_year'].max()}"
            lines.append(f"{rel.sidecar.release_id:<34} {years:<11} {rel.parsed_rows:>7,} {len(obs):>9,} "
                         f"{obs['adcode'].nunique():>7,} {obs['indicator'].nunique():>6} "
                         f"{int(obs['rank'].notna().sum()):>7,}")
        total = sum(len(r.observations) for r in self.releases)
        lines.append("-" * len(head))
        lines.append(f"{len(self.releases)} releases, {total:,} observations, {len(self.warnings)} warnings, "
                     f"{self.seconds:.2f} s → {self.warehouse}")
        return "\n".join(lines)


def failed_log(warehouse: Path) -> Path:
    return warehouse.with_name("etl_failed_runs.jsonl")


def _finish_run(run: dict, result: RunResult, status: str, message: str | None) -> dict:
    # Only file names go into the record: the Data page shows it, and server paths are nobody's business.
    run.update(status=status, message=message, finished_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
               warnings=[str(replace(w, file=os.path.basename(w.file))) for w in result.problems.warnings],
               row_counts={r.sidecar.release_id: {"parsed": r.parsed_rows, "observations": len(r.observations)}
                           for r in result.releases})
    return run


def _log_failure(warehouse: Path, run: dict) -> None:
    """Failed runs cannot go into the warehouse (it must stay byte-identical), so they wait in a log."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with open(failed_log(warehouse), "a", encoding="utf-8") as handle:
        handle.write(json.dumps(run, default=str, ensure_ascii=False) + "\n")


def _run_history(warehouse: Path, run: dict) -> pd.DataFrame:
    previous = pub.read_previous_runs(warehouse)
    log = failed_log(warehouse)
    failed = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()] \
        if log.exists() else []
    frames = [f for f in (previous, pub.runs_frame(failed) if failed else None, pub.runs_frame([run]))
              if f is not None and len(f)]
    history = pd.concat(frames, ignore_index=True).drop_duplicates("run_id", keep="last")
    for col in ("started_at", "finished_at"):
        history[col] = pd.to_datetime(history[col])
    return history


def _publish(result: RunResult, raw_dir: Path, warehouse: Path, run: dict) -> None:
    run = _finish_run(run, result, "success", None)
    tables = assemble_tables(result.releases, raw_dir, _run_history(warehouse, run))
    pub.publish(warehouse, tables, {"built_at": str(run["finished_at"]), "run_id": run["run_id"]})
    failed_log(warehouse).unlink(missing_ok=True)


def _fail(warehouse: Path, run: dict, result: RunResult) -> None:
    _log_failure(warehouse, _finish_run(run, result, "failed", f"{len(result.problems.errors)} problem(s)"))
    raise InputError(result.problems)


def _tidy(raw_dir: Path, warehouse: Path, progress: Progress) -> None:
    """Clean up after runs that were killed (call while holding the publish lock)."""
    for leftover in pub.remove_leftovers(warehouse):
        progress(f"  removed leftover temporary file {leftover.name}")
    staging.recover(raw_dir, warehouse, progress)


def build(raw_dir: Path, warehouse: Path, progress: Progress, wait: float = 30.0) -> Summary:
    """Rebuild the warehouse from every sidecar under raw_dir."""
    start = time.perf_counter()
    with pub.publish_lock(warehouse, wait):
        _tidy(raw_dir, warehouse, progress)
        sidecars = discover(raw_dir)
        run = new_run("build", sidecars)
        result = load_all(sidecars, progress)
        if result.problems.errors:
            _fail(warehouse, run, result)
        _publish(result, raw_dir, warehouse, run)
    progress(f"  publish    {warehouse}")
    return Summary(result.releases, result.problems.warnings, warehouse, time.perf_counter() - start)


def _loaded_edition(raw_dir: Path, meta: Path) -> tuple[Path, Problem | None]:
    """The edition's folder under raw_dir and, if it is loaded already, the problem saying so."""
    sc = load_sidecar(meta)
    target = raw_dir / sc.family / sc.edition
    if not (target.exists() and any(discover(target))):
        return target, None
    return target, Problem(str(meta), f"edition already loaded: {target.relative_to(raw_dir)} exists; pass "
                                      "--replace to replace it", sc.line("edition"), "edition")


def add(file: Path, meta: Path, raw_dir: Path, warehouse: Path, progress: Progress, replace: bool = False,
        wait: float = 30.0) -> Summary:
    """Validate a new report with everything already loaded, publish, then move it into data/raw."""
    start = time.perf_counter()
    _require_input(file, meta)
    with pub.publish_lock(warehouse, wait):
        _tidy(raw_dir, warehouse, progress)
        target, loaded = _loaded_edition(raw_dir, meta)
        if loaded and not replace:
            raise InputError(loaded)
        folder = staging.new_staging(raw_dir)
        try:
            staged = stage(file, meta, folder)
            sidecars = [p for p in discover(raw_dir) if not p.is_relative_to(target)] + [staged]
            run = new_run(f"add {file.name}" + (" --replace" if replace else ""), [file, meta])
            result = load_all(sidecars, progress)
            _relabel(result, staged, file, meta)
            if result.problems.errors:
                _fail(warehouse, run, result)
            _publish(result, raw_dir, warehouse, run)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        # Published: from here on a killed run is finished by the next one (etl.staging.recover).
        staging.move_in(folder, raw_dir)
    progress(f"  add        {target.relative_to(raw_dir)} ← {file.name}")
    return Summary(result.releases, result.problems.warnings, warehouse, time.perf_counter() - start)


def _relabel(result: RunResult, staged: Path, file: Path, meta: Path) -> None:
    """Problems found in the staged copies should name the user's own files, and the rows of its keys."""
    names = {str(staged.parent / p.name): str(file) for p in staged.parent.iterdir() if p != staged}
    names[str(staged)] = str(meta)
    lines = key_lines(meta.read_text(encoding="utf-8-sig"))
    result.problems.items = [
        replace(p, file=_swap_prefix(p.file, names),
                row=lines.get(p.column, p.row) if p.file == str(staged) and p.column else p.row)
        for p in result.problems.items]


def _swap_prefix(label: str, names: dict[str, str]) -> str:
    for staged, original in names.items():
        if label == staged or label.startswith((staged + " ", staged + ",")):  # "[sheet …]", ", page …"
            return original + label[len(staged):]
    return label


def _require_input(file: Path, meta: Path) -> None:
    """Both files exist and the report is within the size limit, before anything is copied or read."""
    for path in (file, meta):
        if not path.is_file():
            raise InputError(Problem(str(path), "file not found"))
    check_size(file)


def check(file: Path, meta: Path, raw_dir: Path, progress: Progress) -> RunResult:
    """Dry run: validate a report and its sidecar exactly like `add`, change nothing."""
    _require_input(file, meta)
    with tempfile.TemporaryDirectory(prefix="etl-check-") as tmp:
        staged = stage(file, meta, Path(tmp))
        result = load_all([staged], progress)
        _relabel(result, staged, file, meta)
    _, loaded = _loaded_edition(raw_dir, meta)
    if loaded:
        result.problems.items.append(loaded)
    return result
