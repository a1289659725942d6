"""Download payloads: safe CSV/XLSX tables, PNG/SVG charts rendered server-side, descriptive file names.

Pure functions (no Streamlit), so pages, notebooks and tests share one implementation.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import copy
import io
import json
import os
import re
import shutil
import threading
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

import dashboard.charts
from dashboard.i18n import t

# ---------------------------------------------------------------------------------------------------------------
# Formula-injection defence (OWASP "CSV Injection"): spreadsheet apps evaluate text starting with these characters.
# Leading spaces do not stop LibreOffice/Excel from evaluating, and full-width forms are normalised by some
# spreadsheet apps (and IMEs produce them), so both are covered. A leading apostrophe makes the cell plain text.
DANGEROUS = re.compile(r"^[ \u00a0\u3000]*[=+\-@\t\r＝＋－＠]")


def _defuse(value: object) -> object:
    return "'" + value if isinstance(value, str) and DANGEROUS.match(value) else value


def neutralize(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which no text cell or header can be read as a formula; numbers, dates and NaN are untouched."""
    out = frame.copy()
    for i in range(out.shape[1]):  # by position: headers may repeat
        series = out.iloc[:, i]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
            continue  # a real number can never be a formula; -3 must stay the number -3
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        out.isetitem(i, series.map(_defuse, na_action="ignore"))
    out.columns = [_defuse(c) for c in out.columns]
    return out


def _plain(value: object) -> object:
    """Lists/arrays (e.g. a rank history) as readable text: spreadsheets hold scalars only."""
    if isinstance(value, (list, tuple, set)) or (hasattr(value, "__array__") and getattr(value, "ndim", 0) > 0):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return value


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """Flatten containers first, then neutralize: a flattened list becomes text and must be checked too."""
    out = frame.copy()
    for i in range(out.shape[1]):
        if out.iloc[:, i].dtype == object:
            out.isetitem(i, out.iloc[:, i].map(_plain))
    return neutralize(out)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM: without the BOM, Excel on Chinese Windows decodes the file as GBK and shows mojibake."""
    return _prepare(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


# ---------------------------------------------------------------------------------------------------------------
GENERATED_AT = "generated_at"
# Control characters XML (so XLSX) cannot hold, as openpyxl defines them (openpyxl itself is imported on export:
# a reader who never downloads a workbook never loads it).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(name: str, fallback: str) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\ (openpyxl would refuse or Excel would repair)."""
    title = _SHEET_BAD.sub("_", name).strip("' ")[:31]
    return title or fallback


def _cell_value(value: object) -> object:
    """A value openpyxl can store: None for missing, naive datetimes, text without XML-illegal control bytes."""
    if value is None or (not isinstance(value, (str, bytes)) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.tz_convert("UTC").tz_localize(None) if value.tzinfo else value
        return value.to_pydatetime()
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)  # Excel has no time zones; stored as UTC
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalar → Python
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _write_rows(sheet: Any, header: list[object], rows: list[list[object]]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.append([_cell_value(h) for h in header])
    for row in rows:
        sheet.append([_cell_value(v) for v in row])
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":  # belt and braces: openpyxl turns any str starting with "=" into a formula
                cell.data_type = "s"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, column in enumerate(sheet.iter_cols(max_row=min(sheet.max_row, 200)), start=1):
        # CJK characters are about twice as wide as Latin ones
        width = max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(c.value)) for c in column if c.value is not None),
                    default=6)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 6), 60)


XLSX_MAX_ROWS = 1_048_575  # a worksheet's 1,048,576 rows, one of them the header


