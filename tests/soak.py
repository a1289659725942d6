"""Soak runs and the fault-injecting ETL launcher used by tests/test_crash.py.

    python -m tests.soak                      # the soak: crash + property tests with many kills/examples
    python -m tests.soak etl [--crash-at POINT] [--hold SECONDS] -- ETL ARGS

`make soak` runs the first (SOAK_KILLS, default 40 random SIGKILLs split between `etl build` and `etl add`;
PROPERTY_EXAMPLES, default 300 mutated reports; SOAK_SESSIONS × SOAK_REPUBLISHES, default 20 browser sessions
while the ETL republishes 10 times) and prints the measured numbers the tests record under
test-artifacts/reliability/. CI may run it reduced: `make soak SOAK_KILLS=8 PROPERTY_EXAMPLES=60`.

The second form runs `python -m etl ETL ARGS` in this process after patching one step of the ETL so that the
process SIGKILLs itself exactly there (a kill at a known moment, where random kills may never land), or holds
the publish lock for a while (to start two runs "at once" deterministically). Crash points:

    lock           right after the publish lock is taken (before anything is written)
    staged         `add`: after the report and sidecar were copied into data/raw/.staging-*
    write          half-way through writing the new DuckDB file (tables inserted, views not yet)
    before_rename  the new file is complete and checked, not yet renamed over the live one
    after_rename   right after the rename over the live file (`add`: before the report moves into data/raw)
    backup         `add --replace`, published: after the loaded edition was moved aside into .staging-*/.previous
    swapped        `add`, published: after the staged report was renamed into data/raw
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "test-artifacts" / "reliability"
POINTS = ("lock", "staged", "backup", "swapped", "write", "before_rename", "after_rename")


def record(name: str, data: dict) -> None:
    """Keep a measured figure for RELIABILITY.md (printed at the end of the soak)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def _die() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def install(point: str | None, hold: float) -> None:
    """Patch the ETL modules of this process so that it dies at `point` / holds the lock `hold` seconds."""
    from etl import commands
    from etl import publish as pub

    remove_leftovers = pub.remove_leftovers

    def in_lock(warehouse: Path) -> list[Path]:
        if point == "lock":
            _die()
        time.sleep(hold)
        return remove_leftovers(warehouse)

    pub.remove_leftovers = in_lock
    if point == "staged":
        stage = commands.stage

        def staged(*args):
            stage(*args)
            _die()

        commands.stage = staged
    elif point in ("backup", "swapped"):
        rename = Path.rename

        def renamed(self: Path, target):
            result = rename(self, target)
            if (point == "backup") == (Path(target).name == ".previous"):
                _die()
            return result

        Path.rename = renamed
    elif point == "write":
        run_script = pub._run_script

        def half_written(con, name):
            if name == "views.sql":  # the tables are in the new file, the views not yet
                _die()
            run_script(con, name)

        pub._run_script = half_written
    elif point in ("before_rename", "after_rename"):
        replace = os.replace

        def renamed_over(src, dst, *args, **kwargs):
            over_live = pub.TMP_MARK in Path(src).name and pub.TMP_MARK not in Path(dst).name
            if over_live and point == "before_rename":
                _die()
            replace(src, dst, *args, **kwargs)
            if over_live:
                _die()

        os.replace = renamed_over
    elif point not in (None, "lock"):
        raise SystemExit(f"unknown crash point {point!r} (known: {', '.join(POINTS)})")


def run_etl(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak etl")
    parser.add_argument("--crash-at", choices=POINTS)
    parser.add_argument("--hold", type=float, default=0.0, help="seconds to hold the publish lock")
    parser.add_argument("etl_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    install(args.crash_at, args.hold)
    from etl.__main__ import main

    return main([a for a in args.etl_args if a != "--"])


def soak() -> int:
    sizes = {"SOAK_KILLS": "40", "PROPERTY_EXAMPLES": "300", "SOAK_SESSIONS": "20", "SOAK_REPUBLISHES": "10"}
    env = {**os.environ, **{k: os.environ.get(k, v) for k, v in sizes.items()}}
    print("soak: " + " ".join(f"{k}={env[k]}" for k in sizes), flush=True)
    for old in RESULTS.glob("*.json"):
        old.unlink()
    start = time.perf_counter()
    code = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rxs",
                            "tests/test_crash.py", "tests/test_properties.py",
                            "tests/browser/test_concurrent_readers.py"], cwd=ROOT, env=env)
    print(f"\nsoak finished in {time.perf_counter() - start:.0f} s, exit {code}; measured:")
    for path in sorted(RESULTS.glob("*.json")):
        print(f"  {path.stem}: {json.dumps(json.loads(path.read_text()), ensure_ascii=False)}")
    return code


if __name__ == "__main__":
    if sys.argv[1:2] == ["etl"]:
        sys.exit(run_etl(sys.argv[2:]))
    sys.exit(soak())
