"""The choropleth map: every region drawn once, grey where not published, rank 1 darkest, region highlight, hover."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.colors
import pytest

from dashboard import maps
from dashboard import queries as q
from etl import paths
from etl.geo import CITIES_FILE, build_geo, geo_is_current

FAMILY = "tencent_internet_plus"
TOP10_2018 = {"440300", "440100", "110100", "310100", "510100", "420100", "500100", "441900", "330100", "430100"}


@pytest.fixture(scope="session")
def geo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built boundaries: data/geo when current, else a fresh build in a temporary folder."""
    if geo_is_current(paths.GEO_DIR):
        return paths.GEO_DIR
    out = tmp_path_factory.mktemp("geo")
    build_geo(out)
    return out


@pytest.fixture
def frame(embedded_warehouse, geo_dir, monkeypatch):
    monkeypatch.setenv("INDEX_WAREHOUSE", str(embedded_warehouse))
    monkeypatch.setattr(paths, "GEO_DIR", geo_dir)

    def get(level: str = "city", period: str = "2018", indicator: str = "total") -> pd.DataFrame:
        return q.map_values(FAMILY, period, indicator, level)
    return get


def areas(fig, role: str | None = None, subplot: str = "geo") -> list:
    """The choropleth traces of the main map (or the inset), optionally of one role."""
    return [tr for tr in fig.data if tr.type == "choropleth" and tr.geo == subplot
            and (role is None or tr.meta["role"] == role)]


def locations(traces) -> list[str]:
    return [loc for tr in traces for loc in tr.locations]


def luminance(color: str) -> float:
    r, g, b = plotly.colors.hex_to_rgb(color)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("level", ["city", "province"])
def test_one_location_per_region_with_a_boundary(frame, level):
    data = frame(level)
    fig = maps.choropleth(data, level, "zh", "rank", "all", "title")
    drawn = locations(areas(fig))
    assert len(drawn) == len(set(drawn))
    assert set(drawn) == set(data.loc[data["has_boundary"], "adcode"])
    assert set(drawn) == maps.boundaries(level).ids & set(data["adcode"])
    for trace in areas(fig):  # the shapes come by URL, from the app's own static files (fetched once)
        assert trace.geojson == maps.static_url(level) and trace.geojson.startswith("app/static/")
    assert len(fig.to_json()) < 200_000  # ranks and colours only: no 650 kB of boundaries in every rerun
    assert fig.layout.meta["alt"] and fig.layout.meta["unmapped"] == []


def test_unpublished_regions_are_grey_and_outside_the_colour_scale(frame):
    data = frame()
    fig = maps.choropleth(data, "city", "en", "rank", "all", "title", mode="areas")
    [grey] = areas(fig, "not_published")
    [coloured] = areas(fig, "data")
    assert set(coloured.locations) == TOP10_2018
    assert set(grey.locations) == set(data.loc[data["has_boundary"], "adcode"]) - TOP10_2018
    assert {c for _, c in grey.colorscale} == {maps.NOT_PUBLISHED} and not grey.showscale
    assert coloured.showscale and sorted(coloured.z) == list(range(1, 11))  # ranks, no stand-in zeros
    assert maps.NOT_PUBLISHED not in {c for _, c in coloured.colorscale}


@pytest.mark.parametrize("color_by", ["rank", "value"])
def test_the_best_region_gets_the_darkest_colour(frame, color_by):
    data = frame()
    data["value"] = 100.0 - data["rank"].astype(float)  # values only for the ranked ten; Shenzhen (1st) highest
    fig = maps.choropleth(data, "city", "zh", color_by, "all", "title", mode="areas")
    [coloured] = areas(fig, "data")
    z = dict(zip(coloured.locations, coloured.z, strict=True))
    stops = [c for _, c in coloured.colorscale]
    darkest = min(stops, key=luminance)
    if color_by == "rank":
        assert z["440300"] == coloured.zmin == 1 and stops[0] == darkest
    else:
        assert z["440300"] == coloured.zmax == 99 and stops[-1] == darkest
    assert not coloured.reversescale


def test_west_highlight_fades_the_other_regions_and_outlines_the_west(frame):
    data = frame()
    fig = maps.choropleth(data, "city", "en", "rank", "west", "title", mode="areas")
    west = set(data.loc[data["economic_region"] == "west", "adcode"])
    [inside] = areas(fig, "data")
    [faded] = areas(fig, "data_faded")
    assert set(inside.locations) == {"500100", "510100"}  # Chongqing, Chengdu
    assert set(faded.locations) == TOP10_2018 - west
    assert inside.marker.opacity == 1 and faded.marker.opacity < 0.5
    assert inside.zmin == faded.zmin and inside.zmax == faded.zmax  # one scale for both
    [grey_out] = areas(fig, "not_published_faded")
    assert set(grey_out.locations).isdisjoint(west)
    outlines = [tr for tr in fig.data if tr.meta and tr.meta.get("role") == "group_outline" and tr.geo == "geo"]
    assert len(outlines) == 1 and outlines[0].line.color == maps.OUTLINE
    assert sum(v is None for v in outlines[0].lon) >= 1 and len(outlines[0].lon) > 100
    assert "West" in fig.layout.meta["alt"]


