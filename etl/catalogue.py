"""Reference data kept as files: indicator catalogues per index family and header synonyms."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from etl.paths import REFERENCE_DIR
from etl.text import load_yaml, normalize


@dataclass(frozen=True)
class Family:
    code: str
    name_zh: str
    name_en: str
    short_zh: str  # for axis titles and side-by-side labels
    short_en: str
    publisher: str
    publisher_en: str
    comparable_values: bool  # whether index points compare across periods (else: ranks only)
    caveats: list[dict[str, str]]  # {zh, en} notes every page of the family shows
    methodology: dict[str, str]  # {zh, en}
    indicators: pd.DataFrame  # code, name_zh, name_en, kind, parent, concept, unit, higher_is_better, sort
    concepts: pd.DataFrame  # concept, name_zh, name_en

    def has_indicator(self, code: str) -> bool:
        return code in set(self.indicators["code"])


def _load_family(path: Path) -> Family:
    data = load_yaml(path.read_text(encoding="utf-8"))
    ind = pd.DataFrame(data["indicators"])
    ind["sort"] = range(len(ind))
    for col, default in (("parent", None), ("unit", "index points"), ("higher_is_better", True)):
        ind[col] = ind[col].where(ind[col].notna(), default) if col in ind else default
    ind["concept"] = ind["concept"].fillna(ind["code"]) if "concept" in ind else ind["code"]
    named = pd.DataFrame(
        [{"concept": k, **v} for k, v in (data.get("concepts") or {}).items()],
        columns=["concept", "name_zh", "name_en"],
    )
    # A concept without its own entry is named after the indicator that carries its code.
    own = ind[~ind["concept"].isin(named["concept"])][["concept", "name_zh", "name_en"]]
    concepts = pd.concat([named, own.drop_duplicates("concept")], ignore_index=True)
    return Family(data["family"], data["name_zh"], data["name_en"], data.get("short_zh", data["name_zh"]),
                  data.get("short_en", data["name_en"]), data["publisher"],
                  data.get("publisher_en", data["publisher"]), bool(data.get("comparable_values", False)),
                  list(data.get("caveats") or []), dict(data.get("methodology") or {}), ind, concepts)


@lru_cache(maxsize=1)
def families() -> dict[str, Family]:
    loaded = [_load_family(p) for p in sorted((REFERENCE_DIR / "indicators").glob("*.yml"))]
    return {f.code: f for f in loaded}


@lru_cache(maxsize=1)
def header_roles() -> dict[str, str]:
    """Normalised header spelling → column role (rank, region, province, …)."""
    data = load_yaml((REFERENCE_DIR / "headers.yml").read_text(encoding="utf-8"))
    return {normalize(spelling): role for role, spellings in data.items() for spelling in spellings}
