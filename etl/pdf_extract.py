"""Tables from a PDF's text layer with pdfplumber. Runs as a child process with limits: `python -m etl.pdf_extract`
(etl/pdf.py sends the request on stdin and reads the tables, pickled, from stdout).

A page (or each half of a 2-up spread) gives table *parts*: a header line, the title line above it and the rows
below it, up to a footnote (注：…), a gap, the next table or the page end. Parts on later pages continue a table
when they bring no new title (a repeated header, or a ruled grid without one); `assemble` joins them.
Every cell is NFKC-normalised: Chinese PDFs often carry Kangxi radicals ("⼴东") instead of ideographs.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import pickle
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from etl.pdfspec import PdfSpec
from etl.text import nfkc, normalize

CID = re.compile(r"\(cid:\d+\)")
FOOTNOTE = re.compile(r"^(注|资料来源|数据来源|来源|说明|note|source)[:：.]?", re.I)
PAGE_NUMBER = re.compile(r"^[-–—]?(第)?\d{1,4}(页)?[-–—]?$|^\d{1,4}/\d{1,4}$")
CONTINUED = re.compile(r"续|continued", re.I)
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
RULED = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
TITLE_GAP = 3.0  # a title sits at most this many line heights above its table's header
SPREAD_GUTTER = 2.0  # points around the middle of a 2-up page that no character may cross


class Refusal(Exception):
    """The PDF cannot be read as asked; `page` is the page label (etl.problems.PDF_PAGE) or None."""

    def __init__(self, message: str, page: str | None = None):
        super().__init__(message)
        self.page = page


@dataclass
class Part:
    """One page's piece of a table: rows are (row number on that page, cells)."""

    page: str
    title: str
    header: list[str]
    columns: list[float]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)


@dataclass
class Table:
    title: str
    header: list[str]
    parts: list[Part]

    @property
    def row_count(self) -> int:
        return sum(len(p.rows) for p in self.parts)


@dataclass
class Document:
    """What a PDF holds for the ETL: its tables, and the first line of its first page (the report's title)."""

    tables: list[Table]
    heading: str = ""


@dataclass
class Line:
    words: list[dict[str, Any]]

    @property
    def top(self) -> float:
        return min(w["top"] for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w["bottom"] for w in self.words)

    @property
    def text(self) -> str:
        return " ".join(nfkc(w["text"]) for w in self.words)


def join(a: str, b: str) -> str:
    """Join two pieces of one cell: no space between Chinese characters (a wrapped name), else one space."""
    if not a or not b:
        return a or b
    return a + b if CJK.match(a[-1]) or CJK.match(b[0]) else f"{a} {b}"


def clean(text: str | None) -> str:
    """NFKC, wrapped lines joined, runs of spaces collapsed."""
    pieces = nfkc(text or "").split()
    out = ""
    for piece in pieces:
        out = join(out, piece)
    return out


def page_label(number: int, half: str = "") -> str:
    return f"p{number}{half}"


def check_text_layer(page: Any, label: str) -> bool:
    """False for a blank page; refuses pages of glyph codes and scanned pages. True: there is text to read."""
    chars = page.chars
    if not chars:
        if page.images:
            raise Refusal("the page has no text layer (a scanned image): OCR is needed before its tables can be "
                          "read", label)
        return False
    sample = "".join(c["text"] for c in chars[:2000])
    if CID.search(sample):
        raise Refusal("the page's text is glyph codes like (cid:12), not characters: its font has no Unicode map; "
                      "export the PDF again with fonts embedded as Unicode, or OCR it", label)
    return True


def is_spread(page: Any) -> bool:
    """A landscape page whose text stays off the middle, with text on both halves: two report pages."""
    if page.width <= page.height or not page.chars:
        return False
    middle = page.width / 2
    crossing = any(c["x0"] < middle + SPREAD_GUTTER and c["x1"] > middle - SPREAD_GUTTER for c in page.chars)
    left = any(c["x1"] <= middle for c in page.chars)
    right = any(c["x0"] >= middle for c in page.chars)
    return not crossing and left and right


def views(page: Any, number: int, two_up: bool | str) -> list[tuple[str, Any]]:
    """The page itself, or its left and right halves when it is a 2-up spread."""
    if two_up is True or (two_up == "auto" and is_spread(page)):
        middle = page.width / 2
        return [(page_label(number, "L"), page.crop((0, 0, middle, page.height))),
                (page_label(number, "R"), page.crop((middle, 0, page.width, page.height)))]
    return [(page_label(number), page)]


def text_lines(words: list[dict[str, Any]]) -> list[Line]:
    """Words grouped into lines by their vertical position, top to bottom, each left to right."""
    lines: list[Line] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if lines and abs(word["top"] - lines[-1].words[0]["top"]) <= 0.5 * (word["bottom"] - word["top"]):
            lines[-1].words.append(word)
        else:
            lines.append(Line([word]))
    for line in lines:
        line.words.sort(key=lambda w: w["x0"])
    return lines


