"""The explorer's shared state and its URL form (pure functions, testable without Streamlit).

URL parameters: family, edition (the period: edition of one-year releases, data year of panels), indicator,
level (city | province), region (all | east | central | west | northeast), province (adcode or name),
cities (comma-separated names or adcodes), lang (zh | en).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

REGION_CHOICES = ("all", "east", "central", "west", "northeast")
PARAMS = ("family", "edition", "indicator", "level", "region", "province", "cities", "lang")
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

    def to_params(self, city_names: Callable[[Sequence[str]], list[str]] | None = None) -> dict[str, str]:
        """Canonical URL parameters (defaults left out to keep links short)."""
        params = {"family": self.family, "edition": self.period, "indicator": self.indicator}
        if self.level != "city":
            params["level"] = self.level
        if self.region != "all":
            params["region"] = self.region
        if self.province:
            params["province"] = self.province
        if self.cities:
            params["cities"] = ",".join(city_names(self.cities) if city_names else self.cities)
        if self.lang != "zh":
            params["lang"] = self.lang
        return params


def clean(value: object) -> str | None:
    """A URL value as safe text: first of a list, stripped, bounded length, no control characters."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if value is None:
        return None
    text = str(value)[:MAX_PARAM_LENGTH]
    text = "".join(ch for ch in text if ch.isprintable()).strip()
    return text or None


def pick(value: str | None, options: Sequence[str], default: str | None) -> str | None:
    """The value if it is one of the options, else the default (unknown URL values are ignored)."""
    return value if value in options else default


def split_cities(value: str | None) -> list[str]:
    if not value:
        return []
    parts = [p.strip() for p in value.replace("，", ",").replace("、", ",").split(",")]
    return [p for p in parts if p][:MAX_CITIES]


def first_present(query: Mapping[str, object], names: Sequence[str]) -> dict[str, str | None]:
    return {name: clean(query.get(name)) for name in names}
