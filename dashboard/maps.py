"""Choropleth maps of one indicator: plain functions from `queries.map_values` frames to Plotly figures.

Boundaries are the simplified GeoJSON files that `etl.geo` writes to `GEO_DIR` (features keyed by 6-digit adcode);
they are read here once per file version (path, mtime, size) for anchors, insets and outlines. The figure names
them by URL (`static_url`): the browser fetches each file once from our own static files and keeps it, so a
rerun sends ranks and colours, not 650 kB of shapes; so is the base map (`world_110m.json`: land, and province
borders as its "rivers" layer, drawn above the choropleth; see `charts.PLOTLY_CONFIG`). Image exports read the
same files from disk (`exports.figure_bytes`).

Colour: rank (1 = best = darkest) or value (highest = darkest) on viridis, which stays readable with the common
colour-vision deficiencies and has no grey in it. Regions without published data are grey and outside the scale.
A region group (east / central / west / northeast) is highlighted: the others are faded and the group is outlined.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go
import shapely

from dashboard import charts
from dashboard import presentation as pres
from dashboard.i18n import localized, t
from dashboard.queries import REGION_GROUPS
from etl import paths
from etl.geo import CITIES_FILE, PROVINCES_FILE

GEO_FILES = {"city": CITIES_FILE, "province": PROVINCES_FILE}
MAPPED_LEVELS = tuple(GEO_FILES)
MUNICIPALITIES = {"11", "12", "31", "50"}  # 北京, 天津, 上海, 重庆: city and province share the name
COLOR_BY = ("rank", "value")

SCALE = list(plotly.colors.sequential.Viridis)  # dark purple → yellow
RANK_SCALE = SCALE  # z = rank: rank 1 (the minimum) gets the darkest colour
VALUE_SCALE = SCALE[::-1]  # z = value: the highest value gets the darkest colour
NOT_PUBLISHED = "#cfd3d8"
NOT_PUBLISHED_FADED = "#eef0f2"
FADED_OPACITY = 0.28
OUTLINE = charts.WEST  # Okabe–Ito vermillion, the western colour of the other charts
LAND = "#e5e5e5"
BORDER = {"city": ("rgba(255,255,255,0.85)", 0.3), "province": ("white", 0.6)}

# Mainland China, Hainan and Taiwan (73.5–135.1°E, 18.2–53.6°N) fill the main map; the South China Sea islands of
# 三沙 (down to ~4°N) go to an inset in the empty lower-right corner, as on printed maps of China.
MAIN_LON, MAIN_LAT = (73.0, 135.6), (17.6, 54.0)
MAIN_DOMAIN = {"x": [0.0, 1.0], "y": [0.0, 1.0]}


def mercator_y(lat: Any) -> Any:
    """Mercator's height of a latitude (degrees) in radians of longitude."""
    return np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))


def mercator_middle(lat: tuple[float, float]) -> float:
    """The latitude halfway up a Mercator map of this latitude range (plotly centres on the plain mean, which
    pushes the north off the top)."""
    y = np.mean(mercator_y(np.asarray(lat)))
    return float(np.degrees(2 * np.arctan(np.exp(y)) - np.pi / 2))


INSET_LON, INSET_LAT = (106.5, 121.5), (3.2, 23.6)
INSET_DOMAIN = {"x": [0.835, 0.995], "y": [0.0, 0.26]}
INSET_LABEL = (115.3, 5.3)  # lon, lat of the inset's name: open sea at its foot, east of 曾母暗沙
FRAMES = {"geo": (MAIN_LON, MAIN_LAT, MAIN_DOMAIN), "geo2": (INSET_LON, INSET_LAT, INSET_DOMAIN)}
HEIGHT = 600
MARGIN = {"l": 4, "r": 4, "b": 8}
TITLE_MARGIN = (62, 44)  # top margin with and without a subtitle
MARKER_LIMIT = 40  # up to this many coloured cities also get a dot: small cities (深圳, 东莞) are specks at this scale


class GeoMissing(FileNotFoundError):
    """The boundary files have not been built yet (`python -m etl build`)."""


# ---------------------------------------------------------------- boundaries


