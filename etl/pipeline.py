"""Orchestration: discover sidecars, run parse → harmonize → validate for each release, then publish."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from etl.catalogue import Family, families
from etl.harmonize import harmonize
from etl.parse import parse
from etl.paths import SIDECAR_SUFFIX
from etl.problems import InputError, Problems
from etl.regions import region_aliases, region_master, resolver
from etl.sidecar import Sidecar, load_sidecar
from etl.validate import validate

Progress = Callable[[str], None]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class LoadedRelease:
    sidecar: Sidecar
    observations: pd.DataFrame
    raw_sha256: str
    sidecar_sha256: str
    parsed_rows: int
    seconds: float


@dataclass
class RunResult:
    releases: list[LoadedRelease] = field(default_factory=list)
    problems: Problems = field(default_factory=Problems)


def discover(raw_dir: Path) -> list[Path]:
    """Every sidecar under raw_dir, skipping hidden folders (staging areas of `etl add`)."""
    found = raw_dir.rglob("*" + SIDECAR_SUFFIX) if raw_dir.exists() else []
    return sorted(p for p in found if not any(part.startswith(".") for part in p.relative_to(raw_dir).parts))


def _check_provenance(sc: Sidecar, problems: Problems) -> str | None:
    if sc.family not in families():
        problems.add(sc.path, f"unknown family {sc.family!r} (known: {', '.join(families())}); add "
                              f"data/reference/indicators/{sc.family}.yml first", sc.line("family"), "family")
        return None
    if not sc.file:
        problems.add(sc.path, "key 'file' is missing: name the raw file next to the sidecar", sc.line("file"), "file")
        return None
    if not sc.raw_path.is_file():
        problems.add(sc.path, f"raw file {sc.file!r} not found next to the sidecar", sc.line("file"), "file")
        return None
    digest = sha256(sc.raw_path)
    if sc.sha256 and sc.sha256 != digest:
        problems.add(sc.path, f"sha256 of {sc.file} is {digest}, but the sidecar says {sc.sha256}: the raw file "
                              "changed; restore it or update the sidecar's sha256", sc.line("sha256"), "sha256")
        return None
    return digest


def load_release(sidecar_path: Path, problems: Problems, progress: Progress) -> LoadedRelease | None:
    """parse → harmonize → validate one release; problems are collected, not raised."""
    start = time.perf_counter()
    local = Problems()
    try:
        sc = load_sidecar(sidecar_path)
    except InputError as exc:
        problems.extend(exc.problems)
        return None
    digest = _check_provenance(sc, local)
    if digest is None:
        problems.extend(local)
        return None
    family = families()[sc.family]
    try:
        parsed = parse(sc.raw_path, sc)
    except InputError as exc:
        problems.extend(exc.problems)
        return None
    progress(f"  parse      {sc.release_id:<34} {len(parsed):>9,} cells  ({sc.format})")
    obs = harmonize(parsed, sc, family, resolver(), region_master(), local)
    progress(f"  harmonize  {sc.release_id:<34} {int(obs['_ok'].sum()):>9,} observations")
    validate(obs, sc, family.indicators["code"].tolist(), local)
    progress(f"  validate   {sc.release_id:<34} {len(local.errors):>9,} errors, {len(local.warnings)} warnings")
    problems.extend(local)
    if local.errors:
        return None
    return LoadedRelease(sc, obs, digest, sha256(sidecar_path), len(parsed), time.perf_counter() - start)


def load_all(sidecars: list[Path], progress: Progress) -> RunResult:
    result = RunResult()
    for path in sidecars:
        loaded = load_release(path, result.problems, progress)
        if loaded:
            result.releases.append(loaded)
    seen: dict[str, Path] = {}
    for rel in result.releases:
        rid = rel.sidecar.release_id
        if rid in seen:
            result.problems.add(rel.sidecar.path, f"release {rid} is also defined by {seen[rid]}; each edition "
                                                  "may be loaded once", rel.sidecar.line("edition"), "edition")
        seen[rid] = rel.sidecar.path
    return result


def _release_row(rel: LoadedRelease, raw_dir: Path, loaded_at: dt.datetime) -> dict:
    sc, years = rel.sidecar, rel.observations["data_year"]
    return {
        "release_id": sc.release_id, "family": sc.family, "edition": sc.edition, "data_year": sc.data_year,
        "data_year_from": int(years.min()), "data_year_to": int(years.max()), "title": sc.title,
        "title_en": sc.title_en, "publisher": sc.publisher, "publisher_en": sc.publisher_en,
        "published": sc.published,
        "source_urls": sc.source_urls, "citation": sc.citation, "terms": sc.terms, "framework": sc.framework,
        "notes": sc.notes, "format": sc.format, "raw_file": _shown_path(sc.raw_path, raw_dir),
        "raw_sha256": rel.raw_sha256, "sidecar_file": _shown_path(sc.path, raw_dir),
        "sidecar_sha256": rel.sidecar_sha256,
        "derived_from": json.dumps(sc.derived_from, ensure_ascii=False) if sc.derived_from else None,
        "coverage": json.dumps(sc.coverage) if sc.coverage else None,
        "observation_count": len(rel.observations), "loaded_at": loaded_at,
    }


def _shown_path(path: Path, raw_dir: Path) -> str:
    """Raw paths as they will sit under data/raw (staging folders of `etl add` are hidden)."""
    rel = path.relative_to(raw_dir)
    parts = [p for p in rel.parts if not p.startswith(".")]
    return str(Path("data/raw", *parts))


def _release_indicators(rel: LoadedRelease) -> pd.DataFrame:
    """Concept per indicator for this release: the sidecar's override, else the catalogue's default."""
    sc = rel.sidecar
    defaults = families()[sc.family].indicators.set_index("code")["concept"]
    used = sorted(rel.observations["indicator"].unique())
    overrides = {m.indicator: m.concept for m in sc.indicators.values() if m.concept}
    labels = {}
    for raw, m in sc.indicators.items():
        labels.setdefault(m.indicator, []).append(raw)
    return pd.DataFrame({
        "release_id": sc.release_id, "indicator": used,
        "concept": [overrides.get(code, defaults[code]) for code in used],
        "source_labels": [", ".join(labels.get(code, [code])) for code in used],
    })


OBS_COLUMNS = ["release_id", "data_year", "adcode", "level", "indicator", "scope", "value", "rank", "rank_at_most",
               "basis",
               "basis_note", "source_url", "source_file", "source_row", "raw_name"]


def _observation_rows(rel: LoadedRelease) -> pd.DataFrame:
    """A release's observations with their period, restatement flag and ranking direction (for computed ranks)."""
    sc, obs = rel.sidecar, rel.observations[OBS_COLUMNS]
    direction = families()[sc.family].indicators.set_index("code")["higher_is_better"]
    years = obs["data_year"].astype("int64")
    return obs.assign(
        period=sc.edition if sc.data_year is not None else years.astype(str),
        is_restated=(years != sc.data_year) if sc.data_year is not None else False,
        higher_is_better=obs["indicator"].map(direction).astype(bool),
    )


