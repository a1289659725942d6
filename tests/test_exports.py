"""Downloads: tables that spreadsheets cannot execute, readable Chinese in CSV/XLSX/PNG/SVG, offline maps, names."""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import subprocess
import zipfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from openpyxl import load_workbook
from PIL import Image

from dashboard import charts, exports
from etl.paths import GEO_DIR
from tests.conftest import skip_or_fail

DANGEROUS = ["=1+1", "+1", "-1", "@SUM(A1:A9)", "\t=1", "\r=1", "  =cmd|' /C calc'!A0", "\u3000=1",
             "＝1+1", "＋1", "－1", "＠SUM(A1)", '=HYPERLINK("http://x","y")']
HARMLESS = ["重庆", "Chengdu", "a=b", "1-2", "▼1", "'=already quoted", ""]
CITATION = '腾讯研究院 (2019)《数字中国指数报告(2019)》'


# --- neutralize ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", DANGEROUS)
def test_dangerous_text_gets_a_leading_apostrophe(text):
    out = exports.neutralize(pd.DataFrame({"region": [text]}))
    assert out.loc[0, "region"] == "'" + text


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_text_is_unchanged(text):
    assert exports.neutralize(pd.DataFrame({"region": [text]})).loc[0, "region"] == text


def test_numbers_stay_numbers_including_negative():
    frame = pd.DataFrame({"rank": pd.array([6, 5, None], dtype="Int64"), "change": [-2, 1, 0],
                          "value": [-1.5, 68.9, np.nan], "region": ["重庆", "成都", None]})
    out = exports.neutralize(frame)
    for column in ("rank", "change", "value"):
        assert pd.api.types.is_numeric_dtype(out[column])
    assert out["change"].tolist() == [-2, 1, 0]
    assert out["value"].iloc[0] == -1.5 and pd.isna(out["value"].iloc[2])
    assert pd.isna(out["region"].iloc[2])  # missing stays missing, not the text "nan"


def test_headers_are_neutralized_and_input_untouched():
    frame = pd.DataFrame({"=cmd": ["=1"], "城市": ["重庆"]})
    out = exports.neutralize(frame)
    assert list(out.columns) == ["'=cmd", "城市"]
    assert list(frame.columns) == ["=cmd", "城市"] and frame.iloc[0, 0] == "=1"


# --- CSV ----------------------------------------------------------------------------------------------------------

def sample() -> pd.DataFrame:
    return pd.DataFrame({
        "排名": [5, 6],
        "城市": ["成都", "重庆"],
        "change": [-1, 2],
        "note": ['=HYPERLINK("http://x","y")', "-2"],
        "history": [[8, 7, 5], [8, 7, 6]],  # lists (the rank history column) become readable text
    })


def test_csv_has_bom_and_round_trips_through_pandas():
    data = exports.csv_bytes(sample())
    assert data.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read Chinese as UTF-8
    text = data.decode("utf-8-sig")
    assert "成都" in text and "重庆" in text
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(back.columns) == ["排名", "城市", "change", "note", "history"]  # no index column
    assert back["城市"].tolist() == ["成都", "重庆"]
    assert back["排名"].tolist() == [5, 6] and back["change"].tolist() == [-1, 2]
    assert back["note"].tolist() == ['\'=HYPERLINK("http://x","y")', "'-2"]
    assert back["history"].tolist() == ["8, 7, 5", "8, 7, 6"]


# --- XLSX ---------------------------------------------------------------------------------------------------------

def test_xlsx_has_data_and_about_sheets_and_no_formulas():
    frame = sample()
    frame['=HYPERLINK("http://x","y")'] = ["a", "b"]  # a dangerous header too
    about = {"source": "https://www.tisi.org/14432", "citation": CITATION, "filters": '=HYPERLINK("http://x","y")'}
    book = load_workbook(io.BytesIO(exports.xlsx_bytes(frame, about, sheet="rankings")))
    assert book.sheetnames == ["rankings", "about"]

    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    data = book["rankings"]
    assert [c.value for c in data[1]][:3] == ["排名", "城市", "change"]
    assert data[1][0].font.bold and data.freeze_panes == "A2"
    assert [c.value for c in data[2]][:4] == [5, "成都", -1, '\'=HYPERLINK("http://x","y")']
    assert data["C2"].data_type == "n"  # numbers stay numbers in Excel

    info = {row[0]: row[1] for row in book["about"].iter_rows(min_row=2, values_only=True)}
    assert info["citation"] == CITATION
    assert info["source"] == "https://www.tisi.org/14432"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", info[exports.GENERATED_AT])