class Boundaries:
    """One GeoJSON file: features by adcode, and shapely geometries (parsed on first use)."""

    def __init__(self, path: Path, geojson: dict[str, Any]):
        self.path = path
        self.features: dict[str, dict[str, Any]] = {str(f["id"]): f for f in geojson["features"]}
        self._outlines: dict[frozenset[str], tuple[list[float | None], list[float | None]]] = {}

    @property
    def ids(self) -> set[str]:
        return set(self.features)

    def collection(self, ids: Iterable[str]) -> dict[str, Any]:
        """A FeatureCollection of just these features (a figure carries only what it draws)."""
        return {"type": "FeatureCollection", "features": [self.features[i] for i in ids]}

    @cached_property
    def shapes(self) -> dict[str, shapely.Geometry]:
        ids = list(self.features)
        geoms = shapely.from_geojson([json.dumps(self.features[i]["geometry"]) for i in ids])
        return dict(zip(ids, geoms, strict=True))

    @cached_property
    def anchors(self) -> dict[str, tuple[float, float]]:
        """A point inside each unit's largest part (for dots on small units)."""
        anchors = {}
        for adcode, geom in self.shapes.items():
            parts = shapely.get_parts(geom)
            largest = parts[int(np.argmax(shapely.area(parts)))]
            point = shapely.point_on_surface(largest)
            anchors[adcode] = (point.x, point.y)
        return anchors

    def in_box(self, lon: tuple[float, float], lat: tuple[float, float]) -> set[str]:
        box = shapely.box(lon[0], lat[0], lon[1], lat[1])
        return {adcode for adcode, geom in self.shapes.items() if shapely.intersects(geom, box)}

    def outline(self, ids: Iterable[str], min_area: float = 0.02) -> tuple[list[float | None], list[float | None]]:
        """The outer border of the union of these units, as lon/lat lists with None between rings."""
        key = frozenset(ids) & frozenset(self.features)
        if key not in self._outlines:
            lons: list[float | None] = []
            lats: list[float | None] = []
            if key:
                union = shapely.union_all([self.shapes[i] for i in sorted(key)])
                for polygon in shapely.get_parts(union):
                    if polygon.area < min_area:
                        continue
                    for ring in (polygon.exterior, *polygon.interiors):
                        if shapely.Polygon(ring).area < min_area:
                            continue
                        xy = np.asarray(ring.coords)
                        lons += [*xy[:, 0].tolist(), None]
                        lats += [*xy[:, 1].tolist(), None]
            self._outlines[key] = (lons, lats)
        return self._outlines[key]


_LOADED: dict[Path, tuple[tuple[int, int], Boundaries]] = {}
_LOCK = threading.Lock()


def geo_path(level: str) -> Path:
    return Path(paths.GEO_DIR) / GEO_FILES[level]


def static_url(level: str) -> str:
    """Where the browser finds the level's boundaries (data/geo served as static files, see PLOTLY_CONFIG)."""
    return charts.TOPOJSON_URL + GEO_FILES[level]


def boundaries(level: str) -> Boundaries:
    """The boundaries of a level ('city' or 'province'), read once per version of the file."""
    path = geo_path(level)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise GeoMissing(f"no boundaries at {path}: run `python -m etl build` first") from None
    version = (stat.st_mtime_ns, stat.st_size)
    with _LOCK:
        cached = _LOADED.get(path)
        if cached and cached[0] == version:
            return cached[1]
        loaded = Boundaries(path, json.loads(path.read_text(encoding="utf-8")))
        _LOADED[path] = (version, loaded)
        return loaded


# ---------------------------------------------------------------- data → view


def names(frame: pd.DataFrame, lang: str) -> pd.Series:
    """Region names as the map shows them: short Chinese names, or English (Chinese where none)."""
    return localized(frame, lang, "region_short_zh", "region_en")


