"""Crash-safe publishing: SIGKILL `python -m etl build` and `python -m etl add …` (subprocesses, against a temp
copy of data/raw and a temp warehouse) and check what is left.

After every kill the warehouse must be the old file (same sha256) or the complete new one (the content of a
reference run; the bytes of a new file differ run to run by timestamps and run ids), open read-only and pass
etl.publish.integrity_problems; data/raw (visible part) must be the old tree or the complete new one; the next
run must succeed and remove leftover `index.duckdb.tmp-*` files.

- random kills: SOAK_KILLS (default 6; `make soak` 40) moments split between build and add, spread over the
  run — a uniform delay after start, a delay after a random progress line, or a delay inside the publish
  window (after the last validate line) — with a fixed seed (SOAK_SEED).
- kills at known steps: tests/soak.py patches one ETL step so the process kills itself exactly there
  (random kills rarely land between two renames).
- two runs at once: one refuses with exit 3 (--wait 0) or waits (--wait 60); never both publish at once.

Numbers measured go to test-artifacts/reliability/*.json (printed by `make soak`).
"""

from __future__ import annotations

import hashlib
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from etl import commands
from etl.__main__ import main
from etl.paths import PROJECT_ROOT
from etl.publish import integrity_problems
from tests.conftest import EXAMPLES, copy_raw, quiet
from tests.soak import record

KILLS = int(os.environ.get("SOAK_KILLS", "6"))
SEED = int(os.environ.get("SOAK_SEED", "20190521"))
EXAMPLE_CSV = EXAMPLES / "new_report_2019_edition.csv"
EXAMPLE_META = EXAMPLES / "new_report_2019_edition.meta.yml"
EDITION_2019 = Path("tencent_internet_plus") / "2019"
PROGRESS_BEFORE_PUBLISH = "  validate "  # the last one comes right before the new file is written
PROGRESS_PUBLISHED = ("  publish ", "  add ")  # build / add print these once the new file is in place
CHILD_ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


# --- helpers ------------------------------------------------------------------------------------------------

def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def visible_tree(raw: Path) -> dict[str, str]:
    """data/raw as `build` sees it: files outside hidden folders, with their sha256."""
    return {str(p.relative_to(raw)): sha(p) for p in sorted(raw.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(raw).parts)}


def staging_leftovers(raw: Path) -> list[str]:
    return sorted(p.name for p in raw.iterdir() if p.name.startswith(".staging-"))


def tmp_leftovers(warehouse: Path) -> list[str]:
    return sorted(p.name for p in warehouse.parent.glob(warehouse.name + ".tmp-*"))


def content(warehouse: Path) -> str:
    """What a warehouse holds, without run ids and timestamps: releases and every observation."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        releases = con.execute("SELECT release_id, raw_sha256, observation_count FROM release ORDER BY ALL").fetchall()
        obs = con.execute("SELECT release_id, data_year, adcode, level, indicator, scope, value, rank, basis, "
                          "source_url, source_file, source_row FROM observation ORDER BY ALL").fetchall()
    finally:
        con.close()
    return hashlib.sha256(repr((releases, obs)).encode()).hexdigest()


def releases(warehouse: Path) -> set[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT release_id FROM release").fetchall()}
    finally:
        con.close()


def etl_runs(warehouse: Path) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("SELECT run_id, command, status, started_at, finished_at FROM etl_run "
                           "ORDER BY started_at").fetchall()
    finally:
        con.close()


def run_in_process(*argv: str) -> int:
    return main([*argv])


def etl_argv(raw: Path, warehouse: Path, command: list[str], crash_at: str | None = None, hold: float = 0,
             wait: float | None = None) -> list[str]:
    etl_args = ["--raw-dir", str(raw), "--warehouse", str(warehouse)]
    if wait is not None:
        etl_args += ["--wait", str(wait)]
    etl_args += command
    if crash_at is None and not hold:
        return [sys.executable, "-m", "etl", *etl_args]
    inject = ["--crash-at", crash_at] if crash_at else []
    return [sys.executable, "-m", "tests.soak", "etl", *inject, "--hold", str(hold), "--", *etl_args]


@dataclass
class Run:
    """A subprocess whose output lines are timestamped as they arrive."""

    argv: list[str]
    started: float = 0.0
    lines: queue.Queue = field(default_factory=queue.Queue)
    seen: list[tuple[float, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.argv, cwd=PROJECT_ROOT, env=CHILD_ENV, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.stderr: list[str] = []
        threading.Thread(target=self._read_out, daemon=True).start()
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True).start()

    def _read_out(self) -> None:
        for line in self.proc.stdout:
            self.lines.put((time.monotonic() - self.started, line.rstrip("\n")))
        self.lines.put(None)

    def wait_for_line(self, test, timeout: float = 120) -> bool:
        """Wait until a progress line passes `test`; False if the run ended first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                item = self.lines.get(timeout=0.05)
            except queue.Empty:
                continue
            if item is None:
                return False
            self.seen.append(item)
            if test(item[1]):
                return True
        raise AssertionError(f"no matching progress line within {timeout} s: {self.seen}")

    def kill(self) -> bool:
        """SIGKILL; True if the process was still running."""
        if self.proc.poll() is not None:
            return False
        os.kill(self.proc.pid, signal.SIGKILL)
        return True

    def finish(self, timeout: float = 120) -> int:
        code = self.proc.wait(timeout=timeout)
        while True:  # drain the rest of stdout
            try:
                item = self.lines.get(timeout=5)
            except queue.Empty:
                break
            if item is None:
                break
            self.seen.append(item)
        time.sleep(0.05)
        return code

    @property
    def err(self) -> str:
        return "".join(self.stderr)