def test_hover_shows_names_in_the_chosen_language_rank_value_and_source_host(frame):
    data = frame()
    data.loc[data["adcode"] == "510100", "value"] = 123.456
    texts = {}
    for lang in ("zh", "en"):
        fig = maps.choropleth(data, "city", lang, "rank", "all", "title")
        texts[lang] = {loc: text for tr in areas(fig) for loc, text in zip(tr.locations, tr.text, strict=True)}
    assert "成都" in texts["zh"]["510100"] and "第5名" in texts["zh"]["510100"]
    assert "Chengdu" in texts["en"]["510100"] and "5th" in texts["en"]["510100"]
    assert "123.46" in texts["en"]["510100"] and "www.hkcd.com" in texts["en"]["510100"]
    assert "拉萨" in texts["zh"]["540100"] and "未公布" in texts["zh"]["540100"]
    assert "Lhasa" in texts["en"]["540100"] and "not published" in texts["en"]["540100"]


def test_regions_with_data_but_no_boundary_are_reported(frame):
    data = frame()
    laiwu = data[data["adcode"] == "370100"].assign(
        adcode="371200", region_zh="莱芜市", region_short_zh="莱芜", region_en="Laiwu", has_boundary=False,
        rank=12, published=True)
    data = pd.concat([data, laiwu], ignore_index=True)
    fig = maps.choropleth(data, "city", "zh", "rank", "all", "title")
    assert fig.layout.meta["unmapped"] == ["371200"]
    assert "371200" not in locations(areas(fig))
    assert maps.unmapped_names(data, "city", "zh") == ["莱芜（第12名）"]
    assert maps.unmapped_names(data, "city", "en") == ["Laiwu (12th)"]


def test_boundaries_are_reloaded_when_the_file_changes(geo_dir, tmp_path, monkeypatch):
    shutil.copy(geo_dir / maps.GEO_FILES["province"], tmp_path / maps.GEO_FILES["province"])
    monkeypatch.setattr(paths, "GEO_DIR", tmp_path)
    first = maps.boundaries("province")
    assert maps.boundaries("province") is first
    target = tmp_path / maps.GEO_FILES["province"]
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert maps.boundaries("province") is not first


def test_cities_geojson_is_at_most_one_megabyte(geo_dir):
    assert (geo_dir / CITIES_FILE).stat().st_size <= 1_000_000


def test_map_table_lists_every_region_published_first(frame):
    data = frame()
    table = maps.map_table(data, "city", "en")
    assert len(table) == len(data)
    assert table["rank"].head(10).tolist() == list(range(1, 11)) and table["rank"].iloc[10:].isna().all()
    assert table["region"].iloc[0] == "Shenzhen" and table["on_map"].iloc[0]