def source_host(url: object) -> str | None:
    """'www.hkcd.com' for an article URL; None for empty values or notes that are not URLs."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return None
    return urlparse(url).hostname


def unmapped(frame: pd.DataFrame, level: str) -> pd.DataFrame:
    """Regions with published data that the map cannot draw (no boundary: historical units such as 莱芜)."""
    drawable = boundaries(level).ids
    mask = frame["published"].fillna(False).astype(bool) & ~frame["adcode"].astype(str).isin(drawable)
    return frame[mask]


def unmapped_names(frame: pd.DataFrame, level: str, lang: str) -> list[str]:
    """'莱芜（第12名）' / 'Laiwu (12th)' for each region the map cannot draw, best ranked first."""
    missing = unmapped(frame, level).sort_values(["rank", "adcode"], na_position="last")
    pattern = "{}（{}）" if lang == "zh" else "{} ({})"
    return [pattern.format(name, charts.rank_label(rank, lang))
            for name, rank in zip(names(missing, lang), missing["rank"], strict=True)]


def hover_texts(frame: pd.DataFrame, level: str, lang: str) -> list[str]:
    """Name (and province for cities), rank or 'not published', value where published, source host."""
    shown = names(frame, lang)
    provinces = localized(frame, lang, "province_zh", "province_en")
    texts = []
    for name, province, row in zip(shown, provinces, frame.itertuples(index=False), strict=True):
        with_province = level == "city" and pd.notna(province) and row.adcode[:2] not in MUNICIPALITIES
        head = f"<b>{name}</b>" + (f" · {province}" if with_province else "")
        lines = [head]
        rank = None if pd.isna(row.rank) else int(row.rank)
        rank_text = pres.rank_text(rank, getattr(row, "rank_at_most", None), lang, "ordinal")
        if (rank is not None or not pres.missing(getattr(row, "rank_at_most", None))) and row.basis == "derived":
            rank_text += f" ({t('basis_derived', lang)})"
        elif rank is not None and row.rank_source == "computed":
            rank_text += f" ({t('map_rank_computed', lang)})"
        lines.append(t("map_hover_rank", lang, rank=rank_text))
        if pd.notna(row.value):
            lines.append(t("map_hover_value", lang, value=f"{row.value:,.2f}"))
        host = source_host(row.source_url)
        if host:
            lines.append(t("map_hover_source", lang, host=host))
        texts.append("<br>".join(lines))
    return texts


@dataclass(frozen=True)
class Scale:
    """How a measure maps to colour: range, colours and colour-bar ticks."""

    column: str
    zmin: float
    zmax: float
    colorscale: list[list[Any]]
    title: str
    tickvals: list[float] | None = None
    ticktext: list[str] | None = None


def _stops(colors: list[str]) -> list[list[Any]]:
    return [[i / (len(colors) - 1), c] for i, c in enumerate(colors)]


def rank_ticks(worst: int) -> list[int]:
    """1 and round ranks up to the worst one, at most five ticks: 1, 5, 10 / 1, 100, 200, 300 …"""
    if worst <= 5:
        return list(range(1, worst + 1))
    step = next(s for s in (2, 5, 10, 20, 25, 50, 100, 200, 500, 1000, 10_000) if worst / s <= 4)
    ticks = [1, *range(step, worst + 1, step)]
    if ticks[-1] != worst:  # the end of the range is always labelled (a near tick gives way to it)
        ticks[-1:] = [ticks[-1], worst] if worst - ticks[-1] > step / 2 else [worst]
    return ticks


def color_scale(values: pd.Series, color_by: str, lang: str, size: int | None = None) -> Scale:
    """The colour range of `color_by`: ranks 1 … the ranking's size (its real range, not the worst rank shown);
    values min … max of the published values."""
    data = values.dropna().astype(float)
    if color_by == "rank":
        worst = max(int(data.max()) if len(data) else 1, int(size or 1))
        ticks = rank_ticks(worst)
        return Scale("rank", 1.0, float(max(worst, 2)), _stops(RANK_SCALE), t("rank_axis", lang), ticks,
                     [str(v) for v in ticks])
    low, high = (float(data.min()), float(data.max())) if len(data) else (0.0, 1.0)
    if high <= low:
        low, high = low - 0.5, high + 0.5
    return Scale("value", low, high, _stops(VALUE_SCALE), t("map_value_scale", lang))


# ---------------------------------------------------------------- figure


def _areas(boundary: Boundaries, rows: pd.DataFrame, z: Iterable[float], *, colorscale: Any,
           zmin: float, zmax: float, level: str, subplot: str, role: str, opacity: float = 1.0,
           colorbar: dict[str, Any] | None = None) -> go.Choropleth:
    line_color, line_width = BORDER[level]
    return go.Choropleth(  # the boundaries by URL: the browser fetches the file once and keeps it
        geojson=static_url(level), featureidkey="id", locations=list(rows["adcode"]),
        z=list(z), zmin=zmin, zmax=zmax, colorscale=colorscale, showscale=colorbar is not None,
        colorbar=colorbar, marker=dict(opacity=opacity, line=dict(color=line_color, width=line_width)),
        text=list(rows["hover"]), hovertemplate="%{text}<extra></extra>", geo=subplot, name=role, showlegend=False,
        meta={"role": role},
    )


def _layers(boundary: Boundaries, drawn: pd.DataFrame, scale: Scale, level: str, subplot: str,
            with_colorbar: bool) -> list[go.BaseTraceType]:
    """Grey (not published) and coloured areas, faded outside the region group (colour bar on the main map)."""
    coloured = drawn[scale.column].notna()
    inside = drawn["in_group"]
    grey = dict(zmin=0.0, zmax=1.0, level=level, subplot=subplot)
    traces: list[go.BaseTraceType] = []
    for role, mask, color in (("not_published_faded", ~coloured & ~inside, NOT_PUBLISHED_FADED),
                              ("not_published", ~coloured & inside, NOT_PUBLISHED)):
        if mask.any():
            traces.append(_areas(boundary, drawn[mask], [0.0] * int(mask.sum()),
                                 colorscale=[[0, color], [1, color]], role=role, **grey))
    colorbar = _colorbar(scale) if with_colorbar else None
    for role, mask, opacity in (("data_faded", coloured & ~inside, FADED_OPACITY), ("data", coloured & inside, 1.0)):
        if not mask.any():
            continue
        show = colorbar if (role == "data" or not (coloured & inside).any()) else None
        traces.append(_areas(boundary, drawn[mask], drawn.loc[mask, scale.column].astype(float),
                             colorscale=scale.colorscale, zmin=scale.zmin, zmax=scale.zmax, level=level,
                             subplot=subplot, role=role, opacity=opacity, colorbar=show))
    return traces


def _dots(boundary: Boundaries, rows: pd.DataFrame, scale: Scale, subplot: str) -> list[go.Scattergeo]:
    """A dot in the colour of each of these units, so small cities stay visible; the best is drawn last."""
    if rows.empty:
        return []
    rows = rows.sort_values(scale.column, ascending=scale.column == "value")
    anchors = [boundary.anchors[a] for a in rows["adcode"]]
    return [go.Scattergeo(
        lon=[a[0] for a in anchors], lat=[a[1] for a in anchors], mode="markers", geo=subplot,
        marker=dict(size=9 if subplot == "geo" else 7, color=list(rows[scale.column].astype(float)),
                    colorscale=scale.colorscale, cmin=scale.zmin, cmax=scale.zmax, showscale=False,
                    opacity=[1.0 if i else FADED_OPACITY + 0.1 for i in rows["in_group"]],
                    line=dict(color="white", width=1.2)),
        text=list(rows["hover"]), hovertemplate="%{text}<extra></extra>", showlegend=False, name="dots",
        meta={"role": "dots"},
    )]


def _in_box(boundary: Boundaries, rows: pd.DataFrame, lon: tuple[float, float], lat: tuple[float, float]) -> pd.Series:
    """Which rows have their anchor point inside the lon/lat box."""
    points = [boundary.anchors[a] for a in rows["adcode"]]
    return pd.Series([lon[0] <= x <= lon[1] and lat[0] <= y <= lat[1] for x, y in points], index=rows.index,
                     dtype=bool)


def _colorbar(scale: Scale) -> dict[str, Any]:
    bar: dict[str, Any] = dict(
        title=dict(text=scale.title, side="top", font=dict(size=12)), orientation="h", x=0.0, xanchor="left",
        y=0.0, yanchor="bottom", len=0.36, lenmode="fraction", thickness=11, outlinewidth=0, tickfont=dict(size=11),
    )
    if scale.tickvals is not None:
        bar.update(tickvals=scale.tickvals, ticktext=scale.ticktext)
    return bar


def _legend_square(name: str, color: str, subplot: str = "geo") -> go.Scattergeo:
    """A legend entry only (no data): a square swatch for an area colour."""
    return go.Scattergeo(lon=[None], lat=[None], mode="markers", name=name, geo=subplot, hoverinfo="skip",
                         marker=dict(symbol="square", size=13, color=color, line=dict(color="#9aa0a6", width=0.8)),
                         showlegend=True, meta={"role": "legend"})


def alt_text(level: str, lang: str, title: str, shown: int, total: int, how: str, region_group: str) -> str:
    """One sentence for screen readers and the caption under the map (`how`: rank, value or markers)."""
    group = "" if region_group == "all" else t("map_alt_group", lang, region=t(f"region_{region_group}", lang))
    return t(f"map_alt_{how}", lang, title=title, unit=t(f"map_unit_{level}", lang), shown=shown, total=total,
             group=group)


SPARSE_LIMIT = 40  # up to this many published cities: numbered markers over a grey base, not coloured areas
MARKER_SIZE = {"geo": 16, "geo2": 12}
MARKER_LINE = 2.5  # centred on the circle's edge: a numbered label is MARKER_SIZE + MARKER_LINE px across
DOT_SIZE = 6  # each city's true position: hidden under its number, visible when the number moved aside
LABEL_GAP = 1.0  # px a label keeps clear of other labels and dots
LEADER = dict(color="#3d434b", width=1)  # dark enough to follow over the grey land
# Labels are placed for the smallest figure the app draws: the map on a 360 px phone is 328 × 460 px (the page's
# 16 px padding each side; PHONE_HEIGHT in app_pages/map.py). Positions are lon/lat, so on a wider figure the
# labels only spread further apart, while they keep their size in pixels.
PLACEMENT_FIGURE = (328, 460)
RINGS, RING_SPOTS = 8, 12  # candidate spots around a crowded city: rings of increasing radius, 12 directions each


def use_markers(frame: pd.DataFrame, level: str) -> bool:
    """Top-N lists on a city map: colouring ten areas lets the largest (重庆) dominate; markers show them all."""
    return level == "city" and 0 < int(frame["published"].fillna(False).astype(bool).sum()) <= SPARSE_LIMIT


def _marker_colours(rows: pd.DataFrame, chosen: Sequence[str]) -> list[str]:
    """Western cities vermillion, others blue; once the reader has chosen cities, those highlighted, others grey."""
    if rows["adcode"].isin(chosen).any():
        return [charts.HIGHLIGHT if a in chosen else charts.MUTED for a in rows["adcode"]]
    return [charts.WEST if w else charts.BASE for w in rows["is_west"]]


def _placement_scale(subplot: str) -> float:
    """Pixels per radian of longitude on the smallest figure: plotly fits the subplot's lon/lat range into its
    domain of the plot area, keeping Mercator's aspect."""
    lon, lat, domain = FRAMES[subplot]
    width = (PLACEMENT_FIGURE[0] - MARGIN["l"] - MARGIN["r"]) * (domain["x"][1] - domain["x"][0])
    height = (PLACEMENT_FIGURE[1] - TITLE_MARGIN[0] - MARGIN["b"]) * (domain["y"][1] - domain["y"][0])
    return min(width / np.radians(lon[1] - lon[0]), height / float(mercator_y(lat[1]) - mercator_y(lat[0])))