# --- the known outcomes -------------------------------------------------------------------------------------

@dataclass
class Scenario:
    """One ETL command, the state it starts from and the two acceptable outcomes."""

    name: str
    command: list[str]
    raw: Path            # the raw folder each run starts from (copied per run)
    warehouse: Path      # the old (live) warehouse each run starts from (copied per run)
    old_sha: str
    old_content: str
    new_content: str
    old_tree: dict[str, str]
    new_tree: dict[str, str]
    timeline: list[tuple[float, str]] = field(default_factory=list)  # progress lines of an uninterrupted run
    duration: float = 0.0

    def fresh(self, root: Path) -> tuple[Path, Path]:
        root.mkdir(parents=True)
        raw = root / "raw"
        shutil.copytree(self.raw, raw)
        warehouse = root / "warehouse" / "index.duckdb"
        warehouse.parent.mkdir()
        shutil.copy2(self.warehouse, warehouse)
        return raw, warehouse

    def content_of(self, raw: Path) -> str:
        return self.new_content if visible_tree(raw) == self.new_tree else self.old_content


def _built(raw: Path, warehouse: Path) -> Path:
    commands.build(raw, warehouse, quiet)
    return warehouse


def _timeline(scenario: Scenario, root: Path) -> None:
    """Time an uninterrupted subprocess run (kill moments are spread over it) and check its outcome."""
    raw, warehouse = scenario.fresh(root)
    run = Run(etl_argv(raw, warehouse, scenario.command))
    code = run.finish()
    assert code == 0, run.err
    scenario.timeline, scenario.duration = run.seen, time.monotonic() - run.started
    assert content(warehouse) == scenario.new_content
    assert visible_tree(raw) == scenario.new_tree


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory) -> dict[str, Scenario]:
    base = tmp_path_factory.mktemp("crash-base")
    full_raw = copy_raw(base / "full")
    # build: the live warehouse holds 2016–2017; data/raw has 2016–2018, so old and new content differ.
    partial_raw = base / "partial" / "raw"
    shutil.copytree(full_raw, partial_raw)
    shutil.rmtree(partial_raw / "tencent_internet_plus" / "2018")
    old_partial = _built(partial_raw, base / "partial" / "index.duckdb")
    full = _built(full_raw, base / "full" / "index.duckdb")
    # add: reference run of the 2019 example on a copy
    ref_raw = base / "ref" / "raw"
    shutil.copytree(full_raw, ref_raw)
    ref = base / "ref" / "index.duckdb"
    shutil.copy2(full, ref)
    commands.add(EXAMPLE_CSV, EXAMPLE_META, ref_raw, ref, quiet)
    tree = visible_tree(full_raw)
    found = {
        "build": Scenario("build", ["build", "--skip-geo"], full_raw, old_partial, sha(old_partial),
                          content(old_partial), content(full), tree, tree),
        "add": Scenario("add", ["add", str(EXAMPLE_CSV), "--meta", str(EXAMPLE_META), "--skip-geo"], full_raw, full,
                        sha(full), content(full), content(ref), tree, visible_tree(ref_raw)),
    }
    for scenario in found.values():
        _timeline(scenario, base / f"timeline-{scenario.name}")
    return found


