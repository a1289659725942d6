"""`python -m etl init FILE`: draft a sidecar for a report (CSV, XLSX or PDF).

Finds the header row (CSV/XLSX) or the tables (PDF: page, title line, columns, rows), maps headers to column
roles (data/reference/headers.yml) and to the family's indicator catalogue (names, data/reference/drafting.yml
synonyms, fuzzy matching with the score shown), guesses edition and data year from titles, and writes what it
cannot know as "TODO: …" — `etl check` lists every TODO left as a problem.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from etl.catalogue import Family, families, header_roles
from etl.paths import REFERENCE_DIR, SIDECAR_SUFFIX
from etl.problems import InputError, Problem
from etl.read import RawTable, decode, open_workbook, read_table
from etl.sidecar import todo_lines
from etl.text import load_yaml, nfkc, normalize

MATCH_THRESHOLD = 0.6  # below: the column is left as a TODO with the best guess named
TODO = {
    "publisher": "TODO: who published the report (organisation, partners)",
    "published": "TODO: publication date, YYYY-MM-DD",
    "source_urls": ["TODO: URL of the report or of an article quoting it (or NO_URL: where it was printed)"],
    "citation": "TODO: how to cite the report",
    "terms": "TODO: terms of use and redistribution, as the publisher states them",
    "framework": "TODO: framework id (editions sharing one have comparable values; see README, Sidecar schema)",
}
EDITION_YEAR = re.compile(r"[(（]\s*((?:19|20)\d{2})\s*[)）]")  # 《…指数报告(2018)》
DATA_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")  # 2017年总指数城市排名
BOOK_TITLE = re.compile(r"《[^》]+》")
PKU_CODES = {"pref_code_year14", "prov_code"}


@dataclass(frozen=True)
class Match:
    code: str
    score: float
    name: str


@dataclass
class Draft:
    meta: dict
    decisions: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def drafting() -> dict:
    return load_yaml((REFERENCE_DIR / "drafting.yml").read_text(encoding="utf-8"))


def indicator_names(family: Family) -> dict[str, list[str]]:
    """code → every name it goes by: catalogue names, code, synonyms."""
    synonyms = drafting().get(family.code, {}).get("indicators", {})
    return {row.code: [row.name_zh, row.name_en, row.code, *synonyms.get(row.code, [])]
            for row in family.indicators.itertuples()}


def similarity(a: str, b: str) -> float:
    """1.0 for the same normalised text; one inside the other scores by how much of the longer it covers."""
    a, b = normalize(a), normalize(b)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    if a in b or b in a:
        ratio = max(ratio, 0.6 + 0.4 * min(len(a), len(b)) / max(len(a), len(b)))
    return ratio


def best_indicator(text: str, family: Family) -> Match | None:
    scored = [Match(code, similarity(text, name), name) for code, names in indicator_names(family).items()
              for name in names]
    return max(scored, key=lambda m: m.score, default=None)


def named_in(title: str, family: Family, taken: set[str]) -> Match | None:
    """The indicator whose name the title contains (the longest such name), leaving out those already mapped."""
    text = normalize(title)
    found = [Match(code, 1.0, name) for code, names in indicator_names(family).items() if code not in taken
             for name in names if normalize(name) and normalize(name) in text]
    return max(found, key=lambda m: len(normalize(m.name)), default=None)


def split_rank(header: str) -> tuple[str, bool]:
    """'数字经济分指数排名' → ('数字经济分指数', True): a header that ends with a rank word is that indicator's rank."""
    text = normalize(header)
    for spelling in sorted((s for s, role in header_roles().items() if role == "rank"), key=len, reverse=True):
        if text.endswith(spelling) and len(text) > len(spelling):
            return nfkc(header).strip()[: -len(spelling)] or header, True
    return header, False


def guess_family(texts: list[str], given: str | None, decisions: list[str]) -> Family | None:
    if given:
        if given not in families():
            raise InputError(Problem(given, f"unknown family (known: {', '.join(families())})"))
        return families()[given]
    joined = normalize(" ".join(texts))
    for code, info in drafting().items():
        hit = next((k for k in info.get("keywords", []) if normalize(k) in joined), None)
        if hit and code in families():
            decisions.append(f"family {code}: the title or file name says {hit!r}")
            return families()[code]
    decisions.append("family unknown: no title names one; pass --family (" + ", ".join(families()) + ")")
    return None


