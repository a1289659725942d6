"""The explorer's shared state and its URL form (pure functions, testable without Streamlit).

URL parameters of every page (README, "URL parameters"): family, period (the edition of one-year releases, the
data year of panels; `edition` is read as an alias so old links work), indicator, level (city | province |
county), region (all | east | central | west | northeast), province (adcode or name), cities (comma-separated
names or adcodes), lang (zh | en). Each page adds its own controls' parameters (PAGE_PARAMS).
"""

from __future__ import annotations

from dataclasses import dataclass, field

REGION_CHOICES = ("all", "east", "central", "west", "northeast")
GLOBAL_PARAMS = ("family", "period", "indicator", "level", "region", "province", "cities", "lang")
PAGE_PARAMS = (
    "top",  # rankings: how many rows
    "chart", "view", "start", "end",  # trends: bump or slope chart; rank or value; the slope chart's two periods
    "color",  # map: rank or value
    "kind", "rows", "profile", "peers",  # sub-indices: breakdown, heatmap rows, profiled region, peer group
    "show",  # city: the chart and grid show ranks or values; compare over time: the same
    "mode",  # compare: one period or over time
    "a", "b", "a_period", "b_period", "a_indicator", "b_indicator",  # indices: the two families compared
)
PARAMS = GLOBAL_PARAMS + PAGE_PARAMS
ALIASES = {"edition": "period"}
MAX_PARAM_LENGTH = 400
MAX_CITIES = 30


@dataclass(frozen=True)
class Filters:
    family: str
    period: str
    indicator: str
    level: str = "city"
    region: str = "all"
    province: str | None = None
    cities: tuple[str, ...] = field(default_factory=tuple)  # adcodes
    lang: str = "zh"


def clean(value: object) -> str | None:
    """A URL value as safe text: first of a list, stripped, bounded length, no control characters."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if value is None:
        return None
    text = str(value)[:MAX_PARAM_LENGTH]
    text = "".join(ch for ch in text if ch.isprintable()).strip()
    return text or None


def split_cities(value: str | None) -> list[str]:
    if not value:
        return []
    parts = [p.strip() for p in value.replace("，", ",").replace("、", ",").split(",")]
    return [p for p in parts if p][:MAX_CITIES]