# --- checks after a kill ------------------------------------------------------------------------------------

def after_kill(scenario: Scenario, raw: Path, warehouse: Path) -> dict:
    """What a kill left: the warehouse (old/new/other), its health, data/raw and leftovers."""
    found = {"warehouse": "missing", "integrity": ["missing"], "tmp_files": len(tmp_leftovers(warehouse)),
             "staging_folders": len(staging_leftovers(raw))}
    if warehouse.exists():
        found["integrity"] = integrity_problems(warehouse)
        if sha(warehouse) == scenario.old_sha:
            found["warehouse"] = "old"
        elif not found["integrity"] and content(warehouse) == scenario.new_content:
            found["warehouse"] = "new"
        else:
            found["warehouse"] = "other"
    tree = visible_tree(raw)
    found["raw"] = "old" if tree == scenario.old_tree else "new" if tree == scenario.new_tree else "other"
    return found


def recover(scenario: Scenario, raw: Path, warehouse: Path) -> dict:
    """The next run (an uninterrupted build) should succeed, remove temporary files and publish raw's content."""
    code = run_in_process("--raw-dir", str(raw), "--warehouse", str(warehouse), "build", "--skip-geo")
    healthy = code == 0 and integrity_problems(warehouse) == []
    tree = visible_tree(raw)
    editions = releases(warehouse) if healthy else set()
    return {"next_run_exit": code,  # both when old and new raw trees are the same (add --replace)
            "raw_after_next_run": [kind for kind, t in (("old", scenario.old_tree), ("new", scenario.new_tree))
                                   if tree == t],
            "raw_and_warehouse_agree": (raw / EDITION_2019).is_dir() == ("tencent_internet_plus/2019" in editions),
            "next_run_healthy": healthy, "tmp_after_next_run": len(tmp_leftovers(warehouse)),
            "staging_after_next_run": len(staging_leftovers(raw)),
            "next_run_publishes_raw": healthy and content(warehouse) == scenario.content_of(raw),
            "editions_after_next_run": sorted(releases(warehouse)) if healthy else []}


def assert_old_or_new_and_recovered(found: dict) -> None:
    assert found["warehouse"] in ("old", "new"), found
    assert found["integrity"] == [], found
    assert found["next_run_exit"] == 0 and found["next_run_healthy"], found
    assert found["tmp_after_next_run"] == 0, found


# --- random kills -------------------------------------------------------------------------------------------

def kill_plan(scenario: Scenario, i: int) -> tuple[str, str | None, float]:
    """(mode, anchor line, delay): kill `delay` s after the start, after a progress line, or while publishing.

    Spread over the uninterrupted run's timeline: its start up to the publish line, a random progress line,
    or the publish window (between the last validate line and the publish line, where the new file is written,
    checked and renamed).
    """
    rng = random.Random(f"{SEED}-{scenario.name}-{i}")
    times = dict((line, t) for t, line in scenario.timeline)
    validates = [line for _, line in scenario.timeline if line.startswith(PROGRESS_BEFORE_PUBLISH)]
    published = next(t for t, line in scenario.timeline if line.startswith(PROGRESS_PUBLISHED))
    mode = ("start", "line", "publish")[i % 3]
    if mode == "start":
        return mode, None, rng.uniform(0, published)
    if mode == "line":
        return mode, rng.choice([line for _, line in scenario.timeline if times[line] < published]), \
            rng.uniform(0, 0.2)
    return mode, validates[-1], rng.uniform(0, published - times[validates[-1]])


def random_kills(scenario: Scenario, count: int, root: Path) -> list[dict]:
    results = []
    for i in range(count):
        raw, warehouse = scenario.fresh(root / f"{scenario.name}-{i}")
        mode, anchor, delay = kill_plan(scenario, i)
        run = Run(etl_argv(raw, warehouse, scenario.command))
        if anchor is None or run.wait_for_line(lambda line, a=anchor: line == a):
            time.sleep(delay)
        killed = run.kill()
        code = run.finish()
        assert killed or code == 0, run.err
        assert "Traceback" not in run.err
        found = after_kill(scenario, raw, warehouse)
        found.update(recover(scenario, raw, warehouse))
        assert_old_or_new_and_recovered(found)
        assert found["raw"] in ("old", "new"), f"data/raw holds a half-copied or foreign report: {found}"
        assert found["next_run_publishes_raw"] and found["raw_and_warehouse_agree"], found
        assert found["staging_after_next_run"] == 0, found
        found.update(i=i, mode=mode, after=anchor, delay=round(delay, 3), killed=killed,
                     at=round(time.monotonic() - run.started, 3))
        results.append(found)
        shutil.rmtree(root / f"{scenario.name}-{i}")
    return results


