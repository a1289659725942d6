"""What a user does in the browser: filter to the west, read a city's ranks, download charts and tables, see the
map drawn from local files, share a URL and get the same view back."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook
from PIL import Image

from dashboard.i18n import t

pytestmark = pytest.mark.browser

# The shipped data: Tencent's 2018 edition (data year 2017), national city ranking on the total index.
TOP10_2018 = ["深圳", "广州", "北京", "上海", "成都", "武汉", "重庆", "东莞", "杭州", "长沙"]
WEST_2018 = ["成都", "重庆"]  # the western cities among them (ranks 5 and 7)
RANKINGS_2018 = "/rankings?period=2018"
CHONGQING_RANK = re.compile(r"重庆\s*#(\d+)|#(\d+)\s*重庆")
BASE_2018 = "tencent_internet_plus_2018_total_city"  # what download file names start with


def column(grid: dict, key: str, lang: str = "zh") -> list[str]:
    """One column of a grid read by `browse.grid`, found by its localized header."""
    header = t(key, lang)
    assert header in grid["columns"], f"no column {header!r} in {grid['columns']}"
    i = grid["columns"].index(header)
    return [row[i] for row in grid["rows"]]


def short(names: list[str]) -> list[str]:
    """深圳市 → 深圳 (the table shows full names, the charts short ones)."""
    return [n[:-1] if n.endswith("市") and len(n) > 2 else n for n in names]


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "the CSV has no UTF-8 BOM (Excel would garble the Chinese)"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def read_zip(data: bytes) -> tuple[str, list[dict[str, str]], dict, str]:
    """A CSV download: the zip's CSV (name and rows), metadata.json and README.md."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        (csv_name,) = [n for n in names if n.endswith(".csv")]
        assert sorted(names) == sorted([csv_name, "metadata.json", "README.md"]), f"the zip holds {names}"
        return (csv_name, read_csv(archive.read(csv_name)), json.loads(archive.read("metadata.json")),
                archive.read("README.md").decode("utf-8"))


def button(page, key: str, lang: str = "zh"):
    """A download button by its label (dashboard/locale/downloads.csv)."""
    return page.locator('[data-testid="stDownloadButton"]').get_by_role("button", name=t(key, lang), exact=True)


# --- 2. the western filter -----------------------------------------------------------------------------------------

def test_western_filter_leaves_only_western_cities(embedded_app, browse):
    page = browse.open(embedded_app, RANKINGS_2018)
    assert browse.chart_categories(page) == TOP10_2018, "the 2018 top 10 is not what the chart shows before filtering"

    region = page.get_by_test_id("stSidebar").get_by_role("radiogroup", name=t("region", "zh"), exact=True)
    west = region.get_by_role("radio", name=t("region_west", "zh"), exact=True)
    assert west.count() == 1, "no single 西部 button in the sidebar's region control"
    browse.rerun(page, west.click)
    assert west.get_attribute("aria-checked") == "true", "西部 is not shown as selected"

    assert browse.eventually(page, lambda: browse.query(page).get("region"), lambda v: v == "west") == "west", (
        f"the URL does not say region=west after clicking 西部: {page.url}")
    labels = browse.eventually(page, lambda: browse.chart_categories(page), lambda v: v == WEST_2018)
    assert labels == WEST_2018, f"the ranking chart shows {labels}, expected only the western cities {WEST_2018}"
    assert not set(labels) - set(WEST_2018), "non-western cities remain in the chart"

    grid = browse.eventually(page, lambda: browse.grid(page), lambda g: len(g["rows"]) == len(WEST_2018))
    assert short(column(grid, "col_region")) == WEST_2018, f"the table shows {grid['rows']}"
    assert column(grid, "col_rank") == ["5", "7"], "western cities keep their national ranks (5th, 7th)"

    name, data = browse.download(page, button(page, "dl_csv"), save_as="west_filter.zip")
    assert name == f"{BASE_2018}_west_rankings.zip", f"the file name does not say the region filter: {name}"
    csv_name, rows, meta, _ = read_zip(data)
    assert csv_name == f"{BASE_2018}_west_rankings.csv"
    regions = [r[t("col_region", "zh")] for r in rows]
    assert short(regions) == WEST_2018, f"the CSV holds {regions}"
    assert [r[t("col_rank", "zh")] for r in rows] == ["5", "7"]
    assert meta["filters"] == {t("region", "zh"): t("region_west", "zh")}, "the metadata does not say the filter"
    browse.assert_offline()


