"""What a reader may conclude must be true: the presentation rules in one tested place (no Streamlit, no SQL).

Charts, view-models and pages call these instead of deciding on their own:
- ranks get rank encodings; length and value axes only for published values (`uses_values`);
- a band ("in the top N") is shown as such, sorts after the exact ranks up to N, and is never a number;
- a period without a published rank is a gap (`with_gaps`, `sparkline`, `history_text`, `delta`), "new" only
  for a region never ranked before in that ranking;
- caveats belong to a family (`family_caveats`), sources without a URL show their citation text (`source_note`);
- rank colour scales span the ranking's real range (`rank_scale`).
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.i18n import ordinal, t

NO_URL = "NO_URL:"


def missing(value: object) -> bool:
    return value is None or (not isinstance(value, str | list | tuple | np.ndarray) and bool(pd.isna(value)))


# ---------------------------------------------------------------- ranks and bands

def band_text(n: object, lang: str) -> str:
    return t("band", lang, n=int(n))


def rank_text(rank: object, band: object, lang: str, style: str = "plain") -> str:
    """'7' / '#7' / '第7名' for an exact rank, '前10' / 'top 10' for a band, else 'not published'."""
    if not missing(rank):
        r = int(rank)
        return {"plain": str(r), "hash": f"#{r}", "ordinal": ordinal(r, lang)}[style]
    if not missing(band):
        return band_text(band, lang)
    return t("not_published", lang)


_ZH_COUNTS = "零一两三四五六七八九十"


def count_text(n: int, lang: str) -> str:
    """'十' / 'ten'-style counts read better in a sentence than digits: 2–10 in words, digits beyond."""
    if lang == "zh":
        return _ZH_COUNTS[n] if 0 <= n <= 10 else str(n)
    words = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    return words[n] if 0 <= n <= 10 else str(n)


def rank_sort_key(rank: pd.Series, band: pd.Series) -> pd.Series:
    """Exact ranks by rank; a band 'top N' right after the exact ranks up to N; neither last."""
    key = pd.to_numeric(rank, errors="coerce").astype(float)
    return key.fillna(pd.to_numeric(band, errors="coerce").astype(float) + 0.5).fillna(math.inf)


def sort_ranked(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in reading order: exact ranks, bands after the exact ranks above them, then by value."""
    band = frame["rank_at_most"] if "rank_at_most" in frame else pd.Series(np.nan, index=frame.index)
    value = pd.to_numeric(frame["value"], errors="coerce") if "value" in frame else pd.Series(0.0, index=frame.index)
    keys = pd.DataFrame({"place": rank_sort_key(frame["rank"], band), "value": (-value).fillna(math.inf)})
    return frame.iloc[np.lexsort((keys["value"].to_numpy(), keys["place"].to_numpy()))]


def worst(*columns: pd.Series | float | None) -> float:
    """The largest rank (or band, or peer rank) among the columns, ignoring missing ones; at least 1."""
    found = [pd.to_numeric(c, errors="coerce").max() if isinstance(c, pd.Series) else c for c in columns]
    numbers = [float(v) for v in found if not missing(v)]
    return max([1.0, *numbers])


def is_placed(frame: pd.DataFrame) -> pd.Series:
    """Rows with an exact rank or a band (what a ranking shows)."""
    band = frame["rank_at_most"].notna() if "rank_at_most" in frame else False
    return frame["rank"].notna() | band


def rank_sources(frame: pd.DataFrame) -> pd.Series:
    """How each row's place was made, for an attribution: a band ('top N') is as published, though it has no
    rank (a table of bands alone is still 'ranks as published')."""
    if "rank_at_most" not in frame:
        return frame["rank_source"]
    return frame["rank_source"].where(frame["rank_source"].notna() | frame["rank_at_most"].isna(), "published")


def uses_values(frame: pd.DataFrame) -> bool:
    """Length (bars) may encode values only: every placed row must have a published value."""
    placed = frame[is_placed(frame)]
    return len(placed) > 0 and bool(placed["value"].notna().all())


# ---------------------------------------------------------------- change between periods

@dataclass(frozen=True)
class Delta:
    kind: str  # up | down | same | gap | new | none
    text: str


def delta(rank: object, previous_rank: object, previous_ranked: object, ranked_before: object,
          previous_label: str | None, lang: str) -> Delta:
    """Δrank only between adjacent periods where both ranks are published; otherwise say why there is none."""
    if missing(rank):
        return Delta("none", "")
    if not missing(previous_rank):
        change = int(previous_rank) - int(rank)
        if change == 0:
            return Delta("same", t("delta_same", lang))
        return Delta("up", f"▲{change}") if change > 0 else Delta("down", f"▼{-change}")
    if previous_label is None or missing(previous_ranked) or not bool(previous_ranked):
        return Delta("none", "")  # no previous period, or it had no such ranking: nothing to compare
    if not missing(ranked_before) and bool(ranked_before):
        return Delta("gap", t("delta_gap", lang))
    return Delta("new", t("delta_new", lang))