def _summary(name: str, scenario: Scenario, results: list[dict]) -> dict:
    count = {"killed": sum(r["killed"] for r in results),
             "raw_ahead_of_warehouse": sum(r["raw"] == "new" and r["warehouse"] == "old" for r in results),
             "raw_behind_warehouse": sum(r["raw"] == "old" and r["warehouse"] == "new" and r["killed"]
                                         and scenario.old_tree != scenario.new_tree for r in results)}
    return {
        "scenario": name, "kills_planned": len(results), "killed_while_running": count["killed"],
        "finished_before_kill": len(results) - count["killed"],
        "warehouse_old": sum(r["warehouse"] == "old" for r in results),
        "warehouse_new": sum(r["warehouse"] == "new" for r in results),
        "kills_leaving_tmp_files": sum(r["tmp_files"] > 0 for r in results),
        "kills_leaving_staging": sum(r["staging_folders"] > 0 for r in results),
        "staging_left_after_next_run": sum(r["staging_after_next_run"] > 0 for r in results),
        "raw_ahead_of_warehouse": count["raw_ahead_of_warehouse"],
        "raw_behind_warehouse_until_next_run": count["raw_behind_warehouse"],
        "raw_and_warehouse_agree_after_next_run": sum(r["raw_and_warehouse_agree"] for r in results),
        "next_runs_ok": len(results), "uninterrupted_run_s": round(scenario.duration, 2), "seed": SEED,
        "kills": results,
    }