def guess_years(texts: list[str], family: Family | None, edition: str | None, decisions: list[str]) -> dict:
    """edition and data_year from --edition or the titles: 《…(2018)》 is the edition, '2017年…' a data year."""
    lag = drafting().get(family.code, {}).get("data_year_lag") if family else None
    said = next((m for t in texts if (m := EDITION_YEAR.search(t))), None)
    year = next((m for t in texts if (m := DATA_YEAR.search(t))), None)
    if edition is None and said:
        edition = said.group(1)
        decisions.append(f"edition {edition}: from {said.string.strip()!r}")
    if edition is not None and lag is not None and edition.isdigit():
        decisions.append(f"data year {int(edition) - lag}: this family's editions describe the year "
                         f"{'before' if lag == 1 else f'{lag} years before' if lag else 'of'} their publication")
        return {"edition": edition, "data_year": int(edition) - lag}
    if year and lag is not None:
        decisions.append(f"data year {year.group(1)}: from {year.string.strip()!r}; edition {int(year.group(1)) + lag}")
        return {"edition": edition or str(int(year.group(1)) + lag), "data_year": int(year.group(1))}
    return {"edition": edition or "TODO: edition (the year in the report's title)",
            "data_year": "TODO: the year the data describe"}


def map_columns(headers: list[str], title: str, family: Family | None, decisions: list[str]) -> tuple[dict, dict,
                                                                                                        str]:
    """(indicators, columns, level) of one table: headers → roles, indicators (scored), the title's indicator."""
    roles = header_roles()
    indicators: dict[str, object] = {}
    bare: list[tuple[str, str]] = []
    for header in headers:
        role = roles.get(normalize(header))
        if role in ("rank", "value"):
            bare.append((header, role))
        elif role is None:
            indicators[header] = _indicator_column(header, family, decisions)
    taken = {v["indicator"] if isinstance(v, dict) else v for v in indicators.values()}
    titled = named_in(title, family, taken) if family and title else None
    for header, role in bare:
        if titled:
            indicators[header] = {"indicator": titled.code, "role": "rank"} if role == "rank" else titled.code
            decisions.append(f"column {header!r} → {titled.code} ({role}): the title names {titled.name!r}")
        elif role == "value":
            indicators[header] = f"TODO: which indicator column {header!r} holds"
    named = {roles.get(normalize(h)) for h in headers}
    if "region" not in named and "province" in named:
        province = next(h for h in headers if roles.get(normalize(h)) == "province")
        return indicators, {"region": province}, "province"
    return indicators, {}, "city"


def _indicator_column(header: str, family: Family | None, decisions: list[str]) -> object:
    base, is_rank = split_rank(header)
    match = best_indicator(base, family) if family else None
    if match is None or match.score < MATCH_THRESHOLD:
        guess = f" (closest: {match.code}, score {match.score:.2f})" if match else ""
        decisions.append(f"column {header!r}: no indicator matched{guess}")
        return f"TODO: indicator code for column {header!r}{guess}"
    decisions.append(f"column {header!r} → {match.code}{' (rank)' if is_rank else ''}: matches {match.name!r}, "
                     f"score {match.score:.2f}")
    return {"indicator": match.code, "role": "rank"} if is_rank else match.code


# ---------------------------------------------------------------- per format


def _rows_above(path: Path, table: RawTable) -> list[str]:
    """The title and note rows above a CSV/XLSX header."""
    if table.header_row <= 1:
        return []
    if table.sheet is not None:
        ws = open_workbook(path)[table.sheet]
        rows = ws.iter_rows(max_row=table.header_row - 1, values_only=True)
        return [" ".join(str(c) for c in row if c is not None) for row in rows]
    text, _ = decode(path, path.read_bytes()[: 1 << 20], table.encoding or "auto")
    return [line.replace(",", " ").strip() for line in text.splitlines()[: table.header_row - 1]]


def draft_table_file(path: Path, family: str | None, edition: str | None) -> Draft:
    draft = Draft({})
    extra = {n for f in families().values() for names in indicator_names(f).values() for n in names} | PKU_CODES
    table = read_table(path, extra_headers=extra)
    headers = [table.headers.get(c, c) for c in table.frame.columns if c != "_row"]
    texts = [*_rows_above(path, table), path.stem]
    draft.decisions.append(f"header: row {table.header_row}" + (f" of sheet {table.sheet!r}" if table.sheet else "")
                           + f" ({', '.join(headers)}); {len(table.frame)} data rows"
                           + (f"; encoding {table.encoding}" if table.encoding else ""))
    fam = guess_family(texts + headers, family, draft.decisions)
    written = sorted(set(table.frame["edition"])) if "edition" in table.frame else []
    if edition is None and len(written) == 1:
        edition = written[0]
        draft.decisions.append(f"edition {edition}: the file's own {table.headers.get('edition', 'edition')!r} column")
    meta = _provenance(fam, texts, edition, draft.decisions)
    if PKU_CODES & set(headers):
        meta.update(family="pku_dfiic", format="pku_workbook", **_panel_years(table))
    elif "indicator" in table.frame.columns:
        meta.update(format="long", level="city")
    else:
        indicators, columns, level = map_columns(headers, " ".join(texts), fam, draft.decisions)
        meta.update(format="report_table", level=level, **({"columns": columns} if columns else {}),
                    indicators=indicators)
    if table.encoding and table.encoding not in ("utf-8", "utf-8-sig"):
        meta["encoding"] = table.encoding
    if table.sheet:
        meta["sheet"] = table.sheet
    draft.meta = meta
    return draft


