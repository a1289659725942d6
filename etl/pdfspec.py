"""The sidecar's `pdf:` key (format pdf_table): which pages and tables to read, and how.

Kept apart from etl.pdf so that reading a sidecar never imports the PDF machinery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from etl.sidecar import LEVELS, IndicatorMap, _indicator_map

STRATEGIES = ("auto", "lines", "text")
TWO_UP = ("auto", True, False)
PDF_KEYS = {"pages", "strategy", "columns", "two_up", "tables"}
TABLE_KEYS = {"title", "level", "columns", "indicators"}


@dataclass(frozen=True)
class PdfTableSpec:
    """One table to take: the text of its title line, its level, role → header overrides (like the sidecar's
    `columns`, e.g. {region: 省份} in a provincial list), its column → indicator mapping."""

    title: str | None = None
    level: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    indicators: dict[str, IndicatorMap] = field(default_factory=dict)


@dataclass(frozen=True)
class PdfSpec:
    pages: tuple[int, int] | None = None  # first and last PDF page, 1-based, inclusive
    strategy: str = "auto"  # lines: ruled tables; text: unruled (columns from the header or `columns`)
    columns: tuple[float, ...] = ()  # text strategy: x (points) where each column begins
    two_up: bool | str = "auto"  # two report pages side by side on one PDF page
    tables: tuple[PdfTableSpec, ...] = ()


def _pages(value: Any) -> tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value, value]
    ok = isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) and v >= 1 for v in value)
    if not ok or value[0] > value[1]:
        raise ValueError("pdf.pages must be a page number or [first, last] (1-based)")
    return value[0], value[1]


def _table(i: int, value: Any) -> PdfTableSpec:
    if not isinstance(value, dict) or set(value) - TABLE_KEYS:
        raise ValueError(f"pdf.tables[{i}] must be a mapping with keys among {', '.join(sorted(TABLE_KEYS))}")
    level = value.get("level")
    if level is not None and level not in LEVELS:
        raise ValueError(f"pdf.tables[{i}].level {level!r} is not one of {', '.join(LEVELS)}")
    indicators = value.get("indicators") or {}
    if not isinstance(indicators, dict):
        raise ValueError(f"pdf.tables[{i}].indicators must map column headers to indicators")
    columns = value.get("columns") or {}
    if not (isinstance(columns, dict) and all(isinstance(v, str) for v in columns.values())):
        raise ValueError(f"pdf.tables[{i}].columns must map roles to column headers")
    title = value.get("title")
    return PdfTableSpec(str(title) if title is not None else None, level, {str(k): v for k, v in columns.items()},
                        {str(k): _indicator_map(str(k), v) for k, v in indicators.items()})


def pdf_spec(value: Any) -> PdfSpec:
    """Type-check the `pdf:` key; raises ValueError naming what is wrong."""
    if not isinstance(value, dict):
        raise ValueError("must be a mapping (pages, strategy, columns, two_up, tables)")
    unknown = set(value) - PDF_KEYS
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)} (allowed: {', '.join(sorted(PDF_KEYS))})")
    if value.get("strategy", "auto") not in STRATEGIES:
        raise ValueError(f"pdf.strategy {value['strategy']!r} is not one of {', '.join(STRATEGIES)}")
    if value.get("two_up", "auto") not in TWO_UP:
        raise ValueError("pdf.two_up must be auto, true or false")
    columns = value.get("columns") or []
    if not (isinstance(columns, list) and all(isinstance(x, int | float) for x in columns)
            and columns == sorted(columns)):
        raise ValueError("pdf.columns must be a list of increasing x-positions (points)")
    tables = value.get("tables") or []
    if not isinstance(tables, list):
        raise ValueError("pdf.tables must be a list of tables")
    return PdfSpec(_pages(value["pages"]) if "pages" in value else None, value.get("strategy", "auto"),
                   tuple(float(x) for x in columns), value.get("two_up", "auto"),
                   tuple(_table(i, t) for i, t in enumerate(tables)))
