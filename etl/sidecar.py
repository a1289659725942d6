"""Release metadata sidecars (<name>.meta.yml): provenance plus the column → indicator mapping."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from etl.problems import InputError, Problem, Problems
from etl.text import load_yaml

if TYPE_CHECKING:
    from etl.pdfspec import PdfSpec

FORMATS = ("long", "report_table", "pku_workbook", "pdf_table")
LEVELS = ("city", "province", "county")
SCOPES = ("national", "province", "west", "tier")
ROLES = ("value", "rank", "band")  # band: "in the top N" (the cell holds N)
ENCODINGS = ("auto", "utf-8", "utf-8-sig", "gbk", "gb18030")
SOURCE_PATTERN = re.compile(r"^(https?://[^\s<>\"'`]+|NO_URL:.+)$")
REQUIRED = ("family", "edition", "title", "publisher", "published", "source_urls", "citation", "terms",
            "framework", "format")
OPTIONAL = ("data_year", "data_years", "title_en", "publisher_en", "notes", "file", "sha256", "encoding", "sheet",
            "level", "columns", "indicators", "value_range", "ranks_complete", "missing_values", "derived_from",
            "pdf", "coverage")
TODO = re.compile(r"^\s*TODO\b")  # `etl init` writes what it cannot know as "TODO: …"


@dataclass(frozen=True)
class IndicatorMap:
    """Where one raw indicator code or column header goes."""

    indicator: str
    scope: str = "national"
    role: str = "value"
    concept: str | None = None


@dataclass
class Sidecar:
    path: Path
    family: str
    edition: str
    title: str
    publisher: str
    published: dt.date
    source_urls: list[str]
    citation: str
    terms: str
    framework: str
    format: str
    data_year: int | None = None
    data_years: tuple[int, int] | None = None
    title_en: str | None = None
    publisher_en: str | None = None
    notes: str | None = None
    file: str | None = None
    sha256: str | None = None
    encoding: str = "auto"
    sheet: str | None = None
    level: str = "city"
    columns: dict[str, str] = field(default_factory=dict)
    indicators: dict[str, IndicatorMap] = field(default_factory=dict)
    value_range: tuple[float, float] | None = None
    ranks_complete: bool = False
    missing_values: tuple[str, ...] = ()
    derived_from: list[dict[str, str]] = field(default_factory=list)
    pdf: PdfSpec | None = None
    coverage: dict[str, int] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def line(self, key: str) -> int | None:
        """The sidecar's row holding `key`, for problems about that key."""
        return self.lines.get(key)

    @property
    def release_id(self) -> str:
        return f"{self.family}/{self.edition}"

    @property
    def raw_path(self) -> Path:
        return self.path.parent / (self.file or "")


def key_lines(text: str) -> dict[str, int]:
    """Line number (1-based) of every top-level key, so problems can point at the sidecar's row."""
    node = yaml.compose(text)
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}


def _indicator_map(key: str, spec: Any) -> IndicatorMap:
    if isinstance(spec, str):
        return IndicatorMap(indicator=spec)
    if not isinstance(spec, dict) or "indicator" not in spec:
        raise ValueError(f"indicators.{key} must be an indicator code or a mapping with 'indicator'")
    unknown = set(spec) - {"indicator", "scope", "role", "concept"}
    if unknown:
        raise ValueError(f"indicators.{key} has unknown keys {sorted(unknown)}")
    scope, role = spec.get("scope", "national"), spec.get("role", "value")
    if scope not in SCOPES:
        raise ValueError(f"indicators.{key}.scope {scope!r} is not one of {', '.join(SCOPES)}")
    if role not in ROLES:
        raise ValueError(f"indicators.{key}.role {role!r} is not one of {', '.join(ROLES)}")
    return IndicatorMap(str(spec["indicator"]), scope, role, spec.get("concept"))


def _check_pdf(value: Any, bad) -> Any:
    from etl.pdfspec import pdf_spec  # imported here: etl.pdfspec builds on this module

    try:
        return pdf_spec(value)
    except ValueError as exc:
        return bad(str(exc))


def _check_coverage(value: Any, bad) -> Any:
    ok = isinstance(value, dict) and all(k in LEVELS and isinstance(n, int) and n >= 1 for k, n in value.items())
    return dict(value) if ok else bad(f"must map levels ({', '.join(LEVELS)}) to the number of regions ranked")


def todo_lines(text: str) -> list[tuple[str, int, str]]:
    """(top-level key, line, text) of every value still reading "TODO…" (left by `etl init`)."""
    node = yaml.compose(text)
    if not isinstance(node, yaml.MappingNode):
        return []
    found = []
    for key, value in node.value:
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, yaml.ScalarNode) and TODO.match(item.value):
                found.append((key.value, item.start_mark.line + 1, item.value.strip()))
            elif isinstance(item, yaml.MappingNode):
                stack.extend(v for _, v in item.value)
            elif isinstance(item, yaml.SequenceNode):
                stack.extend(item.value)
    return sorted(found, key=lambda f: f[1])