# --- 3. a city's ranks on the trends page ---------------------------------------------------------------------------

def test_trends_page_shows_chongqing_ranks(embedded_app, browse):
    page = browse.open(embedded_app, "/trends?family=tencent_internet_plus&indicator=total&cities=重庆")
    tags = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').inner_text()
    assert "重庆" in tags, "重庆 from the URL is not among the selected cities"

    def chongqing() -> dict[int, dict]:
        """重庆's rank labels in the bump chart ("重庆 #8" at the start, "#7 重庆" or "重庆 #7" at the end)."""
        found = {}
        for label in browse.chart_texts(page, 0):
            match = CHONGQING_RANK.fullmatch(label["text"])
            if match:
                found[int(match.group(1) or match.group(2))] = label
        return found

    labels = browse.eventually(page, chongqing, lambda v: {7, 8} <= set(v))
    texts = [x["text"] for x in browse.chart_texts(page, 0)]
    assert {7, 8} <= set(labels), f"the bump chart does not show 重庆's ranks 8 and 7; its texts are {texts}"
    assert labels[8]["x"] < labels[7]["x"], "8th (2017 edition) should be left of 7th (2018 edition)"
    assert labels[7]["y"] < labels[8]["y"], "7th should be drawn above 8th (rank 1 on top)"
    browse.assert_offline()


# --- 4. downloads through the UI ------------------------------------------------------------------------------------

def test_rankings_downloads(embedded_app, browse):
    page = browse.open(embedded_app, RANKINGS_2018)
    grid = browse.grid(page)
    assert grid["rowcount"] == len(grid["rows"]) + 1, "the table has rows the grid did not render (scrolled away)"
    shown_regions = column(grid, "col_region")
    assert short(shown_regions) == TOP10_2018, f"the table shows {shown_regions}"
    assert column(grid, "col_rank") == [str(i) for i in range(1, 11)]

    files = {fmt: browse.download(page, button(page, f"dl_{fmt}")) for fmt in ("csv", "xlsx", "png", "svg")}
    for fmt, (name, _) in files.items():
        ext = "zip" if fmt == "csv" else fmt  # the CSV comes zipped with its metadata.json and README.md
        assert name == f"{BASE_2018}_rankings.{ext}", f"the {fmt} file name does not say what it holds: {name}"

    _, rows, meta, readme = read_zip(files["csv"][1])
    region, rank = t("col_region", "zh"), t("col_rank", "zh")
    assert len(rows) == len(grid["rows"]) == 10, f"the CSV has {len(rows)} rows, the table shows {len(grid['rows'])}"
    assert [r[region] for r in rows] == shown_regions, "the CSV's cities differ from the table shown"
    assert [r[rank] for r in rows] == [str(i) for i in range(1, 11)]
    assert [r["release_id"] for r in meta["releases"]] == ["tencent_internet_plus/2018"], "only the release held"
    assert meta["ranks"] == "published" and meta["filters"] == {}
    assert "《中国\"互联网+\"指数报告(2018)》" in readme and "2016" not in readme.split("\n")[2]

    book = load_workbook(io.BytesIO(files["xlsx"][1]), read_only=True)
    assert {"数据", "说明"} <= set(book.sheetnames), f"sheets: {book.sheetnames}"  # a Chinese page's workbook
    data = list(book["数据"].iter_rows(values_only=True))
    header = list(data[0])
    assert [r[header.index(region)] for r in data[1:]] == shown_regions, "the workbook's cities differ"
    assert [r[header.index(rank)] for r in data[1:]] == list(range(1, 11))
    about = {row[0]: row[1] for row in book["说明"].iter_rows(min_row=2, values_only=True)}
    assert "腾讯研究院" in (about.get("tencent_internet_plus/2018：引用") or ""), f"no citation: {about}"
    assert not [k for k in about if k.startswith(("tencent_internet_plus/2016", "tencent_internet_plus/2017"))], (
        f"the about sheet of a one-edition table lists other editions: {list(about)}")
    assert "http" in (about.get("tencent_internet_plus/2018：来源链接") or ""), "no source URLs in the about sheet"
    assert not [k for k in about if k.startswith("筛选")], "filters that were not applied are stated"

    image = Image.open(io.BytesIO(files["png"][1]))
    image.load()
    assert image.width >= 1200 and 300 <= image.height <= 5000, f"odd PNG size {image.size}"
    rgb = image.convert("RGB")
    colours = rgb.getcolors(maxcolors=1 << 24)
    most = max(count for count, _ in colours)
    assert len(colours) >= 50, f"the PNG has only {len(colours)} colours (blank or broken render)"
    assert most / (image.width * image.height) < 0.97, "the PNG is almost all one colour"

    svg = files["svg"][1].decode("utf-8")
    ET.fromstring(svg)  # well-formed
    missing = [c for c in TOP10_2018 if c not in svg]
    assert not missing, f"the SVG lacks the city names {missing}"
    text = re.sub(r"<[^>]+>", "", svg).replace("&quot;", '"')
    footer = ("腾讯研究院", "《中国\"互联网+\"指数报告(2018)》", t("ranks_published", "zh"), "/rankings?",
              "period=2018")
    for needed in footer:
        assert needed in text, f"the exported SVG's footer lacks {needed!r}"
    browse.assert_offline()