# ---------------------------------------------------------------- histories with gaps

def as_list(values: object) -> list:
    """DuckDB lists arrive as arrays (or None): plain Python lists, holes kept as None."""
    if values is None or isinstance(values, str) or not hasattr(values, "__len__"):
        return []
    return [None if missing(v) else v for v in values]


def history_text(history: object, lang: str) -> str:
    """'9 → – → 10': the hole of an unpublished period stays visible."""
    cells = as_list(history)
    return " → ".join("–" if v is None else str(int(v)) for v in cells) if any(v is not None for v in cells) else ""


SPARK_W, SPARK_H, SPARK_PAD = 58, 24, 4  # drawn at the cell height: this aspect fits the column uncropped


def sparkline(history: object, color: str = "#0072B2") -> str | None:
    """A rank history as a small SVG (a data URI for an image cell): up = better rank; an unpublished period is
    a hole — the line stops and starts again, a lone point is a dot. None when nothing was ranked."""
    cells = as_list(history)
    ranks = [float(v) for v in cells if v is not None]
    if not ranks:
        return None
    lo, hi = min(ranks), max(ranks)
    step = (SPARK_W - 2 * SPARK_PAD) / max(len(cells) - 1, 1)

    def y(rank: float) -> float:
        span = (rank - lo) / (hi - lo) if hi > lo else 0.5
        return SPARK_PAD + span * (SPARK_H - 2 * SPARK_PAD)

    runs, run, holes = [], [], []
    for i, v in enumerate(cells):
        x = SPARK_PAD + i * step
        if v is None:
            runs, run = runs + ([run] if run else []), []
            holes.append(x)
        else:
            run.append((x, y(float(v))))
    runs += [run] if run else []
    shapes = [f'<line x1="{x - 2:.1f}" y1="{SPARK_H / 2:.1f}" x2="{x + 2:.1f}" y2="{SPARK_H / 2:.1f}" '
              'stroke="#b0b6bd" stroke-width="1.4"/>' for x in holes]  # the unpublished period, visibly empty
    shapes += [f'<polyline points="{" ".join(f"{x:.1f},{yy:.1f}" for x, yy in r)}" fill="none" stroke="{color}" '
               'stroke-width="1.6"/>' if len(r) > 1 else
               f'<circle cx="{r[0][0]:.1f}" cy="{r[0][1]:.1f}" r="2.6" fill="{color}"/>' for r in runs]
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{SPARK_W}" height="{SPARK_H}" '
           f'viewBox="0 0 {SPARK_W} {SPARK_H}">{"".join(shapes)}</svg>')
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def with_gaps(line: pd.DataFrame, categories: Sequence[str], column: str = "label",
              whole: bool = False) -> pd.DataFrame:
    """The line's rows in category order from its first to its last point (`whole`: over every category); a
    category without a point gets an empty row, so Plotly breaks the line there instead of joining across it."""
    present = [c for c in categories if c in set(line[column])]
    if not present:
        return line.iloc[0:0]
    span = list(categories) if whole else list(
        categories[categories.index(present[0]):categories.index(present[-1]) + 1])
    return line.drop_duplicates(column).set_index(column).reindex(span).rename_axis(column).reset_index()


# ---------------------------------------------------------------- periods, sources, families

def period_text(label: str, data_year: object, is_restated: object, lang: str) -> str:
    """A restated figure says which year it describes: '2018 edition (data 2017) · restated for 2016'."""
    if not missing(is_restated) and bool(is_restated):
        return t("period_restated", lang, label=label, year=int(data_year))
    return label


_MARKDOWN_SPECIAL = set("\\`*_{}[]()<>#+-.!|~:$&")


def md_text(text: object) -> str:
    """Text from data files shown through st.markdown: every markdown/HTML character escaped, so a sidecar or
    report cannot inject links, images or formatting."""
    return "".join(f"\\{ch}" if ch in _MARKDOWN_SPECIAL else ch for ch in str(text)).replace("\n", " ")


def is_url(text: object) -> bool:
    return isinstance(text, str) and text.startswith(("http://", "https://"))


def source_link(source: object) -> str | None:
    return source if is_url(source) else None


def source_note(source: object) -> str | None:
    """Where a row's source has no URL, the citation text it names instead (never 'None')."""
    if not isinstance(source, str) or is_url(source):
        return None
    text = source.removeprefix(NO_URL).strip()
    return text or None