def xlsx_bytes(frame: pd.DataFrame, about: Mapping[str, str], sheet: str = "data", lang: str = "en") -> bytes:
    """Sheet 1 the neutralized data; sheet 2 "about" (说明): what the data are (source, citation, filters, time
    made), its headers in the reader's language."""
    if len(frame) > XLSX_MAX_ROWS:
        raise ValueError(f"{len(frame):,} rows do not fit in one XLSX sheet (at most {XLSX_MAX_ROWS:,}); use CSV")
    from openpyxl import Workbook

    data = _prepare(frame)
    book = Workbook()
    ws = book.active
    ws.title = _sheet_title(sheet, "data") if sheet.strip().lower() != "about" else "data"
    _write_rows(ws, list(data.columns), data.astype(object).values.tolist())
    if len(data.columns):
        ws.auto_filter.ref = ws.dimensions

    fields, stamp = dict(about), t("about_generated", lang)
    if not any(re.sub(r"[\s_]+", "_", str(k).strip().lower()) in (GENERATED_AT, stamp) for k in fields):
        fields[stamp] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    info = neutralize(pd.DataFrame({"field": list(fields), "value": [str(v) for v in fields.values()]},
                                   dtype=object))
    _write_rows(book.create_sheet(t("xlsx_about", lang)), [t("xlsx_field", lang), t("xlsx_value", lang)],
                info.values.tolist())

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------------------
# Attribution: every exported chart and table carries the sources of exactly what it holds (Our World in Data's
# downloads are the model: the data, its metadata as JSON, and a short README).
RELEASE_FIELDS = ("release_id", "title", "title_en", "publisher", "publisher_en", "published", "citation", "terms",
                  "source_urls", "data_year_from", "data_year_to", "raw_sha256")


def _plain_value(value: object) -> object:
    """JSON-ready: dates as ISO text, arrays as lists, numpy scalars as Python."""
    if isinstance(value, (datetime, pd.Timestamp)) or hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


@dataclass(frozen=True)
class Attribution:
    """What a download holds and where it came from: only the releases its rows come from, only the filters that
    were applied, whether its ranks are as published or computed, the view's URL and the time it was made."""

    title: str
    lang: str
    releases: tuple[dict[str, Any], ...]  # rows of queries.releases() (with their family's publisher)
    ranks: str = ""  # published | computed | mixed | "" (no ranks)
    url: object = ""  # the view's link (text, or an object whose str() is the link once the run is complete)
    filters: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    generated: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))

    @staticmethod
    def ranks_of(rank_source: Sequence[object]) -> str:
        kinds = {s for s in rank_source if isinstance(s, str)}
        return "" if not kinds else kinds.pop() if len(kinds) == 1 else "mixed"

    def _title(self, release: Mapping[str, Any]) -> str:
        return str(release["title_en"] if self.lang == "en" and release.get("title_en") else release["title"])

    def _publisher(self, release: Mapping[str, Any]) -> str:
        """The index family's publisher (a release's partners are in its own metadata)."""
        english = self.lang == "en" and release.get("family_publisher_en")
        return str(release["family_publisher_en"] if english else release.get("family_publisher")
                   or release["publisher"])

    def source_line(self) -> str:
        """'来源：腾讯研究院，《…(2016)》、《…(2018)》' — each publisher with the titles of exactly these releases."""
        by_publisher: dict[str, list[str]] = {}
        for release in self.releases:
            by_publisher.setdefault(self._publisher(release), []).append(self._title(release))
        join = "、" if self.lang == "zh" else "; "
        parts = [t("source_part", self.lang, publisher=who, titles=join.join(dict.fromkeys(titles)))
                 for who, titles in by_publisher.items()]
        return t("source_line", self.lang, sources=("；" if self.lang == "zh" else " | ").join(parts))

    def footer_lines(self) -> list[str]:
        """The footer of an exported chart: sources; how the ranks came about; the view's URL and the date."""
        second = [t(f"ranks_{self.ranks}", self.lang)] if self.ranks else []
        second += [str(self.url)] if str(self.url) else []
        second.append(self.generated[:10])
        return [self.source_line(), " · ".join(second)]

    def fields(self) -> dict[str, str]:
        """The XLSX 'about' sheet: one field per row."""
        def key(field: str, **values: object) -> str:
            return t(f"about_{field}", self.lang, **values)

        out = {key("title"): self.title, key("sources"): self.source_line()}
        if self.ranks:
            out[key("ranks")] = t(f"ranks_{self.ranks}", self.lang)
        out.update({key("filter", name=k): v for k, v in self.filters})
        for i, note in enumerate(self.notes, start=1):
            out[key("note", i=i)] = note
        for release in self.releases:
            rid = release["release_id"]
            out[key("citation", release=rid)] = str(release["citation"])
            out[key("terms", release=rid)] = str(release["terms"])
            out[key("source_urls", release=rid)] = ", ".join(_plain_value(release["source_urls"]) or [])
        if str(self.url):
            out[key("url")] = str(self.url)
        out[key("generated")] = self.generated
        return out

    def metadata(self, frame: pd.DataFrame) -> dict[str, Any]:
        """metadata.json of a CSV download."""
        return {
            "title": self.title, "generated_at": self.generated, "url": str(self.url) or None,
            "ranks": self.ranks or None, "filters": dict(self.filters), "notes": list(self.notes),
            "rows": len(frame), "columns": [str(c) for c in frame.columns],
            "releases": [{k: _plain_value(r.get(k)) for k in RELEASE_FIELDS} for r in self.releases],
        }

    def readme(self) -> str:
        lines = [f"# {self.title}", "", self.source_line()]
        if self.ranks:
            lines.append(t(f"ranks_{self.ranks}", self.lang))
        lines += [f"- {k}: {v}" for k, v in self.filters] + [f"- {n}" for n in self.notes]
        lines += ["", t("readme_cite", self.lang)] + [f"- {r['citation']}" for r in self.releases]
        lines += ["", t("readme_files", self.lang), "", str(self.url), self.generated]
        return "\n".join(lines).strip() + "\n"