def drop_page_number(lines: list[Line], height: float) -> list[Line]:
    """The last line, if it is a page number in the bottom tenth of the page."""
    if lines and lines[-1].top > 0.9 * height and PAGE_NUMBER.match(normalize(lines[-1].text)):
        return lines[:-1]
    return lines


def is_header(cells: list[str], known: set[str]) -> bool:
    return sum(1 for c in cells if c and normalize(c) in known) >= 2


def is_footnote(text: str) -> bool:
    return bool(FOOTNOTE.match(normalize(text)))


def edges_of(header: Line, explicit: tuple[float, ...]) -> tuple[list[float], list[float]]:
    """(column starts, boundaries between columns): the sidecar's x-positions, else midway between header words."""
    if explicit:
        return list(explicit), list(explicit[1:])
    words = header.words
    return [w["x0"] for w in words], [(a["x1"] + b["x0"]) / 2 for a, b in itertools.pairwise(words)]


def cells_of(line: Line, boundaries: list[float]) -> list[str]:
    cells = [""] * (len(boundaries) + 1)
    for word in line.words:
        i = bisect.bisect(boundaries, (word["x0"] + word["x1"]) / 2)
        cells[i] = join(cells[i], clean(word["text"]))
    return cells


def title_over(lines: list[Line], top: float) -> str:
    """The last of these lines above `top` (a table's top), if it is close enough to be the table's title."""
    above = [line for line in lines if line.bottom <= top]
    if not above:
        return ""
    line = above[-1]
    close = top - line.bottom <= TITLE_GAP * (line.bottom - line.top)
    return line.text if close and not is_footnote(line.text) else ""


def _ends_table(lines: list[Line], j: int, previous: Line, gaps: list[float], height: float,
                header_cells) -> bool:
    line = lines[j]
    if is_footnote(line.text) or header_cells(line):
        return True
    allowed = max(1.2 * height, 3 * statistics.median(gaps)) if gaps else 1.5 * height  # row spacing so far
    if line.top - previous.bottom > allowed:
        return True
    return j + 1 < len(lines) and header_cells(lines[j + 1]) is not None  # the next table's title


def text_parts(lines: list[Line], label: str, known: set[str], explicit: tuple[float, ...],
               counter: list[int]) -> list[Part]:
    """Unruled tables: columns from the header line (or the sidecar), rows until the table ends."""
    def header_cells(line: Line) -> list[str] | None:
        cells = cells_of(line, edges_of(line, explicit)[1])
        return cells if is_header(cells, known) else None

    parts, i, after = [], 0, -1
    while i < len(lines):
        header = header_cells(lines[i])
        if header is None:
            i += 1
            continue
        starts, boundaries = edges_of(lines[i], explicit)
        part = Part(label, title_over(lines[after + 1:i], lines[i].top), header, starts)
        height, previous, gaps, j = lines[i].bottom - lines[i].top, lines[i], [], i + 1
        while j < len(lines) and not _ends_table(lines, j, previous, gaps, height, header_cells):
            cells = cells_of(lines[j], boundaries)
            gaps.append(lines[j].top - previous.bottom)
            if part.rows and not cells[0]:  # a wrapped cell: the line continues the row above
                part.rows[-1] = (part.rows[-1][0], [join(a, b) for a, b in zip(part.rows[-1][1], cells, strict=True)])
            else:
                counter[0] += 1
                part.rows.append((counter[0], cells))
            previous, j = lines[j], j + 1
        parts.append(part)
        i, after = j, j - 1
    return parts


def _ruled_rows(table: Any, label: str, counter: list[int], width: int) -> list[tuple[int, list[str]]]:
    rows = []
    for raw in table:
        if raw and raw[0] and is_footnote(clean(raw[0])):
            break  # a note in the table's last (merged) row
        if any(c is None for c in raw):
            raise Refusal(f"row {counter[0] + 1} has merged or missing cells ({len([c for c in raw if c is not None])}"
                          f" of {width}): the table changes width mid-table", label)
        counter[0] += 1
        rows.append((counter[0], [clean(c) for c in raw]))
    return rows


def ruled_parts(view: Any, found: list[Any], label: str, known: set[str], counter: list[int]) -> list[Part]:
    """Ruled tables (pdfplumber's line strategy); a grid without a header row may continue an earlier table."""
    outside = text_lines([w for w in view.extract_words()
                          if not any(_inside(w, t.bbox) for t in found)])
    parts = []
    for table in found:
        cells = table.extract()
        first = [clean(c) for c in cells[0]]
        has_header = is_header(first, known)
        header = first if has_header else []
        title = title_over(outside, table.bbox[1]) if has_header else ""
        starts = [c[0] for c in table.rows[0].cells if c is not None]
        parts.append(Part(label, title, header, starts,
                          _ruled_rows(cells[1:] if has_header else cells, label, counter, len(cells[0]))))
    return parts