def test_map_page_renders_with_controls_notes_and_downloads(embedded_warehouse, geo_dir, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("INDEX_WAREHOUSE", str(embedded_warehouse))
    monkeypatch.setattr(paths, "GEO_DIR", geo_dir)
    at = AppTest.from_file(str(paths.PROJECT_ROOT / "dashboard" / "app.py"), default_timeout=60)
    at.query_params.update({"lang": "en", "region": "west"})
    at.run()
    at.switch_page("app_pages/map.py")
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Map"
    assert not [c for c in at.segmented_control if c.key == "map_color_by"]  # markers: no colour scale to choose
    captions = " ".join(c.value for c in at.caption)
    assert "10 of 351 cities published, shown as numbered markers" in captions  # the 2018 edition covers 351
    assert "West region is highlighted" in captions
    assert any("compare ranks" in i.value for i in at.info)
    listed = next(m.value for m in at.markdown if m.value.startswith("| Rank | Region |"))  # beside the map
    assert listed.splitlines()[2:5] == ["| 1 | Shenzhen |", "| 2 | Guangzhou |", "| 3 | Beijing |"]


def test_a_sparse_city_ranking_is_drawn_as_numbered_markers_over_grey_areas(frame):
    """Ten of 367 cities coloured as areas would let the largest (重庆) dominate: markers show each one."""
    data = frame()
    fig = maps.choropleth(data, "city", "zh", "rank", "all", "title")
    assert fig.layout.meta["mode"] == "markers"
    assert not areas(fig, "data")  # no area is coloured
    [marks] = [tr for tr in fig.data if (tr.meta or {}).get("role") == "rank_markers" and tr.geo == "geo"]
    assert sorted(int(x) for x in marks.text) == list(range(1, 11))
    assert not any(getattr(tr, "showscale", False) for tr in fig.data)  # no colour bar: the numbers are the ranks
    legend = [tr.name for tr in fig.data if tr.showlegend]
    assert legend == ["西部城市（数字为名次）", "其他城市（数字为名次）", "未公布名次的城市"]  # only what is drawn


def test_bands_on_the_map_are_open_rings_labelled_top_10(frame):
    fig = maps.choropleth(frame(indicator="digital_finance"), "city", "en", "rank", "all", "title")
    [rings] = [tr for tr in fig.data if (tr.meta or {}).get("role") == "band_markers" and tr.geo == "geo"]
    assert list(rings.text) == ["top 10", "top 10"] and rings.marker.symbol == "circle-open"
    assert "top N (exact rank not published)" in [tr.name for tr in fig.data if tr.showlegend]


def test_the_rank_colour_scale_spans_the_ranking_not_the_published_top(frame):
    fig = maps.choropleth(frame("province"), "province", "zh", "rank", "all", "title", size=31)
    [coloured] = areas(fig, "data")
    assert coloured.zmin == 1 and coloured.zmax == 31 and coloured.colorbar.ticktext[-1] == "31"


DESKTOP, PHONE = (607, 600), (358, 460)  # the map's figure (px) in a 1280 px window with the sidebar; on a 390 px phone


def display(fig, subplot: str, width: int, height: int):
    """lon/lat → figure pixels as plotly draws a Mercator subplot: its lon/lat range fitted into its domain of the
    plot area, aspect kept, centred (checked against the rendered map to within a pixel)."""
    geo, margin = fig.layout[subplot], fig.layout.margin
    plot_w, plot_h = width - margin.l - margin.r, height - margin.t - margin.b
    (x0, x1), (y0, y1), lon, lat = geo.domain.x, geo.domain.y, geo.lonaxis.range, geo.lataxis.range

    def merc(v):
        return np.log(np.tan(np.pi / 4 + np.radians(np.asarray(v, dtype=float)) / 2))

    scale = min(plot_w * (x1 - x0) / np.radians(lon[1] - lon[0]), plot_h * (y1 - y0) / (merc(lat[1]) - merc(lat[0])))
    cx, cy = margin.l + plot_w * (x0 + x1) / 2, margin.t + plot_h * (1 - (y0 + y1) / 2)
    return lambda lons, lats: np.column_stack([
        cx + scale * np.radians(np.asarray(lons, dtype=float) - np.mean(lon)),
        cy - scale * (merc(lats) - (merc(lat[0]) + merc(lat[1])) / 2)])


def role(fig, name: str) -> list:
    return [tr for tr in fig.data if (tr.meta or {}).get("role") == name and tr.geo == "geo"]


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_numbered_labels_never_overlap_and_moved_ones_lead_back_to_their_city(frame, size):
    """深圳, 东莞 and 广州 are a few pixels apart: their numbers move aside, each with a line from its city."""
    fig = maps.choropleth(frame(), "city", "zh", "rank", "all", "总指数 · 城市排名 · 2018年版")
    project = display(fig, "geo", *size)
    [labels] = role(fig, "rank_markers")
    at = project(labels.lon, labels.lat)
    gaps = np.linalg.norm(at[:, None] - at[None], axis=2) + np.diag([np.inf] * len(at))
    assert gaps.min() >= labels.marker.size + labels.marker.line.width  # no two numbered circles overlap

    [dots] = role(fig, "rank_dots")  # every city's true position, carrying the hover text
    anchors = maps.boundaries("city").anchors
    assert sorted(zip(dots.lon, dots.lat, strict=True)) == sorted(anchors[a] for a in TOP10_2018)
    assert all(dots.hovertext) and labels.hoverinfo == "skip"
    moved = np.linalg.norm(at - project(dots.lon, dots.lat), axis=1) > 0.5
    assert moved.sum() >= 2
    [leaders] = role(fig, "leaders")
    lons, lats = (np.array([v for v in vs if v is not None]).reshape(-1, 2) for vs in (leaders.lon, leaders.lat))
    ends = {tuple(v) for v in np.column_stack([lons[:, 0], lats[:, 0], lons[:, 1], lats[:, 1]]).round(6)}
    assert ends == {tuple(np.round([dots.lon[i], dots.lat[i], labels.lon[i], labels.lat[i]], 6))
                    for i in np.flatnonzero(moved)}  # one leader per moved label, from its city to it
    assert not leaders.showlegend and not dots.showlegend