def _panel_years(table: RawTable) -> dict:
    years = sorted({int(y) for y in table.frame["year"] if str(y).isdigit()})
    return {"edition": f"{years[0]}-{years[-1]}", "data_years": [years[0], years[-1]]}


def draft_pdf(path: Path, family: str | None, edition: str | None) -> Draft:
    from etl.pdf import extract
    from etl.pdfspec import PdfSpec

    draft = Draft({})
    extra = {n for f in families().values() for names in indicator_names(f).values() for n in names}
    document = extract(path, PdfSpec(), extra)
    if not document.tables:
        raise InputError(Problem(str(path), "no table found: no line with two or more recognised column headers"))
    titles = [t.title for t in document.tables]
    texts = [document.heading, *titles, path.stem]
    fam = guess_family(texts, family, draft.decisions)
    meta = _provenance(fam, texts, edition, draft.decisions)
    tables = []
    for i, table in enumerate(document.tables, start=1):
        first = table.parts[0]
        pages = f"{first.page[1:]}–{table.parts[-1].page[1:]}" if len(table.parts) > 1 else first.page[1:]
        columns = ", ".join(f"{h} @x={x:.0f}" for h, x in zip(table.header, first.columns, strict=False))
        draft.decisions.append(f"table {i}: page {pages}, title {table.title!r}, columns {columns}; "
                               f"{table.row_count} row(s)")
        indicators, roles, level = map_columns(table.header, table.title, fam, draft.decisions)
        entry = {"title": table.title or None, "level": level, **({"columns": roles} if roles else {}),
                 "indicators": indicators}
        tables.append({k: v for k, v in entry.items() if v is not None})
    meta.update(format="pdf_table", level="city", pdf={"tables": tables})
    draft.meta = meta
    return draft


def _provenance(family: Family | None, texts: list[str], edition: str | None, decisions: list[str]) -> dict:
    book = next((m.group(0) for t in texts if (m := BOOK_TITLE.search(t))), None)
    if book:
        decisions.append(f"title {book}: from the report's own title")
    return {"family": family.code if family else "TODO: index family (" + ", ".join(families()) + ")",
            **guess_years(texts, family, edition, decisions),
            "title": book or "TODO: the report's title as printed", "publisher": TODO["publisher"],
            "published": TODO["published"], "source_urls": TODO["source_urls"], "citation": TODO["citation"],
            "terms": TODO["terms"], "framework": TODO["framework"]}


# ---------------------------------------------------------------- the command


def sidecar_path(file: Path, out: Path | None) -> Path:
    return out or file.with_name(file.stem + SIDECAR_SUFFIX)


def init(file: Path, family: str | None = None, edition: str | None = None, out: Path | None = None,
         force: bool = False) -> tuple[Path, Draft, list[tuple[str, int, str]]]:
    """Draft and write the sidecar; returns where, what was decided, and the TODOs left (key, line, text)."""
    if not file.is_file():
        raise InputError(Problem(str(file), "file not found"))
    meta_path = sidecar_path(file, out)
    if meta_path.exists() and not force:
        raise InputError(Problem(str(meta_path), "a sidecar is already there; pass --force to overwrite it"))
    head = file.read_bytes()[:8]
    draft = draft_pdf(file, family, edition) if head.startswith(b"%PDF") else \
        draft_table_file(file, family, edition)
    draft.meta["file"] = file.name
    text = (f"# Drafted by `python -m etl init {file.name}` on {dt.date.today()}. Fill in every TODO, then:\n"
            f"#   python -m etl check {file.name} --meta {meta_path.name}\n"
            + yaml.safe_dump(draft.meta, allow_unicode=True, sort_keys=False, width=110))
    meta_path.write_text(text, encoding="utf-8")
    return meta_path, draft, todo_lines(text)