_GEO_TRACES = {"choropleth", "scattergeo"}


def with_footer(fig: go.Figure | dict, lines: Sequence[str]) -> dict:
    """A copy of the figure with its attribution at the bottom, in a second legend anchored to the figure's
    bottom edge (a legend reserves its own margin, so it never overlaps axis labels)."""
    figure = copy.deepcopy(fig.to_dict() if isinstance(fig, go.Figure) else fig)
    layout, data = figure.setdefault("layout", {}), figure.setdefault("data", [])
    shown = layout.get("showlegend")
    if shown is None:  # Plotly's default: a legend once two or more traces may appear in it
        shown = sum(1 for tr in data if tr.get("showlegend", True)) >= 2
    if not shown:  # the chart has no legend of its own: keep it so, but show the footer
        for trace in data:
            trace.setdefault("showlegend", False)
    layout["showlegend"] = True
    geo = any(tr.get("type") in _GEO_TRACES for tr in data)
    anchor = {"type": "scattergeo", "lon": [None], "lat": [None]} if geo else \
        {"type": "scatter", "x": [None], "y": [None]}
    data.append({
        **anchor, "mode": "markers", "marker": {"color": "rgba(0,0,0,0)", "size": 1, "line": {"width": 0}},
        "name": "<br>".join(lines),
        "legend": "legend2", "showlegend": True, "hoverinfo": "skip"})
    layout["legend2"] = {
        "xref": "container", "yref": "container", "x": 0, "y": 0, "xanchor": "left", "yanchor": "bottom",
        "orientation": "h", "itemwidth": 30, "font": {"size": 11, "color": "#5f6670"}, "itemclick": False,
        "itemdoubleclick": False, "bgcolor": "rgba(0,0,0,0)"}
    return figure