def _family_row(code: str, fam: Family) -> dict:
    return {"code": code, "name_zh": fam.name_zh, "name_en": fam.name_en, "short_zh": fam.short_zh,
            "short_en": fam.short_en, "publisher": fam.publisher,
            "publisher_en": fam.publisher_en, "comparable_values": fam.comparable_values,
            "caveats": json.dumps(fam.caveats, ensure_ascii=False),
            "methodology_zh": fam.methodology.get("zh"), "methodology_en": fam.methodology.get("en")}


def assemble_tables(releases: list[LoadedRelease], raw_dir: Path, runs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    fams = families()
    empty_obs = pd.DataFrame(columns=[*OBS_COLUMNS, "period", "is_restated", "higher_is_better"])
    indicators = pd.concat([f.indicators.assign(family=code) for code, f in fams.items()], ignore_index=True)
    concepts = pd.concat([f.concepts.assign(family=code) for code, f in fams.items()], ignore_index=True)
    return {
        "region": region_master(),
        "region_alias": region_aliases(),
        "family": pd.DataFrame([_family_row(c, f) for c, f in fams.items()]),
        "release": pd.DataFrame([_release_row(r, raw_dir, loaded_at) for r in releases]),
        "indicator": indicators,
        "concept": concepts.drop_duplicates(["family", "concept"]),
        "release_indicator": pd.concat([_release_indicators(r) for r in releases] or [pd.DataFrame(
            columns=["release_id", "indicator", "concept", "source_labels"])], ignore_index=True),
        "observation": pd.concat([_observation_rows(r) for r in releases] or [empty_obs], ignore_index=True),
        "etl_run": runs,
    }


def new_run(command: str, inputs: list[Path]) -> dict:
    return {"run_id": uuid.uuid4().hex, "command": command,
            "started_at": dt.datetime.now(dt.UTC).replace(tzinfo=None), "finished_at": None, "status": "running",
            "inputs": [{"file": str(p), "sha256": sha256(p)} for p in inputs if p.is_file()],
            "row_counts": {}, "warnings": [], "message": None}
