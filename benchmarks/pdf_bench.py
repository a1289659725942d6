"""Worker: pages per second reading a 20-page appendix table from a PDF, against pdfplumber's own text extraction.

    python -m benchmarks.pdf_bench --dir D --reps N --out result.json

Prints a SYNTHETIC appendix (the region master's cities, made-up values; ruled, header repeated on every page,
prose above, footnote and folios) with headless Chromium, then times `etl.pdf.extract` — the ETL's whole PDF
step: a child process, limits, tables assembled across pages — and, as the baseline in the same run,
`page.extract_text()` over the same pages in this process (text only, no tables, no process start).
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from pathlib import Path

import pdfplumber

from benchmarks.common import SYNTHETIC_MARK, summary, write_json
from etl import pdf
from etl.pdfspec import PdfSpec
from etl.regions import region_master
from tests.pdf_fixtures import PROSE, SourceTable, document, print_pdf, table_html

PAGES = 20
HEADER = ["序号", "省份", "城市", "总指数", "分指数一", "分指数二", "分指数三"]


def appendix(rows: int) -> SourceTable:
    cities = region_master().query("level == 'city'")
    rng = random.Random(20)
    picks = [cities.iloc[i % len(cities)] for i in range(rows)]
    return SourceTable(f"附表 {SYNTHETIC_MARK} 城市指数", HEADER, [
        [str(i + 1), c["province_short_zh"], c["name_zh"], *(f"{rng.uniform(20, 400):.2f}" for _ in range(4))]
        for i, c in enumerate(picks)])


def make_pdf(folder: Path, pages: int) -> tuple[Path, int]:
    """An appendix of exactly `pages` pages (rows added until Chromium needs one more page)."""
    rows = 34 * pages
    while True:
        out = print_pdf(document(PROSE + table_html(appendix(rows), keep=False)), folder / "appendix.pdf")
        with pdfplumber.open(out) as doc:
            count = len(doc.pages)
        if count <= pages:
            return out, rows
        rows -= 8


def baseline(path: Path) -> float:
    start = time.perf_counter()
    with pdfplumber.open(path) as doc:
        for page in doc.pages:
            page.extract_text()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pdf_bench")
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # the baseline's "Could not get FontBBox" noise
    args.dir.mkdir(parents=True, exist_ok=True)
    path, rows = make_pdf(args.dir, PAGES)
    with pdfplumber.open(path) as doc:
        pages = len(doc.pages)
    etl_runs, base_runs = [], []
    for _ in range(args.reps):
        pdf._CACHE.clear()  # every run reads the file again
        start = time.perf_counter()
        tables = pdf.extract(path, PdfSpec(), {"总指数"}).tables
        etl_runs.append(time.perf_counter() - start)
        base_runs.append(baseline(path))
    extracted = sum(t.row_count for t in tables)
    if extracted != rows:
        raise SystemExit(f"extracted {extracted} rows, printed {rows}")
    write_json(args.out, {"pages": pages, "rows": rows, "seconds": summary(etl_runs),
                          "rate": summary([pages / s for s in etl_runs]),
                          "baseline_rate": summary([pages / s for s in base_runs])})
    return 0


if __name__ == "__main__":
    sys.exit(main())