def place_labels(points: np.ndarray, dots: np.ndarray, subplot: str) -> np.ndarray:
    """Where the numbered labels of these cities go (lon/lat rows, best rank first), greedily: at the city, else
    on the innermost of rings of growing radius around it with a spot that overlaps no label placed before it and,
    if possible, none of `dots` (every marked city's true position, `points` among them). Worked out in pixels at
    the smallest figure (`PLACEMENT_FIGURE`)."""
    scale = _placement_scale(subplot)
    lon, lat, _ = FRAMES[subplot]

    def pixels(lonlat: np.ndarray) -> np.ndarray:
        return np.column_stack([np.radians(lonlat[:, 0]), -mercator_y(lonlat[:, 1])]) * scale

    label, dot = (MARKER_SIZE[subplot] + MARKER_LINE) / 2, DOT_SIZE / 2 + 1  # radii; a dot has a 1 px white edge
    low, high = pixels(np.array([[lon[0], lat[1]], [lon[1], lat[0]]]))  # the frame: top left, bottom right
    angles = np.radians(np.arange(RING_SPOTS) * 360 / RING_SPOTS + 90)  # north first, then anticlockwise
    radii = label + dot + LABEL_GAP + label * np.arange(RINGS)  # the first ring clears the city's own dot
    offsets = np.vstack([[0.0, 0.0], *[np.column_stack([np.cos(angles), -np.sin(angles)]) * r for r in radii]])

    def clear_of(spots: np.ndarray, centres: list[np.ndarray] | np.ndarray, distance: float) -> np.ndarray:
        centres = np.reshape(centres, (-1, 2))
        return np.all(np.linalg.norm(spots[:, None] - centres[None], axis=2) >= distance, axis=1)

    ring = np.repeat(np.arange(RINGS + 1), [1] + [RING_SPOTS] * RINGS)  # the city itself is ring 0
    every = pixels(dots)
    placed: list[np.ndarray] = []
    for anchor in pixels(points):
        spots = anchor + offsets
        free = np.all((spots >= low + label) & (spots <= high - label), axis=1) & clear_of(
            spots, placed, 2 * label + LABEL_GAP)
        others = every[np.linalg.norm(every - anchor, axis=1) > 1e-6]  # its own dot may lie under it
        # On the innermost ring with a usable spot, the one with most room: labels move out of a cluster.
        near = np.vstack([others, np.reshape(placed, (-1, 2)), [[np.inf, np.inf]]])
        room = np.linalg.norm(spots[:, None] - near[None], axis=2).min(axis=1)
        for usable in (free & clear_of(spots, others, label + dot + LABEL_GAP), free):
            if usable.any():
                first = usable & (ring == ring[usable].min())
                placed.append(spots[np.flatnonzero(first)[np.argmax(room[first])]])
                break
        else:  # nowhere free within the rings (a crowd of dozens): at the city
            placed.append(anchor)
    xy = np.array(placed) / scale
    return np.column_stack([np.degrees(xy[:, 0]), np.degrees(2 * np.arctan(np.exp(-xy[:, 1])) - np.pi / 2)])