# --- 5. the map -----------------------------------------------------------------------------------------------------

def test_map_draws_city_shapes_from_local_files(embedded_app, browse):
    page = browse.open(embedded_app, "/map")
    page.wait_for_function("() => document.querySelectorAll('.choroplethlocation').length >= 300")
    shapes = page.locator(".choroplethlocation").count()
    assert shapes >= 300, f"only {shapes} city shapes drawn"
    geo = [u for u in browse.requests if urlsplit(u).path.endswith((".json", ".geojson", ".topojson"))]
    assert geo, "the map fetched no base map (expected /app/static/world_110m.json)"
    foreign = [u for u in geo if urlsplit(u).hostname not in ("127.0.0.1", "localhost")
               or not urlsplit(u).path.startswith("/app/static/")]
    assert not foreign, f"geo files not served by the app itself: {foreign}"
    browse.assert_offline()


# --- 6. the URL round trip ------------------------------------------------------------------------------------------

def edition_box(page):
    """The sidebar's edition selectbox (a combobox whose input shows the chosen label)."""
    return page.get_by_test_id("stSidebar").get_by_role("combobox", name=t("edition", "zh"), exact=True)


def test_edition_round_trips_through_the_url(embedded_app, browse):
    label_2017 = t("period_edition", "zh", edition="2017", year="2016")
    page = browse.open(embedded_app, RANKINGS_2018)
    box = edition_box(page)
    assert box.input_value() == t("period_edition", "zh", edition="2018", year="2017")

    box.click()
    option = page.get_by_role("option", name=label_2017, exact=True)
    browse.rerun(page, option.click)
    edition = browse.eventually(page, lambda: browse.query(page).get("period"), lambda v: v == "2017")
    assert edition == "2017", f"the URL did not follow the edition picked: {page.url}"
    assert edition_box(page).input_value() == label_2017
    caption = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first.inner_text()
    assert label_2017 in caption, f"the page caption does not show the 2017 edition: {caption!r}"

    shared = page.url.removeprefix(embedded_app.url)
    again = browse.open(embedded_app, shared)  # a fresh context: nothing carried over but the URL
    assert browse.query(again).get("period") == "2017"
    assert edition_box(again).input_value() == label_2017, "a reloaded URL does not select the same edition"
    caption = again.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first.inner_text()
    assert label_2017 in caption
    browse.assert_offline()
