"""Text normalisation shared by header matching and region-name matching."""

import re
import unicodedata
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")
# Every kind of space (ASCII, full-width U+3000, no-break, zero-width) is noise inside a Chinese name.
_SPACES = re.compile(r"[\s\u200b\u200c\u200d\ufeff]+")


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """NFKC (full-width → half-width), drop all spaces, traditional → simplified, lower-case Latin."""
    folded = unicodedata.normalize("NFKC", text)
    folded = _SPACES.sub("", folded)
    return _T2S.convert(folded).lower()


def has_control_chars(text: str) -> bool:
    """True if the text holds control characters (other than ordinary whitespace)."""
    return any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in text)