def csv_zip_bytes(frame: pd.DataFrame, attribution: Attribution, name: str) -> bytes:
    """A zip of the CSV, metadata.json and README.md (`name` is the CSV's file name)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, csv_bytes(frame))
        archive.writestr("metadata.json", json.dumps(attribution.metadata(frame), ensure_ascii=False, indent=2))
        archive.writestr("README.md", attribution.readme())
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------------------
# Static images with kaleido 1.x. `plotly.io.to_image` launches a fresh Chromium per call (~3–6 s). kaleido's own
# persistent `start_sync_server()` is a process-wide singleton that is NOT thread-safe (concurrent callers share one
# result queue and can receive each other's images), hangs forever if Chromium fails to start, and silently reroutes
# every `pio.to_image` in the process. So we keep a private `kaleido.Kaleido` browser on its own event-loop thread:
# each call gets its own future (Streamlit runs deferred downloads in worker threads), calls are bounded by a
# timeout, and a dead or stuck browser is replaced on the next call.
RENDER_TIMEOUT = 60.0  # seconds for one image (a large map takes ~2 s)
START_TIMEOUT = 60.0  # seconds to launch Chromium
TABS = 2  # concurrent renders; more tabs cost memory for little gain on a small server
IMAGE_FORMATS = ("png", "svg")


def browser_path() -> str | None:
    """The system Chromium (never a downloaded one): $BROWSER_PATH, else chromium/chrome on PATH."""
    if env := os.environ.get("BROWSER_PATH"):
        return env if os.path.isfile(env) else None  # a wrong explicit path is an error, not a silent fallback
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if found := shutil.which(name):
            return found
    return None


class ImageEngine:
    """One headless Chromium (via kaleido) kept open and shared by all threads."""

    def __init__(self, **browser_options: Any) -> None:
        self._options = browser_options  # e.g. proxy_server for tests that forbid the network
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido: Any = None

    def _alive(self) -> bool:
        process = getattr(self._kaleido, "subprocess", None)
        return self._loop is not None and self._loop.is_running() and process is not None and process.poll() is None

    def _start(self) -> None:
        import kaleido  # imported late: importing it is slow-ish and only figure exports need it

        path = browser_path()
        if path is None:
            raise RuntimeError("figure export needs Chromium (Debian package `chromium`, or set BROWSER_PATH)")
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="kaleido-engine", daemon=True).start()

        async def launch() -> Any:
            # mathjax=False: kaleido would otherwise load MathJax from a CDN; plotly.js comes from the plotly package
            engine = kaleido.Kaleido(n=TABS, timeout=RENDER_TIMEOUT, mathjax=False, path=path, **self._options)
            await engine.open()
            return engine

        try:
            self._kaleido = asyncio.run_coroutine_threadsafe(launch(), loop).result(START_TIMEOUT)
        except BaseException:
            loop.call_soon_threadsafe(loop.stop)
            raise
        self._loop = loop

    def _stop(self) -> None:
        loop, engine = self._loop, self._kaleido
        self._loop = self._kaleido = None
        if loop is None:
            return
        if engine is not None:
            with contextlib.suppress(Exception):  # a browser that will not close dies with the process
                asyncio.run_coroutine_threadsafe(engine.close(), loop).result(15)
        loop.call_soon_threadsafe(loop.stop)

    def close(self) -> None:
        """Quit Chromium (registered at exit; safe to call twice; the next render starts a new one)."""
        with self._lock:
            self._stop()

    def _ready(self) -> tuple[asyncio.AbstractEventLoop, Any]:
        with self._lock:  # guards start/restart only; renders themselves run concurrently in the browser's tabs
            if not self._alive():
                self._stop()
                self._start()
            return self._loop, self._kaleido

    def warm_up(self) -> None:
        """Launch Chromium in a background thread (a no-op when it runs or is being launched)."""
        if self._alive() or self._lock.locked():
            return

        def launch() -> None:
            with contextlib.suppress(Exception):  # a failure shows up, with its message, on the first real render
                self._ready()

        threading.Thread(target=launch, name="kaleido-warm-up", daemon=True).start()

    def render(self, figure: dict, opts: dict[str, Any], topojson: str | None) -> bytes:
        loop, engine = self._ready()
        future = asyncio.run_coroutine_threadsafe(engine.calc_fig(figure, opts=opts, topojson=topojson), loop)
        try:
            return future.result(RENDER_TIMEOUT + 10)
        except Exception as error:
            future.cancel()
            from kaleido.errors import JavascriptError, KaleidoError

            if not isinstance(error, (KaleidoError, JavascriptError)):  # the browser, not the figure, failed
                with self._lock:
                    if self._kaleido is engine:
                        self._stop()
            raise


_ENGINE = ImageEngine()
atexit.register(_ENGINE.close)


def warm_up() -> None:
    """Start the shared Chromium now, in the background: the first launch takes 4–10 s, and the first user to
    click a PNG/SVG button should not wait for it. Costs one idle Chromium (~150 MB) until the process exits."""
    _ENGINE.warm_up()


def close_engine() -> None:
    """Quit the shared Chromium now (tests; it also quits at interpreter exit)."""
    _ENGINE.close()


_CARTESIAN = {"bar", "scatter", "scattergl", "histogram", "histogram2d", "histogram2dcontour", "box", "violin",
              "heatmap", "contour", "funnel", "waterfall", "ohlc", "candlestick", "image"}


def _fit_tick_labels(figure: dict) -> None:
    """Let cartesian axes grow their margins: the template's 10 px margins cut long city names off the image.

    Only axes that traces use get `automargin` (unless the figure sets it), so maps gain no stray axes.
    """
    layout = figure.setdefault("layout", {})
    for trace in figure.get("data", []):
        if trace.get("type", "scatter") not in _CARTESIAN:
            continue
        for letter in ("x", "y"):
            ref = trace.get(f"{letter}axis", letter)  # "x", "x2", …
            layout.setdefault(f"{letter}axis{ref[1:]}", {}).setdefault("automargin", True)


def _local_assets(figure: dict) -> None:
    """Boundaries the browser fetches from the app's static files (`app/static/…`) come from disk for the export:
    the renderer has no app to ask."""
    local = pio.defaults.topojson  # data/geo as a file:// URI (set by dashboard.charts)
    for trace in figure.get("data", []):
        url = trace.get("geojson")
        if isinstance(url, str) and url.startswith(dashboard.charts.TOPOJSON_URL) and local:
            trace["geojson"] = local + url.removeprefix(dashboard.charts.TOPOJSON_URL)


def image_height(fig: go.Figure | dict, width: int, height: int | None = None) -> int:
    """The export height in layout pixels: as given, else the figure's own height, else 3:5 of the width."""
    if height is None:
        layout = fig.get("layout", {}) if isinstance(fig, dict) else fig.layout.to_plotly_json()
        height = layout.get("height") or round(width * 0.6)
    return int(height)