def _markers(boundary: Boundaries, rows: pd.DataFrame, subplot: str, lang: str,
             chosen: Sequence[str] = ()) -> list[go.Scattergeo]:
    """Published cities as markers at their anchor points: the exact rank written inside a filled circle (western
    cities vermillion), a band 'top N' as an open ring labelled beside it; the best (and the chosen) drawn last,
    on top. Where numbered circles would overlap (深圳, 东莞, 广州) they move aside (`place_labels`) with a leader
    line from a small dot at the city, which keeps the hover text."""
    traces: list[go.Scattergeo] = []
    ordered = rows.assign(_key=pres.rank_sort_key(rows["rank"], rows["rank_at_most"]),
                          _chosen=rows["adcode"].isin(chosen)).sort_values(["_chosen", "_key"],
                                                                            ascending=[True, False])
    every = np.array([boundary.anchors[a] for a in ordered["adcode"]]).reshape(-1, 2)
    for band, group in ordered.groupby(ordered["rank"].isna(), sort=True):
        if group.empty:
            continue
        anchors = np.array([boundary.anchors[a] for a in group["adcode"]])
        colours = _marker_colours(group, chosen)
        opacity = [1.0 if i else FADED_OPACITY + 0.2 for i in group["in_group"]]
        hover = dict(hovertext=list(group["hover"]), hovertemplate="%{hovertext}<extra></extra>")
        labels = anchors
        if not band:  # placed best rank first; drawn in the group's order
            by_rank = np.argsort(group["_key"].to_numpy(), kind="stable")
            labels = np.empty_like(anchors)
            labels[by_rank] = place_labels(anchors[by_rank], every, subplot)
            moved = np.flatnonzero(np.any(np.abs(labels - anchors) > 1e-9, axis=1))
            if len(moved):  # leaders under the dots, dots under the labels
                traces.append(go.Scattergeo(  # city → label, None between leaders
                    lon=[v for i in moved for v in (anchors[i, 0], labels[i, 0], None)],
                    lat=[v for i in moved for v in (anchors[i, 1], labels[i, 1], None)],
                    mode="lines", geo=subplot, line=LEADER, hoverinfo="skip", showlegend=False, name="leaders",
                    meta={"role": "leaders"}))
            traces.append(go.Scattergeo(
                lon=anchors[:, 0].tolist(), lat=anchors[:, 1].tolist(), geo=subplot, mode="markers",
                marker=dict(size=DOT_SIZE, color=colours, opacity=opacity, line=dict(color="white", width=1)),
                showlegend=False, name="ranks", meta={"role": "rank_dots"}, **hover))
            hover = dict(hoverinfo="skip")  # hover stays on the true position
        traces.append(go.Scattergeo(
            lon=labels[:, 0].tolist(), lat=labels[:, 1].tolist(), geo=subplot, mode="markers+text",
            text=[pres.band_text(b, lang) if band else str(int(r)) for r, b in
                  zip(group["rank"], group["rank_at_most"], strict=True)],
            textposition="middle right" if band else "middle center",
            textfont=dict(size=11 if band else 10, color=colours if band else "white"),
            marker=dict(size=MARKER_SIZE[subplot], color="white" if band else colours,
                        symbol="circle-open" if band else "circle", line=dict(color=colours, width=MARKER_LINE),
                        opacity=opacity),
            showlegend=False, name="bands" if band else "ranks",
            meta={"role": "band_markers" if band else "rank_markers"}, **hover))
    return traces