def _check_value(key: str, value: Any, problems: Problems, where: Path, line: int | None) -> Any:
    """Type-check one sidecar key; returns the converted value or None after recording a problem."""
    def bad(msg: str) -> None:
        problems.add(where, f"key {key!r}: {msg}", line, key)

    if key in ("family", "edition", "title", "publisher", "citation", "terms", "framework", "title_en",
               "publisher_en", "notes", "file", "sha256", "sheet"):
        if value is None or (isinstance(value, str) and not value.strip()) or isinstance(value, dict | list):
            return bad("must be non-empty text")
        text = str(value).strip()
        if key in ("family", "edition", "framework") and not all(c.isalnum() or c in "_-." for c in text):
            return bad(f"{text!r} may hold only letters, digits, '_', '-' and '.'")
        if key == "file" and Path(text).name != text:
            return bad("must be a bare file name next to the sidecar, without a folder")
        return text
    if key == "published":
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            return bad(f"{value!r} is not a date (YYYY-MM-DD)")
    if key == "source_urls":
        urls = [value] if isinstance(value, str) else value
        if not isinstance(urls, list) or not urls or not all(isinstance(u, str) and u.strip() for u in urls):
            return bad("must be a non-empty list of URLs")
        wrong = [u for u in urls if not SOURCE_PATTERN.match(u.strip())]
        if wrong:
            return bad(f"{wrong[0]!r} is not an http(s) URL (or 'NO_URL: <where it was published>')")
        return [u.strip() for u in urls]
    if key == "format":
        return value if value in FORMATS else bad(f"{value!r} is not one of {', '.join(FORMATS)}")
    if key == "level":
        return value if value in LEVELS else bad(f"{value!r} is not one of {', '.join(LEVELS)}")
    if key == "encoding":
        return value if value in ENCODINGS else bad(f"{value!r} is not one of {', '.join(ENCODINGS)}")
    if key == "data_year":
        return value if isinstance(value, int) and 1990 <= value <= 2100 else bad(f"{value!r} is not a year")
    if key == "data_years":
        ok = isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)
        return tuple(value) if ok and value[0] <= value[1] else bad("must be [first_year, last_year]")
    if key == "value_range":
        ok = isinstance(value, list) and len(value) == 2 and all(isinstance(v, int | float) for v in value)
        return tuple(float(v) for v in value) if ok and value[0] < value[1] else bad("must be [min, max]")
    if key == "ranks_complete":
        return value if isinstance(value, bool) else bad("must be true or false")
    if key == "missing_values":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return tuple(value) if ok else bad("must be a list of texts")
    if key == "columns":
        ok = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
        return {str(k): v for k, v in value.items()} if ok else bad("must map roles to column headers")
    if key == "pdf":
        return _check_pdf(value, bad)
    if key == "coverage":
        return _check_coverage(value, bad)
    if key == "derived_from":
        return value if isinstance(value, list) else bad("must be a list")
    if key == "indicators":
        if not isinstance(value, dict):
            return bad("must map raw codes or column headers to indicator codes")
        mapped = {}
        for raw_key, spec in value.items():
            try:
                mapped[str(raw_key)] = _indicator_map(str(raw_key), spec)
            except ValueError as exc:
                problems.add(where, str(exc), line, key)
        return mapped
    return value


def parse_sidecar(path: Path, text: str) -> Sidecar:
    """Parse and type-check a sidecar; raise InputError listing every problem."""
    problems = Problems()
    try:
        data = load_yaml(text)
        lines = key_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.add(path, f"not valid YAML: {getattr(exc, 'problem', exc)}", mark.line + 1 if mark else None)
        raise InputError(problems) from None
    if not isinstance(data, dict):
        problems.add(path, "must be a YAML mapping of keys to values (see README, 'Sidecar schema')")
        raise InputError(problems)
    todo = todo_lines(text)
    for key, line, note in todo:
        problems.add(path, f"fill in {note!r}", line, key)
    for key in REQUIRED:
        if key not in data:
            problems.add(path, f"required key {key!r} is missing", None, key)
    for key in data:
        if key not in REQUIRED + OPTIONAL:
            problems.add(path, f"unknown key {key!r} (allowed: {', '.join(REQUIRED + OPTIONAL)})",
                         lines.get(key), str(key))
    values = {k: _check_value(k, v, problems, path, lines.get(k))
              for k, v in data.items() if k in REQUIRED + OPTIONAL and k not in {t[0] for t in todo}}
    if "data_year" not in data and "data_years" not in data:
        problems.add(path, "give 'data_year' (one year) or 'data_years' ([first, last])", None, "data_year")
    problems.raise_if_errors()
    return Sidecar(path=path, raw=data, lines=lines, **values)


def load_sidecar(path: Path) -> Sidecar:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(Problem(str(path), f"sidecar must be UTF-8 text (byte {exc.start} is not UTF-8); save "
                                            "it as UTF-8", line)) from None
    return parse_sidecar(path, text)