def test_xlsx_keeps_a_given_timestamp_and_survives_awkward_cells():
    frame = pd.DataFrame({"when": pd.to_datetime(["2019-04-12 08:00"]).tz_localize("Asia/Shanghai"),
                          "text": ["bell\x07 inside"], "missing": [None]})
    about = {"generated at": "2024-01-01 00:00:00 UTC"}
    book = load_workbook(io.BytesIO(exports.xlsx_bytes(frame, about)))
    assert book["data"]["A2"].value.hour == 0  # 08:00 in Shanghai, stored as UTC
    assert book["data"]["B2"].value == "bell inside"
    rows = list(book["about"].iter_rows(min_row=2, values_only=True))
    assert rows == [("generated at", "2024-01-01 00:00:00 UTC")]


# --- images -------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chromium():
    if exports.browser_path() is None:
        skip_or_fail("figure export needs headless Chromium: none at /usr/bin/chromium or $BROWSER_PATH "
                     "(apt install chromium)")
    fc_list = shutil.which("fc-list")
    fonts = subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True).stdout if fc_list else ""
    if "Noto Sans CJK" not in fonts:
        skip_or_fail("Chinese text in images needs the Noto CJK fonts (apt install fonts-noto-cjk)")
    yield
    exports.close_engine()


def bar(title: str = "数字中国指数(2019) · 城市排名", names: tuple[str, ...] = ("成都", "重庆")) -> go.Figure:
    fig = charts.figure(go.Bar(x=[2, 1][: len(names)], y=list(names), orientation="h",
                           text=[f"第{r}名" for r in (5, 6)][: len(names)], marker_color=["#0072B2", "#D55E00"]))
    fig.update_layout(title=title, xaxis_title="名次（1 = 最好）")
    return fig


def png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.browser
def test_png_has_the_requested_size_and_is_drawn(chromium):
    image = png(exports.figure_bytes(bar(), "png", width=600, height=400, scale=2))
    assert image.format == "PNG" and image.size == (1200, 800)
    colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert len(colours) > 100  # text antialiasing and two bar colours, not a blank page
    rgb = {c for _, c in colours}
    assert (0x00, 0x72, 0xB2) in rgb and (0xD5, 0x5E, 0x00) in rgb


@pytest.mark.browser
def test_chinese_glyphs_are_drawn_not_tofu(chromium):
    # Without a CJK font every character becomes the same empty box: different names would look identical.
    first = png(exports.figure_bytes(bar(title="重庆"), "png", width=400, height=300, scale=1))
    second = png(exports.figure_bytes(bar(title="成都"), "png", width=400, height=300, scale=1))
    assert first.tobytes() != second.tobytes()


@pytest.mark.browser
def test_svg_keeps_chinese_names_as_text_in_the_cjk_font(chromium):
    svg = exports.figure_bytes(bar(), "svg", width=800).decode("utf-8")
    assert svg.lstrip().startswith("<svg")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "成都" in texts and "重庆" in texts
    assert "Noto Sans CJK SC" in svg


@pytest.mark.browser
def test_long_city_names_are_not_cut_off(chromium):
    # The template's 10 px left margin would clip y tick labels; the export grows the margin instead.
    fig = bar(names=("恩施土家族苗族自治州", "重庆"))
    svg = exports.figure_bytes(fig, "svg", width=800, height=300).decode("utf-8")
    # y tick labels are right-aligned (text-anchor end) at x: they are whole only if x exceeds their width
    anchors = re.findall(r'class="ytick"><text text-anchor="end" x="([\d.]+)"[^>]*>恩施土家族苗族自治州<', svg)
    assert anchors and float(anchors[0]) > 10 * 13  # ten characters of the 13 px template font
    assert fig.layout.yaxis.automargin is None  # the page's figure itself is left alone


@pytest.mark.browser
def test_concurrent_exports_each_get_their_own_image(chromium):
    # Streamlit builds deferred downloads in worker threads: two users must never receive each other's chart.
    def export(i: int) -> bool:
        fig = go.Figure(go.Bar(x=[1], y=[f"city {i}"]))
        return f'width="{300 + i}"' in exports.figure_bytes(fig, "svg", width=300 + i, height=200, scale=1).decode()

    with ThreadPoolExecutor(6) as pool:
        assert all(pool.map(export, range(12)))


# --- attribution: the sources of exactly what a download holds ------------------------------------------------

