"""UI text in Chinese (default) and English, looked up from the tables in dashboard/locale/*.csv."""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

LANGS = ("zh", "en")
LOCALE_DIR = Path(__file__).with_name("locale")


@lru_cache(maxsize=1)
def _table() -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for path in sorted(LOCALE_DIR.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["key"] in table:
                    raise ValueError(f"locale key {row['key']!r} is defined twice ({path.name})")
                table[row["key"]] = {"zh": row["zh"], "en": row["en"]}
    return table


# English nouns counted in the texts: "1 regions" reads as a bug ("{n} regions" with n = 1)
SINGULAR = {"regions": "region", "cities": "city", "periods": "period", "indicators": "indicator",
            "sub-indicators": "sub-indicator", "editions": "edition", "rows": "row", "years": "year",
            "indices": "index"}
_ONE = re.compile(r"(?<![\d.,])\b1 (" + "|".join(map(re.escape, SINGULAR)) + r")\b")


def t(key: str, lang: str, **values: object) -> str:
    """The text for `key` in `lang`, with {placeholders} filled (English nouns singular after 1); unknown keys
    fail loudly in tests."""
    lang = lang if lang in LANGS else "zh"
    text = _table()[key][lang]
    if not values:
        return text
    text = text.format(**values)
    return _ONE.sub(lambda m: "1 " + SINGULAR[m.group(1)], text) if lang == "en" else text


def t_family(key: str, family: str, lang: str, **values: object) -> str:
    """A text an index family may word its own way ("kind_pku_dfiic_sub_industry": PKU-DFIIC's business types
    are no sub-industries), else the common one."""
    return t(f"{key}_{family}" if f"{key}_{family}" in _table() else key, lang, **values)


def keys() -> set[str]:
    return set(_table())


def name_col(lang: str, zh: str = "name_zh", en: str = "name_en") -> str:
    """Which column holds names in this language."""
    return en if lang == "en" else zh


def localized(frame: pd.DataFrame, lang: str, zh: str, en: str) -> pd.Series:
    """Names in the chosen language, falling back to Chinese where no English name exists."""
    if lang == "en":
        return frame[en].fillna(frame[zh])
    return frame[zh]


def ordinal(rank: int | None, lang: str) -> str:
    if rank is None or pd.isna(rank):
        return t("not_published", lang)
    rank = int(rank)
    if lang == "zh":
        return f"第{rank}名"
    suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    return f"{rank}{suffix}"
