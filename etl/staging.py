"""Staging for `etl add`: a new report waits in data/raw/.staging-* until the warehouse holding it is published.

Order (crash-safe): stage → validate → publish the warehouse → move the staged edition into data/raw. A kill
between publishing and the move leaves a staging folder whose sidecar the live warehouse already lists; the
next run (under the publish lock) completes the move. Any other staging folder is an unfinished `add` and is
discarded, so data/raw and the warehouse always end up describing the same releases.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import yaml

from etl import publish as pub
from etl.paths import SIDECAR_SUFFIX
from etl.pipeline import sha256
from etl.sidecar import load_sidecar

STAGING_PREFIX = ".staging-"
PREVIOUS = ".previous"
SAFE_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
RAW_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".pdf")


def safe_file_name(name: str, fallback: str) -> str:
    """Keep a user's file name only if it is plain; never let it carry a path or odd characters."""
    base = Path(name).name
    suffix = Path(base).suffix.lower()
    ok = base and all(c in SAFE_NAME_CHARS for c in base) and not base.startswith(".") and suffix in RAW_SUFFIXES
    return base if ok else fallback + (suffix if suffix in RAW_SUFFIXES else ".csv")


def new_staging(raw_dir: Path) -> Path:
    return raw_dir / f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}"


def stage(file: Path, meta: Path, staging_root: Path) -> Path:
    """Copy a new report and its sidecar into a staging folder, recording file name and sha256."""
    sc = load_sidecar(meta)
    target = staging_root / sc.family / sc.edition
    target.mkdir(parents=True, exist_ok=True)
    name = safe_file_name(file.name, f"{sc.family}_{sc.edition}")
    shutil.copyfile(file, target / name)
    data = dict(sc.raw)
    declared = data.get("sha256")
    data["file"] = name
    data["sha256"] = declared or sha256(target / name)
    sidecar = target / (Path(name).stem + SIDECAR_SUFFIX)
    sidecar.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return sidecar


def _staged_sidecar(staging: Path) -> Path | None:
    found = [p for p in staging.rglob("*" + SIDECAR_SUFFIX) if PREVIOUS not in p.relative_to(staging).parts]
    return found[0] if len(found) == 1 else None


def move_in(staging: Path, raw_dir: Path) -> Path | None:
    """Move the staged edition into data/raw (the loaded one goes aside first), then drop the staging folder.

    Each rename is atomic and the steps can be repeated, so a run killed half-way is finished by the next.
    """
    sidecar = _staged_sidecar(staging)
    target = None
    if sidecar is not None:
        staged_dir = sidecar.parent
        target = raw_dir / staged_dir.relative_to(staging)
        backup = staging / PREVIOUS
        if target.exists() and not backup.exists():
            target.rename(backup)
        target.parent.mkdir(parents=True, exist_ok=True)
        staged_dir.rename(target)
    shutil.rmtree(staging, ignore_errors=True)
    return target


def recover(raw_dir: Path, warehouse: Path, progress: Callable[[str], None]) -> None:
    """Finish or discard the staging folders of killed `add` runs (call while holding the publish lock)."""
    leftovers = sorted(raw_dir.glob(STAGING_PREFIX + "*")) if raw_dir.exists() else []
    if not leftovers:
        return  # the usual case: no need to open the live warehouse
    published = pub.published_sidecar_hashes(warehouse)
    for staging in leftovers:
        sidecar = _staged_sidecar(staging)
        if sidecar is not None and sha256(sidecar) in published:
            target = move_in(staging, raw_dir)
            progress(f"  recover    finished moving {target.relative_to(raw_dir)} into place (published already)")
        else:
            # Only if the warehouse was swapped by hand after a kill: never delete a loaded edition moved aside.
            backup = staging / PREVIOUS
            target = raw_dir / sidecar.parent.relative_to(staging) if sidecar is not None else None
            if target is not None and backup.exists() and not target.exists():
                backup.rename(target)
            shutil.rmtree(staging, ignore_errors=True)
            progress(f"  recover    discarded {staging.name} (an `add` that never published)")