@pytest.mark.parametrize("name", ["build", "add"])
def test_random_kills_leave_the_old_or_the_new_warehouse(name, scenarios, tmp_path):
    count = KILLS // 2 + (KILLS % 2 if name == "build" else 0)
    scenario = scenarios[name]
    results = random_kills(scenario, count, tmp_path)
    record(f"crash_random_{name}", _summary(name, scenario, results))
    assert len(results) == count
    # Most planned moments must land while the process runs (load on the machine shifts a few), or the test
    # proves little.
    assert sum(r["killed"] for r in results) >= max(1, count // 2), results


# --- kills at known steps -----------------------------------------------------------------------------------

STEPS = [("build", "lock"), ("build", "write"), ("build", "before_rename"), ("build", "after_rename"),
         ("add", "lock"), ("add", "staged"), ("add", "swapped"), ("add", "write"), ("add", "before_rename"),
         ("add", "after_rename"), ("add --replace", "backup"), ("add --replace", "write")]


@pytest.fixture(scope="module")
def step_results(scenarios, tmp_path_factory) -> dict[tuple[str, str], dict]:
    """Kill once at every step (module-scoped: the three tests below read the same runs)."""
    root = tmp_path_factory.mktemp("crash-steps")
    results = {}
    for kind, point in STEPS:
        scenario = scenarios["add" if kind.startswith("add") else "build"]
        raw, warehouse = scenario.fresh(root / f"{kind}-{point}".replace(" ", ""))
        if kind == "add --replace":
            # the edition is loaded already; the run replaces it with the same file (old == new content)
            assert run_in_process("--raw-dir", str(raw), "--warehouse", str(warehouse), "add", str(EXAMPLE_CSV),
                                  "--meta", str(EXAMPLE_META), "--skip-geo") == 0
            scenario = Scenario("add --replace", [*scenario.command, "--replace"], raw, warehouse, sha(warehouse),
                                scenario.new_content, scenario.new_content, scenario.new_tree, scenario.new_tree)
        run = Run(etl_argv(raw, warehouse, scenario.command, crash_at=point))
        code = run.finish()
        assert code == -signal.SIGKILL, f"{kind}/{point}: the run was not killed at its step (exit {code})\n{run.err}"
        after = after_kill(scenario, raw, warehouse)
        after.update(recover(scenario, raw, warehouse))
        results[(kind, point)] = after
    record("crash_steps", {f"{k}/{p}": v for (k, p), v in results.items()})
    return results


STEP_PARAMS = [pytest.param(k, p, id=f"{k}/{p}") for k, p in STEPS]


@pytest.mark.parametrize(("kind", "point"), STEP_PARAMS)
def test_kill_at_step_leaves_old_or_new_and_next_run_recovers(kind, point, step_results):
    found = step_results[(kind, point)]
    assert_old_or_new_and_recovered(found)
    if point in ("lock", "staged", "write", "before_rename"):
        assert found["warehouse"] == "old"
    if point in ("after_rename", "backup", "swapped"):  # `add` publishes before it moves the report into data/raw
        assert found["warehouse"] == "new"


@pytest.mark.parametrize(("kind", "point"), STEP_PARAMS)
def test_kill_at_step_leaves_no_staging_folder_after_the_next_run(kind, point, step_results):
    assert step_results[(kind, point)]["staging_after_next_run"] == 0


@pytest.mark.parametrize(("kind", "point"), STEP_PARAMS)
def test_kill_at_step_keeps_raw_and_warehouse_in_step(kind, point, step_results):
    """After the next run data/raw holds the report exactly when the killed run had published it."""
    found = step_results[(kind, point)]
    assert ("new" if found["warehouse"] == "new" else "old") in found["raw_after_next_run"], found
    assert found["raw_and_warehouse_agree"], found
    assert found["next_run_publishes_raw"], found
    if kind == "add --replace":  # the loaded edition must survive a killed replacement
        assert "tencent_internet_plus/2019" in found["editions_after_next_run"], found


# --- two runs at once ---------------------------------------------------------------------------------------

def _two_at_once(scenario: Scenario, root: Path, wait: float) -> tuple[Path, Path, list[Run]]:
    raw, warehouse = scenario.fresh(root)
    runs = [Run(etl_argv(raw, warehouse, scenario.command, hold=3, wait=wait)) for _ in range(2)]
    for run in runs:
        run.finish(timeout=180)
    return raw, warehouse, runs


@pytest.fixture(scope="module")
def refused(scenarios, tmp_path_factory) -> tuple[Path, list[Run], list[tuple]]:
    scenario = scenarios["build"]
    before = etl_runs(scenario.warehouse)
    _, warehouse, runs = _two_at_once(scenario, tmp_path_factory.mktemp("refuse") / "run", wait=0)
    return warehouse, runs, before


def test_two_runs_at_once_one_refuses_with_exit_3(scenarios, refused):
    warehouse, runs, before = refused
    codes = sorted(r.proc.returncode for r in runs)
    assert codes == [0, 3], [(r.proc.returncode, r.err) for r in runs]
    winner, loser = sorted(runs, key=lambda r: r.proc.returncode)
    assert "another ETL run is publishing" in loser.err and f"holder: pid {winner.proc.pid}" in loser.err, loser.err
    assert "Traceback" not in loser.err
    new_runs = [r for r in etl_runs(warehouse) if r not in before]
    assert [r[2] for r in new_runs] == ["success"], new_runs
    assert integrity_problems(warehouse) == [] and content(warehouse) == scenarios["build"].new_content
    record("concurrent_refuse", {"exit_codes": codes, "loser_message": loser.err.strip(),
                                 "new_etl_runs": len(new_runs)})


def test_two_runs_at_once_one_waits_then_both_publish_in_turn(scenarios, tmp_path):
    scenario = scenarios["build"]
    before = etl_runs(scenario.warehouse)
    _, warehouse, runs = _two_at_once(scenario, tmp_path / "wait", wait=60)
    assert [r.proc.returncode for r in runs] == [0, 0], [r.err for r in runs]
    new_runs = [r for r in etl_runs(warehouse) if r not in before]
    assert [r[2] for r in new_runs] == ["success", "success"], new_runs
    first, second = new_runs
    assert first[4] <= second[3], f"the runs overlapped: {first} / {second}"
    assert integrity_problems(warehouse) == [] and content(warehouse) == scenario.new_content
    record("concurrent_wait", {"exit_codes": [0, 0], "new_etl_runs": len(new_runs),
                               "first_finished": str(first[4]), "second_started": str(second[3])})


def test_lock_refusal_names_the_lock_file(refused):
    warehouse, runs, _ = refused
    loser = max(runs, key=lambda r: r.proc.returncode)
    assert loser.proc.returncode == 3
    assert str(warehouse) + ".lock" in loser.err, loser.err
