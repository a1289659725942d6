"""Chart builders: plain functions from data frames to Plotly figures (no Streamlit), in zh or en."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dashboard.i18n import localized, ordinal, t
from etl.paths import GEO_DIR

CJK_FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
BASE, WEST, MUTED, HIGHLIGHT = "#0072B2", "#D55E00", "#C8CCD2", "#E69F00"

pio.templates["cnindex"] = go.layout.Template(
    layout=go.Layout(
        font=dict(family=CJK_FONT, size=13, color="#1f2328"),
        colorway=OKABE_ITO,
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin=dict(l=10, r=10, t=50, b=10),
        hoverlabel=dict(font=dict(family=CJK_FONT)),
        xaxis=dict(gridcolor="#eceef1", zeroline=False),
        yaxis=dict(gridcolor="#eceef1", zeroline=False),
    )
)
pio.templates.default = "cnindex"


def region_names(frame: pd.DataFrame, lang: str) -> pd.Series:
    return localized(frame, lang, "region_short_zh", "region_en")


def ranking_bar(frame: pd.DataFrame, lang: str, title: str) -> go.Figure:
    """Top-N as horizontal bars: by value where published, else by rank (bar length = places from the bottom).

    Western cities are drawn in a second colour so the western lens is visible in every ranking.
    """
    data = frame.dropna(subset=["rank"]).sort_values("rank")
    names = region_names(data, lang)
    has_values = bool(data["value"].notna().all()) and len(data) > 0
    if has_values:
        x, axis_title = data["value"], t("value_axis", lang)
    else:
        x, axis_title = (data["rank"].max() + 1 - data["rank"]), t("rank_axis", lang)
    labels = [f"#{int(r)}" + (f" · {v:,.2f}" if has_values else "") for r, v in zip(data["rank"], data["value"],
                                                                                      strict=True)]
    colors = [WEST if w else BASE for w in data["is_west"]]
    fig = go.Figure(go.Bar(
        x=x, y=names, orientation="h", marker_color=colors, text=labels, textposition="outside",
        cliponaxis=False,
        customdata=list(zip(data["rank"].astype(int), data["basis"], strict=True)),
        hovertemplate="%{y}<br>" + t("rank", lang) + " %{customdata[0]}<br>%{customdata[1]}<extra></extra>",
    ))
    fig.update_layout(
        title=title, height=max(260, 34 * len(data) + 110), showlegend=False,
        yaxis=dict(autorange="reversed", title=None),
        xaxis=dict(title=axis_title, showticklabels=has_values, range=[0, float(x.max()) * 1.18] if len(x) else None),
        meta={"alt": t("alt_ranking_bar", lang, n=len(data), title=title)},
    )
    return fig


def rank_label(rank: object, lang: str) -> str:
    return ordinal(None if pd.isna(rank) else int(rank), lang)


# Plotly geo subplots always fetch a base topojson; serve ours (built by etl.geo into data/geo, which the app
# serves as static files) instead of Plotly's CDN, in the browser and in kaleido's server-side export.
TOPOJSON_URL = "app/static/"
pio.defaults.topojson = GEO_DIR.resolve().as_uri() + "/"

# Plotly's toolbar: PNG download at a print-friendly size, no logo, offline base map.
PLOTLY_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2},
                 "topojsonURL": TOPOJSON_URL}