RELEASES = {  # as queries.releases() gives them (two real Tencent editions)
    "2017": {"release_id": "tencent_internet_plus/2017", "title": '《中国"互联网+"数字经济指数(2017)》',
             "title_en": 'China "Internet Plus" Digital Economy Index 2017', "publisher": "腾讯研究院",
             "publisher_en": "Tencent Research Institute", "published": pd.Timestamp("2017-04-20"),
             "citation": "腾讯研究院 (2017)", "terms": "cite the report", "source_urls": np.array(["https://a.example"]),
             "data_year_from": 2016, "data_year_to": 2016, "raw_sha256": "ab" * 32},
    "2018": {"release_id": "tencent_internet_plus/2018", "title": '《中国"互联网+"指数报告(2018)》',
             "title_en": 'China "Internet Plus" Index Report 2018', "publisher": "腾讯研究院",
             "publisher_en": "Tencent Research Institute", "published": pd.Timestamp("2018-04-12"),
             "citation": CITATION, "terms": "cite the report", "source_urls": np.array(["https://tisi.org/5025"]),
             "data_year_from": 2015, "data_year_to": 2017, "raw_sha256": "cd" * 32},
}


def attribution(*editions: str, **extra) -> exports.Attribution:
    return exports.Attribution(title="总指数 · 2018年版", lang="zh",
                               releases=tuple({**RELEASES[e], "family_publisher": "腾讯研究院"} for e in editions),
                               **extra)


def test_attribution_names_only_the_releases_held_and_only_the_filters_applied():
    one = attribution("2018", ranks="published", url="http://localhost:8501/rankings?edition=2018")
    assert one.source_line() == '来源：腾讯研究院，《中国"互联网+"指数报告(2018)》'
    fields = one.fields()
    assert fields["tencent_internet_plus/2018：引用"] == CITATION  # keys in the reader's language
    assert not [k for k in fields if "2017" in k or k.startswith("筛选")]
    assert one.footer_lines()[1].startswith("名次为报告公布 · http://localhost:8501/rankings?edition=2018 · ")
    both = attribution("2017", "2018", filters=(("区域", "西部"),))
    assert "《中国\"互联网+\"数字经济指数(2017)》、《中国\"互联网+\"指数报告(2018)》" in both.source_line()
    assert both.fields()["筛选：区域"] == "西部"
    assert exports.Attribution.ranks_of(["published", None, "computed"]) == "mixed"


def test_csv_download_is_a_zip_with_the_data_its_metadata_and_a_readme():
    frame = pd.DataFrame({"名次": [7], "地区": ["重庆市"]})
    data = exports.csv_zip_bytes(frame, attribution("2018", ranks="published"), "rankings.csv")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["README.md", "metadata.json", "rankings.csv"]
        meta = json.loads(archive.read("metadata.json"))
        readme = archive.read("README.md").decode("utf-8")
        back = pd.read_csv(io.BytesIO(archive.read("rankings.csv")), encoding="utf-8-sig")
    assert back["地区"].tolist() == ["重庆市"]
    assert [r["release_id"] for r in meta["releases"]] == ["tencent_internet_plus/2018"]
    assert meta["releases"][0]["published"].startswith("2018-04-12") and meta["rows"] == 1
    assert meta["ranks"] == "published" and meta["filters"] == {}
    assert CITATION in readme and "2017" not in readme


@pytest.mark.browser
def test_an_exported_chart_carries_its_sources_in_a_footer(chromium):
    source = attribution("2018", ranks="published", url="http://localhost:8501/rankings?edition=2018")
    figure = exports.with_footer(bar(), source.footer_lines())
    svg = exports.figure_bytes(figure, "svg", width=800, height=400).decode("utf-8")
    text = html.unescape(re.sub(r"<[^>]+>", " ", svg))  # legend lines are tspans inside one text
    assert "腾讯研究院" in text and '《中国"互联网+"指数报告(2018)》' in text and "名次为报告公布" in text
    assert "http://localhost:8501/rankings?edition=2018" in text
    legends = re.findall(r'<g class="(legend\d*)"', svg)
    assert legends == ["legend2"], legends  # the footer only: the bar chart has no legend of its own
    points = re.findall(r'class="legendpoints">(.*?)</g>', svg)
    assert points and all("fill-opacity: 0" in p and "stroke-width: 0px" in p for p in points)  # no stray dot


