"""PDF report tables (format pdf_table): bounded extraction in a child process, then report-table cells.

The file may come from the web (the admin upload), so pdfplumber runs in a child process
(`python -m etl.pdf_extract`): at most MAX_PAGES pages and MAX_SECONDS seconds (checked before each page, and
the child is killed a little after), while the caller — the CLI or a Streamlit session — only waits on a pipe,
so the server stays responsive meanwhile.

Provenance: each row's `sheet` is its page label ("p23", or "p23L"/"p23R" for the halves of a 2-up spread)
and `_row` its row on that page (table rows, headers not counted), so source_ref reads "report.pdf:p23:7" and
problems say "report.pdf, page 23, row 7".
"""

from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import sys
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path

import pandas as pd

from etl.catalogue import header_roles
from etl.parse import PARSED_COLUMNS, report_cells
from etl.pdf_extract import Document, Table
from etl.pdfspec import PdfSpec, PdfTableSpec
from etl.problems import InputError, Problem, Problems, located
from etl.read import check_size, table_from_rows
from etl.sidecar import Sidecar
from etl.text import normalize

MAX_PAGES = 500
MAX_SECONDS = 60.0
KILL_GRACE = 5.0  # seconds past the limit before a child stuck inside one page is killed
_CACHE: OrderedDict[tuple[str, str], Document] = OrderedDict()  # the admin preview re-reads what check read
_CACHE_SIZE = 4


def _child_env() -> dict[str, str]:
    """The child imports etl from this checkout, whatever the caller's working directory."""
    root = str(Path(__file__).resolve().parent.parent)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}


def _refused(path: Path, page: str | None, message: str) -> InputError:
    return InputError(Problem(located(path, page or ""), message))


def extract(path: Path, spec: PdfSpec, extra_headers: set[str], max_pages: int | None = None,
            max_seconds: float | None = None) -> Document:
    """The PDF's tables (and title line), read in a child process within the page and time limits."""
    max_pages, max_seconds = max_pages or MAX_PAGES, max_seconds or MAX_SECONDS
    check_size(path)
    key = (hashlib.sha256(path.read_bytes()).hexdigest(), repr((spec, sorted(extra_headers), max_pages)))
    if key in _CACHE:
        return _CACHE[key]
    known = set(header_roles()) | {normalize(h) for h in extra_headers}
    request = pickle.dumps((str(path), spec, known, max_pages, max_seconds))
    try:
        done = subprocess.run([sys.executable, "-m", "etl.pdf_extract"], input=request, capture_output=True,
                              timeout=max_seconds + KILL_GRACE, env=_child_env(), check=False)
    except subprocess.TimeoutExpired:  # subprocess.run has killed the child
        raise _refused(path, None, f"reading the PDF took longer than the limit of {max_seconds:g} s") from None
    if done.returncode != 0 or not done.stdout:
        last = (done.stderr.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
        raise _refused(path, None, f"the PDF reader stopped unexpectedly (exit code {done.returncode}: {last})")
    status, payload = pickle.loads(done.stdout)  # our own child's answer
    if status == "refused":
        raise _refused(path, *payload)
    _CACHE[key] = payload
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return payload


def header_names(sc: Sidecar) -> set[str]:
    """Headers the sidecar names (mapped indicator columns, `columns`): they make a line a table header."""
    names = set(sc.indicators) | set(sc.columns.values())
    for table in (sc.pdf.tables if sc.pdf else ()):
        names |= set(table.indicators) | set(table.columns.values())
    return names


def select(path: Path, tables: list[Table], spec: PdfSpec) -> list[tuple[Table, PdfTableSpec]]:
    """The tables the sidecar asks for (by title), each with its mapping; all tables if it names none."""
    if not spec.tables:
        return [(t, PdfTableSpec()) for t in tables]
    chosen, problems = [], Problems()
    for wanted in spec.tables:
        found = [t for t in tables if wanted.title is None or normalize(wanted.title) in normalize(t.title)]
        if not found:
            titles = "; ".join(repr(t.title) for t in tables if t.title) or "none"
            problems.add(path, f"no table titled {wanted.title!r} found (tables found: {titles})", None, "pdf")
        chosen += [(t, wanted) for t in found]
    problems.raise_if_errors()
    return chosen


def _on_page(error: InputError, path: Path, page: str) -> InputError:
    """Problems of one page's part name the page; its header has no row number there."""
    items = [replace(p, file=located(path, page), row=p.row or None) if p.file == str(path) else p
             for p in error.problems.items]
    return InputError(Problems(items))


def _cells(path: Path, table: Table, wanted: PdfTableSpec, sc: Sidecar) -> pd.DataFrame:
    mapped = replace(sc, indicators=wanted.indicators or sc.indicators, columns={**sc.columns, **wanted.columns})
    frames = []
    for part in table.parts:
        try:
            raw = table_from_rows(path, table.header, [cells for _, cells in part.rows],
                                  [row for row, _ in part.rows], mapped.columns, part.page)
            frame = report_cells(path, raw, mapped)
        except InputError as error:
            raise _on_page(error, path, part.page) from None
        if wanted.level and "level" not in raw.frame:
            frame["level_raw"] = wanted.level
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def tables_of(path: Path, sc: Sidecar) -> list[tuple[Table, PdfTableSpec]]:
    spec = sc.pdf or PdfSpec()
    tables = extract(path, spec, header_names(sc)).tables
    if not tables:
        raise InputError(Problem(str(path), "no table found: no line with two or more recognised column headers "
                                            "(排名/城市/省份/… or the headers mapped in the sidecar)"))
    return select(path, tables, spec)


def parse_pdf(path: Path, sc: Sidecar) -> pd.DataFrame:
    """Raw long cells of every selected table, like etl.parse's adapters."""
    frames = [_cells(path, table, wanted, sc) for table, wanted in tables_of(path, sc)]
    return pd.concat(frames, ignore_index=True)[PARSED_COLUMNS]


def extracted_frame(path: Path, sc: Sidecar) -> pd.DataFrame:
    """The selected tables as printed (page, row, cells): what the admin preview shows."""
    frames = []
    for table, _ in tables_of(path, sc):
        for part in table.parts:
            rows = pd.DataFrame([cells for _, cells in part.rows], columns=table.header)
            frames.append(rows.assign(table=table.title, page=part.page, row=[r for r, _ in part.rows]))
    frame = pd.concat(frames, ignore_index=True)
    return frame[["table", "page", "row", *[c for c in frame.columns if c not in ("table", "page", "row")]]]
