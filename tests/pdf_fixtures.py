"""PDF fixtures built at test time, offline: HTML tables printed by headless Chromium (Noto CJK), and reportlab
with its built-in CID font STSong-Light as a second producer.

Data: (a) the 2018 edition's published lists (data/raw/tencent_internet_plus/2018/rankings.csv) as the report
prints them; (b) a PKU-DFIIC 2020 city appendix read from ../shared (never stored in the repository).
Each `SourceTable` is what was printed, so a test can compare the extraction with it cell by cell.
"""

from __future__ import annotations

import html
import io
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from etl.catalogue import families
from etl.paths import PROJECT_ROOT
from etl.regions import region_master

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-pdf-header-footer"]
RANKINGS_2018 = PROJECT_ROOT / "data" / "raw" / "tencent_internet_plus" / "2018" / "rankings.csv"
LEVEL_HEADER = {"city": "城市", "province": "省份"}
LEVEL_WORD = {"city": "城市", "province": "省份"}
FOOTNOTE = "注：港澳台地区未统计。"
PKU_COLUMNS = {"index_aggregate": "总指数", "coverage_breadth": "覆盖广度", "usage_depth": "使用深度",
               "digitization_level": "数字化程度"}


@dataclass
class SourceTable:
    title: str
    header: list[str]
    rows: list[list[str]]
    level: str = "city"
    indicator: str = ""


# ---------------------------------------------------------------- the data as printed


def listed_2018() -> pd.DataFrame:
    """The 2018 edition's published ranks for its own year (2017), national lists; its `scope` column holds the
    level. Bands ("in the top 10") and restated years are not in the printed lists."""
    data = pd.read_csv(RANKINGS_2018, dtype=str, keep_default_na=False)
    names = families()["tencent_internet_plus"].indicators["code"]
    return data[(data["data_year"] == "2017") & (data["rank"] != "") & data["indicator"].isin(names)]


def top10_tables() -> list[SourceTable]:
    """The 2018 edition's lists as the report prints them, one table per level and indicator: 排名, name, 指数."""
    data = listed_2018()
    names = families()["tencent_internet_plus"].indicators.set_index("code")["name_zh"]
    tables: list[SourceTable] = []
    for level in ("province", "city"):
        rows = data[data["scope"] == level]
        for indicator, group in rows.groupby("indicator", sort=False):
            group = group.assign(r=group["rank"].astype(int)).sort_values("r")
            title = f"表{len(tables) + 1} 2017年{names[indicator]}{LEVEL_WORD[level]}排名"
            tables.append(SourceTable(title, ["排名", LEVEL_HEADER[level], "指数"],
                                      [[r, n, v] for r, n, v in zip(group["rank"], group["name_zh"], group["value"],
                                                                    strict=True)], level, indicator))
    return tables


def pku_appendix(shared_dir: Path) -> SourceTable:
    """PKU-DFIIC 2020 city values as an appendix prints them (2 decimals), with each city's province."""
    data = pd.read_csv(shared_dir / "datasets" / "pku_dfiic" / "PKU_DFIIC_city_2011_2023.csv", dtype={
        "pref_code_year14": str})
    year = data[data["year"] == 2020].reset_index(drop=True)
    provinces = region_master().query("level == 'province'").set_index("adcode")["short_zh"]
    rows = [[str(i + 1), provinces[row.pref_code_year14[:2] + "0000"], row.pref_name_year18,
             *(f"{getattr(row, col):.2f}" for col in PKU_COLUMNS)] for i, row in enumerate(year.itertuples())]
    return SourceTable("附表1 2020年城市数字普惠金融指数", ["序号", "省份", "城市", *PKU_COLUMNS.values()], rows)


def top10_sidecar(top10: list[SourceTable]) -> dict:
    """The shipped 2018 sidecar, reading the printed lists instead (format pdf_table, one entry per table)."""
    meta = yaml.safe_load((RANKINGS_2018.with_name("rankings.meta.yml")).read_text(encoding="utf-8"))
    for key in ("file", "sha256", "indicators", "derived_from"):
        meta.pop(key)
    tables = []
    for t in top10:
        table = {"title": t.title.split(" ", 1)[1], "level": t.level,
                 "indicators": {"排名": {"indicator": t.indicator, "role": "rank"}, "指数": t.indicator}}
        if t.level == "province":
            table["columns"] = {"region": "省份"}
        tables.append(table)
    return {**meta, "format": "pdf_table", "pdf": {"tables": tables}}


# ---------------------------------------------------------------- HTML → PDF (Chromium)