def _marker_legend(rows: pd.DataFrame, lang: str, chosen: Sequence[str] = ()) -> list[go.Scattergeo]:
    """Legend entries for the marker classes actually drawn."""
    entries = []
    exact = rows[rows["rank"].notna()]
    picked = exact["adcode"].isin(chosen)
    classes = ((picked, "map_legend_chosen", charts.HIGHLIGHT), (~picked, "map_legend_others", charts.MUTED)) \
        if picked.any() else ((exact["is_west"], "map_legend_west", charts.WEST),
                              (~exact["is_west"].astype(bool), "map_legend_other", charts.BASE))
    for mask, key, colour in classes:
        if mask.any():
            entries.append(go.Scattergeo(lon=[None], lat=[None], mode="markers", name=t(key, lang), geo="geo",
                                         marker=dict(size=12, color=colour), hoverinfo="skip", showlegend=True,
                                         meta={"role": "legend"}))
    if rows["rank"].isna().any():
        entries.append(go.Scattergeo(lon=[None], lat=[None], mode="markers", name=t("map_legend_band", lang),
                                     geo="geo", marker=dict(size=12, symbol="circle-open", color=charts.BASE,
                                                            line=dict(width=2.5)),
                                     hoverinfo="skip", showlegend=True, meta={"role": "legend"}))
    return entries