def source_label(source: object) -> str:
    """A source as one line of text: the URL, or the citation of a source without one."""
    return source_link(source) or source_note(source) or ""


def family_caveats(family: pd.Series, n_frameworks: int, lang: str) -> list[str]:
    """The notes every page of a family shows: its catalogue's caveats, and a framework warning only where the
    family's values would otherwise look comparable across periods."""
    caveats = [c.get(lang) or c.get("zh", "") for c in json.loads(family["caveats"] or "[]")]
    if bool(family["comparable_values"]) and n_frameworks > 1:
        caveats.append(t("framework_values_note", lang))
    return [c for c in caveats if c]


def values_comparable(family: pd.Series, lines: pd.DataFrame) -> bool:
    """Values compare across periods only where the family says so, within one framework, where published."""
    valued = lines.dropna(subset=["value"])
    return (bool(family["comparable_values"]) and len(valued) > 0 and valued["framework"].nunique() == 1
            and valued["period"].nunique() > 1)


HELP_TOPICS = (  # (locale key, family_summary column that must be > 0, or None for always)
    ("help_ranks", None), ("help_not_published", None), ("help_delta", None), ("help_bands", "n_banded"),
    ("help_derived", "n_derived"), ("help_restated", "n_restated"), ("help_computed", "n_computed"),
    ("help_frameworks", "n_frameworks_changed"),
)


def help_topics(summary: pd.Series, lang: str) -> list[str]:
    """'How to read this': only the marks this family's data actually carry."""
    facts = {**summary.to_dict(), "n_frameworks_changed": int(summary.get("n_frameworks", 1) or 1) - 1}
    return [t(key, lang) for key, need in HELP_TOPICS if need is None or (facts.get(need) or 0) > 0]


# ---------------------------------------------------------------- colour

@dataclass(frozen=True)
class RankScale:
    """A log colour scale over ranks 1 … size (the ranking's real range), with labelled ticks."""

    size: int
    tickvals: list[float]
    ticktext: list[str]

    @property
    def zmax(self) -> float:
        return math.log10(max(self.size, 2))

    @staticmethod
    def z(ranks: pd.Series | np.ndarray) -> np.ndarray:
        return np.log10(np.asarray(ranks, dtype=float))


def rank_scale(size: int) -> RankScale:
    """1, 3, 10, 30, 100 … up to the ranking's size, the size itself labelled (a scale never ends at the data)."""
    size = max(int(size), 2)
    ticks = [r for r in (1, 3, 10, 30, 100, 300, 1000, 3000) if r < size * 0.8] + [size]
    return RankScale(size, [math.log10(r) for r in ticks], [str(r) for r in ticks])


def ranking_size(ranked: object, worst_rank: object, worst_band: object, coverage: object = None) -> int:
    """How many places a ranking has: the stated coverage, else the most that its published figures imply."""
    known = [int(v) for v in (coverage, ranked, worst_rank, worst_band) if not missing(v)]
    return max(known) if known else 1


# ---------------------------------------------------------------- agreement between two rankings

MIN_AGREEMENT_N = 8  # fewer regions in both rankings: no coefficient (it would mean nothing)
STRENGTHS = ((0.7, "strong"), (0.4, "moderate"), (0.2, "weak"), (0.0, "none"))


@dataclass(frozen=True)
class Agreement:
    n: int
    rho: float | None
    tau: float | None
    low: float | None  # approximate 95% interval of ρ (Fisher z with Fieller's variance 1.06 / (n − 3))
    high: float | None

    @property
    def computed(self) -> bool:
        return self.rho is not None


def agreement(n: int, rho: object, tau: object) -> Agreement:
    """ρ and τ only from MIN_AGREEMENT_N regions up, with an interval that shows how little a small n says."""
    if n < MIN_AGREEMENT_N or missing(rho) or missing(tau):
        return Agreement(int(n), None, None, None, None)
    z, se = math.atanh(max(min(float(rho), 0.999999), -0.999999)), math.sqrt(1.06 / (n - 3))
    return Agreement(int(n), float(rho), float(tau), math.tanh(z - 1.96 * se), math.tanh(z + 1.96 * se))


def agreement_reading(result: Agreement, lang: str) -> str:
    """A plain-language reading: how strongly and in which direction the two rankings agree, and with what n."""
    if not result.computed:
        return t("agreement_too_few", lang, n=result.n, min=MIN_AGREEMENT_N)
    strength = next(name for bound, name in STRENGTHS if abs(result.rho) >= bound)
    direction = "same" if result.rho >= 0 else "opposite"
    return t(f"agreement_{strength}" + ("" if strength == "none" else f"_{direction}"), lang, n=result.n,
             rho=f"{result.rho:.2f}", low=f"{result.low:.2f}", high=f"{result.high:.2f}")
