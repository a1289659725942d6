"""Text normalisation shared by header matching and region-name matching."""

import re
import unicodedata
from functools import lru_cache

import opencc
import yaml

from etl.paths import REFERENCE_DIR

_T2S = opencc.OpenCC("t2s")
# Every kind of space (ASCII, full-width U+3000, no-break, zero-width) is noise inside a Chinese name.
_SPACES = re.compile(r"[\s\u200b\u200c\u200d\ufeff]+")


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """NFKC (full-width → half-width), drop all spaces, traditional → simplified, lower-case Latin."""
    return _T2S.convert(fold(text))


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's C parser when present: ~10× faster


def load_yaml(text: str) -> object:
    return yaml.load(text, Loader=_LOADER)


@lru_cache(maxsize=1)
def _radicals() -> dict[int, str]:
    """CJK radical-supplement forms → ideographs (data/reference/radicals.csv): NFKC maps the Kangxi radicals
    (⼴ → 广) but not these, and PDFs set in Noto CJK print them for ordinary characters (⻓沙 for 长沙)."""
    rows = (REFERENCE_DIR / "radicals.csv").read_text(encoding="utf-8").splitlines()[1:]
    return {ord(radical): ideograph for radical, ideograph in (row.split(",") for row in rows if row)}


def nfkc(text: str) -> str:
    """NFKC plus the radical forms NFKC leaves alone: what a reader sees, as ordinary characters."""
    return unicodedata.normalize("NFKC", text.translate(_radicals()))


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """NFKC (full-width → half-width), drop all spaces, lower-case Latin — without script conversion."""
    return _SPACES.sub("", nfkc(text)).lower()


def has_control_chars(text: str) -> bool:
    """True if the text holds control characters (other than ordinary whitespace)."""
    return any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in text)