CSS = """
@page { size: A4 %(orientation)s; margin: 14mm 14mm 16mm 14mm; %(folio)s }
body { font-family: 'Noto Sans CJK SC'; font-size: 10pt; }
table { border-collapse: collapse; margin-bottom: 6pt; }
td, th { padding: 1pt 7pt; vertical-align: top; text-align: left; %(border)s }
td.num { text-align: right; }
section { break-inside: avoid; }
h3 { font-size: 11pt; margin: 18pt 0 4pt 0; }
p.note { font-size: 8pt; margin-top: 4pt; }
.spread { display: flex; gap: 28mm; height: 178mm; break-after: page; }
.half { flex: 1; position: relative; }
.folio { position: absolute; bottom: 0; width: 100%%; text-align: center; font-size: 9pt; }
.city { width: 6.5em; }
"""


def table_html(table: SourceTable, note: bool = True, keep: bool = True) -> str:
    """Title, table and footnote; `keep` holds them on one page (short lists), else the table runs on."""
    def cell(text: str, i: int) -> str:
        numeric = i > 0 and text.replace(".", "").replace(",", "").isdigit()
        return f'<td class="{"num" if numeric else "city" if i == 2 else ""}">{html.escape(text)}</td>'

    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.header)
    body = "".join("<tr>" + "".join(cell(c, i) for i, c in enumerate(row)) + "</tr>" for row in table.rows)
    foot = f'<p class="note">{FOOTNOTE}</p>' if note else ""
    text = f"<h3>{html.escape(table.title)}</h3><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f"<section>{text}{foot}</section>" if keep else text + foot


FOLIO = '@bottom-center { content: "- " counter(page) " -"; font-size: 9pt; }'


def document(body: str, ruled: bool = True, landscape: bool = False) -> str:
    """A whole report; portrait pages carry a folio at the bottom (a spread's halves have their own)."""
    css = CSS % {"orientation": "landscape" if landscape else "portrait", "folio": "" if landscape else FOLIO,
                 "border": "border: 0.75pt solid #000;" if ruled else ""}
    return f'<html><head><meta charset="utf-8"><style>{css}</style></head><body>{body}</body></html>'


PROSE = ("<p>本附录列出各城市的指数得分。数据来源于公开发布的报告，下表按城市代码排列，"
         "未发布的数值留空。</p>")


REPORT_2018 = '《中国"互联网+"指数报告(2018)》 榜单'


def report_html(tables: list[SourceTable], ruled: bool, heading: str = "") -> str:
    """Prose, then each table with its title and footnote; `heading`: the report's title line on page 1."""
    top = f"<h2>{html.escape(heading)}</h2>" if heading else ""
    return document(top + PROSE + "".join(table_html(t, keep=len(t.rows) < 40) for t in tables), ruled)


def spread_html(tables: list[SourceTable], per_half: tuple[int, ...]) -> str:
    """Two report pages side by side on each landscape PDF page (`per_half`: how many tables each report page
    holds), each half with its own folio."""
    ends = [sum(per_half[: i + 1]) for i in range(len(per_half))]
    halves = [tables[end - n:end] for n, end in zip(per_half, ends, strict=True)]
    spreads = []
    for s in range(0, len(halves), 2):
        pair = halves[s:s + 2]
        spreads.append('<div class="spread">' + "".join(
            f'<div class="half">{"".join(table_html(t, note=False) for t in half)}'
            f'<div class="folio">{s + i + 1}</div></div>' for i, half in enumerate(pair)) + "</div>")
    return document("".join(spreads), ruled=True, landscape=True)


def print_pdf(html_text: str, out: Path) -> Path:
    """One headless Chromium run: the HTML file printed to `out`."""
    source = out.with_suffix(".html")
    source.write_text(html_text, encoding="utf-8")
    done = subprocess.run([CHROMIUM, *CHROMIUM_ARGS, f"--print-to-pdf={out}", source.as_uri()],
                          capture_output=True, text=True, timeout=120, check=False)
    if not out.is_file():
        raise RuntimeError(f"chromium printed nothing: {done.stderr[-500:]}")
    source.unlink()
    return out


# ---------------------------------------------------------------- reportlab (STSong-Light, a CID font)