def figure_bytes(fig: go.Figure | dict, fmt: str, width: int = 1200, height: int | None = None,
                 scale: float = 2) -> bytes:
    """The figure as PNG (width×scale pixels wide) or SVG, rendered by the shared headless Chromium.

    Thread-safe. The first call launches Chromium (~1–2 s); later calls take a fraction of a second.
    """
    fmt = fmt.lower()
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"image format must be one of {IMAGE_FORMATS}, not {fmt!r}")
    figure = fig.to_dict() if isinstance(fig, go.Figure) else go.Figure(fig).to_dict()
    _fit_tick_labels(figure)
    _local_assets(figure)
    opts = {"format": fmt, "width": int(width), "height": image_height(figure, width, height), "scale": float(scale)}
    # The base map comes from data/geo (set by dashboard.charts), so maps render offline.
    return _ENGINE.render(figure, opts, pio.defaults.topojson)


# ---------------------------------------------------------------------------------------------------------------
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
MAX_STEM = 120  # well below the 255-byte limit of common file systems, with room for " (1)" added by browsers


def _slug(text: str) -> str:
    # NFKD: full-width "２０１８" → "2018", "Ürümqi" → "U" + "¨" … (the accent is dropped); any other character,
    # Chinese included, is a separator, so "2011–2023" keeps its two years apart.
    decomposed = "".join(ch for ch in unicodedata.normalize("NFKD", str(text)) if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9-]+", "_", decomposed.lower()).strip("_-")


def file_name(*parts: str, ext: str) -> str:
    """`tencent_internet_plus_2018_total_city_west_rankings.csv`: ASCII slugs of the parts joined by "_".

    Parts without any ASCII letters or digits (a Chinese city name) are dropped rather than transliterated;
    the result is never empty, hidden, a path or a reserved Windows device name.
    """
    slugs = [s for s in (_slug(p) for p in parts if p is not None) if s]
    stem = "_".join(slugs)[:MAX_STEM].strip("_-") or "download"
    if stem in _WINDOWS_RESERVED:
        stem += "_file"
    suffix = _slug(ext).replace("_", "").replace("-", "")
    if not suffix:
        raise ValueError(f"not a file extension: {ext!r}")
    return f"{stem}.{suffix}"

