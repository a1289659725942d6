"""Download buttons under every chart and table: files are built only when the user clicks (deferred data)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import exports
from dashboard.i18n import t

MIME = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "csv": "application/zip",  # the CSV with its metadata.json and README.md
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/zip",  # the Parquet export: partitioned files and manifest.json
}
EXTENSION = {"png": "png", "svg": "svg", "csv": "zip", "xlsx": "xlsx", "parquet": "zip"}
FOOTER_HEIGHT = 56  # px the attribution adds at the bottom of an exported chart
ICONS = {"png": ":material/image:", "svg": ":material/draw:", "csv": ":material/csv:",
         "xlsx": ":material/table_view:", "parquet": ":material/folder_zip:"}
IMAGE_WIDTH, IMAGE_SCALE = 1200, 2  # 2400 px wide PNGs: sharp on slides and in print


def _button(fmt: str, data: object, base: str, lang: str, key: str, help_text: str) -> None:
    # on_click="ignore": downloading must not rerun the page; a callable `data` runs only on click, in a
    # worker thread without session state, so it must capture everything it needs now.
    st.download_button(t(f"dl_{fmt}", lang), data=data, file_name=exports.file_name(base, ext=EXTENSION[fmt]),
                       mime=MIME[fmt],
                       key=f"dl_{key}_{fmt}", help=help_text, on_click="ignore", icon=ICONS[fmt], width="content")


def figure_downloads(fig: go.Figure, base: str, lang: str, key: str, attribution: exports.Attribution) -> None:
    """The chart's sources under it, and PNG and SVG buttons whose images carry the same attribution as a footer.
    Do not change `fig` after this call: the image is drawn from it later."""
    st.caption(attribution.source_line())
    height = exports.image_height(fig, IMAGE_WIDTH) + FOOTER_HEIGHT
    size = {"width": IMAGE_WIDTH * IMAGE_SCALE, "height": height * IMAGE_SCALE}
    with st.container(horizontal=True, gap="small"):
        for fmt, help_text in (("png", t("dl_png_help", lang, **size)), ("svg", t("dl_svg_help", lang))):
            _button(fmt, partial(_figure_file, fig, attribution, fmt, height), base, lang, key, help_text)


def _figure_file(fig: go.Figure, attribution: exports.Attribution, fmt: str, height: int) -> bytes:
    """Drawn on click: by then the view's link in the footer is complete."""
    return exports.figure_bytes(exports.with_footer(fig, attribution.footer_lines()), fmt, IMAGE_WIDTH, height,
                                IMAGE_SCALE)


def _table_file(fmt: str, frame: pd.DataFrame | Callable[[], pd.DataFrame], attribution: exports.Attribution,
                name: str) -> bytes:
    rows = frame() if callable(frame) else frame
    if fmt == "csv":
        return exports.csv_zip_bytes(rows, attribution, name)
    return exports.xlsx_bytes(rows, attribution.fields(), t("xlsx_data", attribution.lang), attribution.lang)


def table_downloads(frame: pd.DataFrame | Callable[[], pd.DataFrame], attribution: exports.Attribution, base: str,
                    lang: str, key: str, formats: Sequence[str] = ("csv", "xlsx")) -> None:
    """CSV (zipped with metadata.json and README.md) and XLSX (with an 'about' sheet) buttons side by side.
    `frame` may be a loader, so that big tables are read only when a button is clicked."""
    csv_name = exports.file_name(base, ext="csv")
    with st.container(horizontal=True, gap="small"):
        for fmt in formats:
            _button(fmt, partial(_table_file, fmt, frame, attribution, csv_name), base, lang, key,
                    t(f"dl_{fmt}_help", lang))


def parquet_download(loader: Callable[[], bytes], base: str, lang: str) -> None:
    """The Parquet export's button; `loader` builds the zip only when it is clicked."""
    _button("parquet", loader, base, lang, "export", t("dl_parquet_help", lang))