def choropleth(frame: pd.DataFrame, level: str, lang: str, color_by: str, region_group: str,
               title: str, size: int | None = None, total: int | None = None, mode: str = "auto",
               chosen: Sequence[str] = ()) -> go.Figure:
    """A map of every region of the level: coloured by rank or value where published, grey where not; or, for a
    sparse city ranking (`mode` 'auto' decides, see `use_markers`), numbered markers over a grey base.

    `frame` is `queries.map_values(...)`; `size` is the ranking's size (the rank colours span 1 … size) and `total`
    how many regions the release covers (the caption says "10 of 351 cities"; default: those drawn). Regions
    outside `region_group` (unless 'all') are faded and the group is outlined. Regions that have data but no
    boundary are listed in `fig.layout.meta["unmapped"]`; `fig.layout.meta["alt"]` is a one-sentence description.
    """
    if level not in GEO_FILES:
        raise ValueError(f"unknown level {level!r}")
    if color_by not in COLOR_BY:
        raise ValueError(f"unknown colouring {color_by!r}")
    boundary = boundaries(level)
    data = frame.reset_index(drop=True).copy()
    data["adcode"] = data["adcode"].astype(str)
    data["in_group"] = (region_group == "all") | (data["economic_region"] == region_group)
    data["hover"] = hover_texts(data, level, lang)
    drawn = data[data["adcode"].isin(boundary.ids)]
    markers = mode == "markers" or (mode == "auto" and use_markers(drawn, level))
    scale = color_scale(drawn[color_by], color_by, lang, size)
    shaded = drawn.assign(**{color_by: np.nan}) if markers else drawn  # markers: every area stays grey

    fig = charts.figure()
    coloured = drawn[drawn[color_by].notna()]
    dotted = coloured if level == "city" and len(coloured) <= MARKER_LIMIT and not markers else coloured.iloc[:0]
    placed = drawn[drawn["published"].fillna(False).astype(bool) & (drawn["rank"].notna()
                                                                     | drawn["rank_at_most"].notna())]
    main, south = (_in_box(boundary, placed, MAIN_LON, MAIN_LAT),
                   _in_box(boundary, placed, INSET_LON, (INSET_LAT[0], MAIN_LAT[0])))
    fig.add_traces(_layers(boundary, shaded, scale, level, "geo", with_colorbar=not markers))
    fig.add_traces(_dots(boundary, dotted[_in_box(boundary, dotted, MAIN_LON, MAIN_LAT)], scale, "geo"))
    # The inset repeats the areas it shows; dots only for islands south of the main map (三沙).
    inset = shaded[shaded["adcode"].isin(boundary.in_box(INSET_LON, INSET_LAT))]
    fig.add_traces(_layers(boundary, inset, scale, level, "geo2", with_colorbar=False))
    fig.add_traces(_dots(boundary, dotted[_in_box(boundary, dotted, INSET_LON, (INSET_LAT[0], MAIN_LAT[0]))], scale,
                         "geo2"))
    if markers:
        fig.add_traces(_markers(boundary, placed[main], "geo", lang, chosen))
        fig.add_traces(_markers(boundary, placed[south], "geo2", lang, chosen))
        fig.add_traces(_marker_legend(placed, lang, chosen))
    elif set(chosen) & boundary.ids:  # areas: the chosen regions outlined
        lons, lats = boundary.outline(chosen, min_area=0.0005)
        fig.add_trace(go.Scattergeo(lon=lons, lat=lats, mode="lines", geo="geo", hoverinfo="skip",
                                    line=dict(color=charts.HIGHLIGHT, width=2.5), name=t("map_legend_chosen", lang),
                                    showlegend=True, meta={"role": "chosen_outline"}))

    fig.add_trace(_legend_square(t("not_published" if not markers else "map_legend_unpublished", lang),
                                 NOT_PUBLISHED))
    if region_group != "all":
        group = t(f"region_{region_group}", lang)
        in_group = data[data["in_group"]]
        provinces = in_group["adcode"] if level == "province" else in_group["province_adcode"]
        lons, lats = boundaries("province").outline(provinces.dropna().astype(str))
        for subplot in ("geo", "geo2"):
            fig.add_trace(go.Scattergeo(
                lon=lons, lat=lats, mode="lines", geo=subplot, line=dict(color=OUTLINE, width=2.2 if subplot == "geo"
                                                                         else 1.4),
                name=t("map_group_outline", lang, region=group), hoverinfo="skip", showlegend=subplot == "geo",
                meta={"role": "group_outline"},
            ))
        fig.add_trace(_legend_square(t("map_faded", lang), NOT_PUBLISHED_FADED))

    fig.add_trace(go.Scattergeo(  # the inset's name, inside its frame
        lon=[INSET_LABEL[0]], lat=[INSET_LABEL[1]], mode="text", text=[t("map_inset", lang)], geo="geo2",
        textfont=dict(size=9, color="#5f6670"), textposition="middle center", hoverinfo="skip", showlegend=False,
        meta={"role": "inset_label"},
    ))
    heading, _, subtitle = title.rpartition(" · ") if " · " in title else (title, "", "")

    base = dict(
        visible=True, scope="world", resolution=110, projection_type="mercator", showland=True, landcolor=LAND,
        showrivers=True, rivercolor="#4a4f57", riverwidth=0.7, showcountries=False, showcoastlines=False,
        showocean=False, showlakes=False, showsubunits=False, showframe=False, bgcolor="rgba(0,0,0,0)",
    )
    fig.update_layout(
        # Inside the plot area: the legend in the empty north-west corner, the colour bar in the empty south-west.
        geo=dict(base, lonaxis_range=list(MAIN_LON), lataxis_range=list(MAIN_LAT), domain=MAIN_DOMAIN,
                 center=dict(lon=float(np.mean(MAIN_LON)), lat=mercator_middle(MAIN_LAT))),
        geo2=dict(base, lonaxis_range=list(INSET_LON), lataxis_range=list(INSET_LAT), domain=INSET_DOMAIN,
                  center=dict(lon=float(np.mean(INSET_LON)), lat=mercator_middle(INSET_LAT)),
                  showframe=True, framecolor="#8a9099", framewidth=0.8, bgcolor="white"),
        # "indicator · level · period": the period goes to a subtitle so the title fits on a phone.
        title=dict(text=heading, subtitle=dict(text=subtitle, font=dict(size=13, color="#5f6670")), x=0.01,
                   xanchor="left", y=1.0, yref="container", yanchor="top", pad=dict(t=8), font=dict(size=16)),
        height=HEIGHT, margin=dict(MARGIN, t=TITLE_MARGIN[0] if subtitle else TITLE_MARGIN[1]), dragmode=False,
        modebar=dict(orientation="v", bgcolor="rgba(255,255,255,0.6)"),
        legend=dict(orientation="h", x=0.0, xanchor="left", y=1.0, yanchor="top", font=dict(size=12),
                    itemclick=False, itemdoubleclick=False, bgcolor="rgba(255,255,255,0)"),
    )
    shown = len(placed) if markers else int(drawn[color_by].notna().sum())
    fig.update_layout(meta={
        "alt": alt_text(level, lang, title, shown, int(total or len(drawn)), "markers" if markers else color_by,
                        region_group),
        "unmapped": unmapped(data, level)["adcode"].tolist(), "mode": "markers" if markers else "areas",
    })
    return fig


def map_table(frame: pd.DataFrame, level: str, lang: str) -> pd.DataFrame:
    """The map's data as a download: every region of the level, published ones first in reading order (bands after
    the exact ranks above them); empty = not published."""
    data = pres.sort_ranked(frame).reset_index(drop=True)
    return pd.DataFrame({
        "rank": data["rank"].astype("Int64"),
        "rank_at_most": data["rank_at_most"].astype("Int64"),
        "region": localized(data, lang, "region_zh", "region_en"),
        "adcode": data["adcode"].astype(str),
        "province": localized(data, lang, "province_zh", "province_en"),
        "economic_region": [t(f"region_{r}", lang) if r in REGION_GROUPS else r for r in data["economic_region"]],
        "value": data["value"].astype(float),
        "basis": [t(f"basis_{b}", lang) if isinstance(b, str) else None for b in data["basis"]],
        "rank_source": [t(f"rank_source_{r}", lang) if isinstance(r, str) else None for r in data["rank_source"]],
        "source": [pres.source_label(u) or None for u in data["source_url"]],
        "on_map": data["adcode"].astype(str).isin(boundaries(level).ids),
    })