def reportlab_pdf(tables: list[SourceTable], out: Path, per_page: int = 3, columns: tuple[float, ...] = (
        60, 110, 240)) -> Path:
    """Unruled tables drawn with reportlab's built-in CID font, `per_page` tables a page, folios at the bottom."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(out), pagesize=A4)
    width, height = A4
    for page, start in enumerate(range(0, len(tables), per_page), start=1):
        y = height - 60
        for table in tables[start:start + per_page]:
            pdf.setFont("STSong-Light", 11)
            pdf.drawString(columns[0], y, table.title)
            y -= 20
            pdf.setFont("STSong-Light", 10)
            for row in [table.header, *table.rows]:
                for x, text in zip(columns, row, strict=True):
                    pdf.drawString(x, y, text)
                y -= 14
            pdf.setFont("STSong-Light", 8)
            pdf.drawString(columns[0], y - 2, FOOTNOTE)
            y -= 34
        pdf.setFont("STSong-Light", 9)
        pdf.drawCentredString(width / 2, 30, str(page))
        pdf.showPage()
    pdf.save()
    return out


# ---------------------------------------------------------------- malformed PDFs


def encrypted_pdf(out: Path) -> Path:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(out), encrypt="secret-password")
    pdf.drawString(72, 720, "rank city value")
    pdf.save()
    return out


def image_only_pdf(out: Path) -> Path:
    """A 'scanned' page: the printed lists as a picture, no text layer."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("L", (800, 400), 255)
    ImageDraw.Draw(image).text((20, 20), "rank city value\n1 Shenzhen\n2 Guangzhou", fill=0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    pdf = canvas.Canvas(str(out))
    pdf.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 72, 400, width=400, height=200)
    pdf.save()
    return out


def truncated_pdf(good: Path, out: Path) -> Path:
    data = good.read_bytes()
    out.write_bytes(data[: len(data) // 3])
    return out


def cid_pdf(good: Path, out: Path) -> Path:
    """A Chromium PDF whose fonts lost their Unicode maps (/ToUnicode renamed, same length): text is (cid:NN)."""
    out.write_bytes(good.read_bytes().replace(b"/ToUnicode", b"/ToUnicodX"))
    return out


def width_change_pdf(tables: list[SourceTable], out: Path) -> Path:
    """One unruled table over two pages whose repeated header gains a column on page 2."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    table = next(t for t in tables if len(t.rows) == 10)
    pdf = canvas.Canvas(str(out))
    for page, (header, rows, xs) in enumerate([(table.header, table.rows[:5], (60, 110, 240)),
                                              ([*table.header, "增速"], table.rows[5:], (60, 110, 240, 320))]):
        pdf.setFont("STSong-Light", 11)
        if page == 0:
            pdf.drawString(60, 780, table.title)
        y = 750
        for row in [header, *[[*r, "1.0"][: len(header)] for r in rows]]:
            for x, text in zip(xs, row, strict=True):
                pdf.drawString(x, y, text)
            y -= 14
        pdf.showPage()
    pdf.save()
    return out


def many_pages_pdf(out: Path, pages: int) -> Path:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(out))
    for page in range(pages):
        pdf.drawString(72, 720, f"page {page + 1}")
        pdf.showPage()
    pdf.save()
    return out


@lru_cache(maxsize=1)
def _chromium_top10() -> bytes:
    """The 2018 lists printed once by Chromium (the source of the (cid:) fixture)."""
    from tests.conftest import skip_or_fail  # pytest only here: data/examples/make_report_pdf.py runs without it

    if not Path(CHROMIUM).is_file():
        skip_or_fail(f"{CHROMIUM} is needed to print PDF fixtures")
    with tempfile.TemporaryDirectory() as tmp:
        return print_pdf(report_html(top10_tables(), ruled=True), Path(tmp) / "top10.pdf").read_bytes()


def _from_bytes(data: bytes, out: Path, make: Callable[[Path, Path], Path]) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        good = Path(tmp) / "good.pdf"
        good.write_bytes(data)
        return make(good, out)


def _reportlab_top10() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        return reportlab_pdf(top10_tables(), Path(tmp) / "top10.pdf").read_bytes()


# The malformed PDFs of tests/fixtures/bad/cases.yml (`generate:`), each made at test time into `out`.
MALFORMED: dict[str, Callable[[Path], Path]] = {
    "truncated_pdf": lambda out: _from_bytes(_reportlab_top10(), out, truncated_pdf),
    "encrypted_pdf": encrypted_pdf,
    "image_only_pdf": image_only_pdf,
    "cid_pdf": lambda out: _from_bytes(_chromium_top10(), out, cid_pdf),
    "width_change_pdf": lambda out: width_change_pdf(top10_tables(), out),
    "many_pages_pdf": lambda out: many_pages_pdf(out, 501),
    "not_a_pdf": lambda out: out.write_text("rank,city\n1,深圳\n", encoding="utf-8") and out,
}
