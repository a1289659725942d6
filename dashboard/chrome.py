"""What every page shows around its charts: the title, the family's caveats, and the attribution of downloads."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode, urlsplit, urlunsplit

import pandas as pd
import streamlit as st

from dashboard import charts, downloads, exports
from dashboard import queries as q
from dashboard.context import View
from dashboard.i18n import t

PAGE_PATH_KEY = "_page_path"


def header(view: View, title: str, caption: str | None = None) -> None:
    """The page title, what it shows, and the notes of this family (from its catalogue: never another's)."""
    st.title(title)
    if caption:
        st.caption(caption)
    for note in view.caveats:
        st.info(note, icon=":material/info:")


def is_phone() -> bool:
    """Narrow screens get compact charts (the server only knows the browser's user agent)."""
    return "Mobi" in (st.context.headers.get("User-Agent") or "")


def chart(view: View, fig, key: str, base: str, attribution: exports.Attribution, notes: Iterable[str] = (),
          **options) -> None:
    """A chart as every page shows it: the figure (no toolbar on a phone: it would cover the chart), its one-line
    description, notes on reading it, its sources, and PNG/SVG downloads that carry those sources."""
    config = {**charts.PLOTLY_CONFIG, "displayModeBar": not is_phone()}
    st.plotly_chart(fig, config=config, key=key, **options)
    st.caption(fig.layout.meta["alt"])
    for note in notes:
        st.caption(note)
    downloads.figure_downloads(fig, base, view.lang, key=key, attribution=attribution)


def view_url() -> str:
    """This view as a link: the app's address, the page, and the parameters the controls wrote."""
    parts = urlsplit(st.context.url or "")
    path = "/" + st.session_state.get(PAGE_PATH_KEY, "").lstrip("/")
    query = urlencode({k: st.query_params[k] for k in st.query_params})
    return urlunsplit((parts.scheme or "http", parts.netloc or "localhost:8501", path, query, ""))


def applied_filters(view: View, region_names: dict[str, str] | None = None) -> tuple[tuple[str, str], ...]:
    """The filters a table actually applied (only those set), for its metadata."""
    f, lang = view.filters, view.lang
    out = []
    if f.region != "all":
        out.append((t("region", lang), t(f"region_{f.region}", lang)))
    if f.province:
        out.append((t("province", lang), f.province))
    if f.cities:
        out.append((t("cities", lang), ", ".join((region_names or {}).get(c, c) for c in f.cities)))
    return tuple(out)


def attribution(view: View, title: str, releases: Iterable[str] | pd.Series, rank_source: Iterable[object] = (),
                filtered: bool = True) -> exports.Attribution:
    """The attribution of a download holding rows of `releases`: their provenance only, the filters applied."""
    wanted = set(pd.Series(list(releases), dtype=object).dropna())
    rel = q.releases(view.filters.family)
    rows = rel[rel["release_id"].isin(wanted)].to_dict("records")
    return exports.Attribution(
        title=title, lang=view.lang, publisher=str(view.family["publisher_en" if view.lang == "en" else "publisher"]),
        releases=tuple(rows), ranks=exports.Attribution.ranks_of(list(rank_source)),
        url=view_url(), filters=applied_filters(view) if filtered else (), notes=tuple(view.caveats))