def _inside(word: dict[str, Any], bbox: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = bbox
    return word["x0"] >= x0 - 1 and word["x1"] <= x1 + 1 and word["top"] >= top - 1 and word["bottom"] <= bottom + 1


def view_parts(view: Any, label: str, spec: PdfSpec, known: set[str]) -> list[Part]:
    counter = [0]  # rows are numbered per page (or half page), across its tables
    if spec.strategy != "text" and not spec.columns:
        grids = sorted((t for t in view.find_tables(RULED) if len(t.rows) >= 2 and len(t.rows[0].cells) >= 2),
                       key=lambda t: t.bbox[1])
        if grids or spec.strategy == "lines":
            return ruled_parts(view, grids, label, known, counter)
    lines = drop_page_number(text_lines(view.extract_words()), view.bbox[3])
    return text_parts(lines, label, known, spec.columns, counter)


def _same_title(a: str, b: str) -> bool:
    return not a or normalize(a) == normalize(b) or bool(CONTINUED.search(a))


def _continues(part: Part, current: Table | None) -> bool:
    if current is None or not _same_title(part.title, current.title):
        return False
    # An untitled header as wide as the table but with other names starts another table.
    renamed = [normalize(h) for h in part.header] != [normalize(h) for h in current.header]
    return not (part.header and len(part.header) == len(current.header) and renamed)


def assemble(parts: list[Part]) -> list[Table]:
    """Join parts into tables: a part without a new title continues the table before it, at the same width."""
    tables: list[Table] = []
    for part in parts:
        current = tables[-1] if tables else None
        if not _continues(part, current):
            if part.header:
                tables.append(Table(part.title, part.header, [part]))
            continue
        width = len(part.header) if part.header else len(part.rows[0][1]) if part.rows else len(current.header)
        if width != len(current.header):
            raise Refusal(f"the table {current.title or ''!r} (from page {current.parts[0].page[1:]}) continues here "
                          f"with {width} columns instead of {len(current.header)}: the table changes width "
                          f"mid-table (header here: {', '.join(part.header) or 'none'})", part.page)
        current.parts.append(part)
    return tables


def open_pdf(path: str) -> Any:
    import pdfplumber  # imported in the child only: the ETL and the web server never load it themselves
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    with open(path, "rb") as handle:
        if not handle.read(1024).lstrip().startswith(b"%PDF"):
            raise Refusal("not a PDF file (it does not start with %PDF)")
    try:
        pdf = pdfplumber.open(path)
        pages = pdf.pages  # parses the page tree: broken files fail here
    except Exception as exc:  # pdfminer raises many kinds of errors on damaged files; pdfplumber wraps them
        if any(isinstance(e, PDFPasswordIncorrect) for e in (exc, exc.__cause__, *exc.args)):
            raise Refusal("the PDF is encrypted and needs a password: save an unencrypted copy") from None
        raise Refusal(f"not a readable PDF, the file is truncated or damaged ({type(exc).__name__}: {exc})") from None
    if not pages:
        raise Refusal("not a readable PDF: it has no pages (truncated or damaged)")
    return pdf


def extract_tables(path: str, spec: PdfSpec, known: set[str], max_pages: int, deadline: float,
                   max_seconds: float) -> Document:
    """`known`: normalised header spellings; a line with two of them is a table header."""
    pdf = open_pdf(path)
    with pdf:
        if len(pdf.pages) > max_pages:
            raise Refusal(f"the PDF has {len(pdf.pages)} pages; at most {max_pages} are read (split it or give "
                          "pdf.pages in the sidecar)")
        first, last = spec.pages or (1, len(pdf.pages))
        if last > len(pdf.pages):
            raise Refusal(f"pdf.pages asks for page {last}, but the PDF has {len(pdf.pages)} pages")
        parts: list[Part] = []
        heading = ""
        for number in range(first, last + 1):
            if time.monotonic() > deadline:
                raise Refusal(f"stopped here: reading took longer than the limit of {max_seconds:g} s",
                              page_label(number))
            page = pdf.pages[number - 1]
            try:
                if not check_text_layer(page, page_label(number)):
                    continue
                heading = heading or next((line.text for line in text_lines(page.extract_words())), "")
                for label, view in views(page, number, spec.two_up):
                    parts.extend(view_parts(view, label, spec, known))
            except Refusal:
                raise
            except Exception as exc:  # a damaged page
                raise Refusal(f"the page cannot be read ({type(exc).__name__}: {exc})", page_label(number)) from None
            page.close()  # frees the page's parsed objects: long appendices stay small in memory
    return Document(assemble(parts), heading)


def main() -> None:
    """Child process: (path, spec, known, max_pages, max_seconds) in; ("ok", Document) or ("refused", (page,
    message)) out."""
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # "Could not get FontBBox…" on CJK fonts: harmless
    path, spec, known, max_pages, max_seconds = pickle.load(sys.stdin.buffer)
    deadline = time.monotonic() + max_seconds
    try:
        result = ("ok", extract_tables(path, spec, known, max_pages, deadline, max_seconds))
    except Refusal as refusal:
        result = ("refused", (refusal.page, str(refusal)))
    pickle.dump(result, sys.stdout.buffer)


if __name__ == "__main__":
    from etl import pdf_extract  # run as the importable module, so the pickled tables name etl.pdf_extract

    pdf_extract.main()