def test_a_table_too_long_for_one_sheet_is_refused_with_a_pointer_to_csv():
    with pytest.raises(ValueError, match="use CSV"):
        exports.xlsx_bytes(pd.DataFrame({"rank": range(exports.XLSX_MAX_ROWS + 1)}), {"title": "all"})


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="png"):
        exports.figure_bytes(bar(), "gif")


@pytest.fixture
def no_network(chromium, monkeypatch):
    """An engine whose Chromium sends every http(s) request to a dead proxy: any network fetch fails."""
    engine = exports.ImageEngine(proxy_server="http://127.0.0.1:9")
    monkeypatch.setattr(exports, "_ENGINE", engine)
    yield engine
    engine.close()


def city_map() -> go.Figure:
    path = GEO_DIR / "cities.geojson"
    if not path.is_file():
        from etl.geo import build_geo

        build_geo(GEO_DIR)
    geo = json.loads(path.read_text(encoding="utf-8"))
    codes = [f["properties"]["adcode"] for f in geo["features"]]
    fig = go.Figure(go.Choropleth(geojson=geo, locations=codes, z=list(range(len(codes))),
                                  featureidkey="properties.adcode", colorscale="Blues"))
    fig.update_geos(fitbounds="locations", visible=False)
    fig.update_layout(title="城市地图")
    return fig


@pytest.mark.browser
def test_city_map_exports_offline(no_network):
    image = png(exports.figure_bytes(city_map(), "png", width=700, height=500, scale=1))
    assert image.size == (700, 500)
    assert len(image.convert("RGB").getcolors(maxcolors=1 << 20)) > 50


@pytest.mark.browser
def test_a_dashboard_map_whose_boundaries_come_by_url_exports_with_them(no_network, embedded_warehouse, monkeypatch):
    """On screen the map names its boundaries by URL (app/static/…); the export reads the same file from disk."""
    from dashboard import maps
    from dashboard import queries as q

    monkeypatch.setenv("INDEX_WAREHOUSE", str(embedded_warehouse))
    city_map()  # builds data/geo if needed
    data = q.map_values("tencent_internet_plus", "2018", "total", "province")
    fig = maps.choropleth(data, "province", "zh", "rank", "all", "总指数 · 省份", size=31)
    assert all(tr.geojson.startswith("app/static/") for tr in fig.data if tr.type == "choropleth")
    image = png(exports.figure_bytes(fig, "png", width=700, height=500, scale=1)).convert("RGB")
    viridis_dark = (0x44, 0x01, 0x54)  # rank 1 (广东) in the darkest colour of the scale
    assert any(abs(r - viridis_dark[0]) + abs(g - viridis_dark[1]) + abs(b - viridis_dark[2]) < 30
               for _, (r, g, b) in image.getcolors(maxcolors=1 << 20)), "the province areas were not drawn"


@pytest.mark.browser
def test_the_offline_guard_would_catch_a_cdn_fetch(no_network, monkeypatch):
    # Proves the test above means something: Plotly's default base map (from its CDN) cannot load here.
    monkeypatch.setattr(pio.defaults, "topojson", None)
    with pytest.raises(Exception, match="topojson"):
        exports.figure_bytes(city_map(), "png", width=300, height=200, scale=1)


# --- file names ---------------------------------------------------------------------------------------------------

def test_file_name_joins_ascii_slugs():
    name = exports.file_name("tencent_internet_plus", "2018", "total", "city", "west", "rankings", ext="csv")
    assert name == "tencent_internet_plus_2018_total_city_west_rankings.csv"
    assert exports.file_name("PKU DFIIC", "2011–2023", "Coverage Breadth", ext=".XLSX") == \
        "pku_dfiic_2011_2023_coverage_breadth.xlsx"
    assert exports.file_name("２０１８", "Chongqing 重庆", "Ürümqi", ext="png") == "2018_chongqing_urumqi.png"


@pytest.mark.parametrize("parts", [("重庆", "成都"), ("",), (), ("..", "/", "\\"), ("CON",)])
def test_file_name_is_never_empty_hidden_or_a_path(parts):
    name = exports.file_name(*parts, ext="csv")
    stem = name.removesuffix(".csv")
    assert re.fullmatch(r"[a-z0-9][a-z0-9_-]*", stem), name
    assert stem not in {"con", "prn", "aux", "nul"}


def test_file_name_drops_chinese_parts_and_stays_short():
    assert exports.file_name("rankings", "重庆", "成都", ext="png") == "rankings.png"
    assert len(exports.file_name("x" * 500, ext="svg")) <= exports.MAX_STEM + 4
