"""Chart builders: plain functions from data frames to Plotly figures (no Streamlit), in zh or en."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dashboard.i18n import localized, ordinal, t
from etl.paths import GEO_DIR

CJK_FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
# (Okabe–Ito's pale yellow is left out: it does not read as line or text on white; Tol's muted colours follow.)
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#882255", "#117733",
             "#999933"]
BASE, WEST, MUTED, HIGHLIGHT = "#0072B2", "#D55E00", "#C8CCD2", "#E69F00"

pio.templates["cnindex"] = go.layout.Template(
    layout=go.Layout(
        font=dict(family=CJK_FONT, size=13, color="#1f2328"),
        colorway=OKABE_ITO,
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin=dict(l=10, r=10, t=50, b=10),
        hoverlabel=dict(font=dict(family=CJK_FONT)),
        modebar=dict(orientation="v"),  # a vertical toolbar on the right keeps clear of left-aligned titles
        title=dict(x=0, xanchor="left"),
        xaxis=dict(gridcolor="#eceef1", zeroline=False, automargin=True),
        yaxis=dict(gridcolor="#eceef1", zeroline=False, automargin=True),
    )
)
pio.templates.default = "cnindex"


def region_names(frame: pd.DataFrame, lang: str) -> pd.Series:
    return localized(frame, lang, "region_short_zh", "region_en")


def ranking_bar(frame: pd.DataFrame, lang: str, title: str, subtitle: str = "") -> go.Figure:
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
        x=x, y=names, orientation="h", marker_color=colors, text=labels,
        textposition="inside" if has_values else "outside", insidetextanchor="end", cliponaxis=False,
        textfont=dict(color="white") if has_values else None,
        customdata=list(zip(data["rank"].astype(int), data["basis"], strict=True)),
        hovertemplate="%{y}<br>" + t("rank", lang) + " %{customdata[0]}<br>%{customdata[1]}<extra></extra>",
    ))
    fig.update_layout(
        title=dict(text=title, subtitle=dict(text=subtitle)), height=max(280, 34 * len(data) + 130),
        showlegend=False, yaxis=dict(autorange="reversed", title=None),
        xaxis=dict(title=axis_title, showticklabels=has_values,
                   range=None if has_values else [0, float(x.max()) * 1.18] if len(x) else None),
        margin=dict(t=80),
        meta={"alt": t("alt_ranking_bar", lang, n=len(data), title=f"{title} {subtitle}".strip())},
    )
    return fig


def rank_axis(worst: float, lang: str, span: list[float]) -> dict:
    """A rank axis, best on top: whole-number ticks only (one per rank while few, or 'd' would print 1, 1, 2, 2)."""
    return dict(range=span, title=t("rank_axis", lang), tickformat="d", dtick=1 if worst <= 12 else None)


def rank_label(rank: object, lang: str) -> str:
    return ordinal(None if pd.isna(rank) else int(rank), lang)


# Plotly geo subplots always fetch a base topojson; serve ours (built by etl.geo into data/geo, which the app
# serves as static files) instead of Plotly's CDN, in the browser and in kaleido's server-side export.
TOPOJSON_URL = "app/static/"
pio.defaults.topojson = GEO_DIR.resolve().as_uri() + "/"

# Plotly's toolbar: PNG download at a print-friendly size, no logo, offline base map.
PLOTLY_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2},
                 "topojsonURL": TOPOJSON_URL}


def _framework_marks(fig: go.Figure, periods: pd.DataFrame, categories: list[str], lang: str,
                     label: bool = True) -> None:
    """Dashed lines where an edition changed the index framework (ranks stay comparable, points do not).

    Positions are category indices: a label such as "2020" would otherwise be read as a number.
    """
    ordered = periods.sort_values("data_year")
    changed = ordered[ordered["framework"] != ordered["framework"].shift()].iloc[1:]
    for row in changed.itertuples():
        x = categories.index(row.label) if row.label in categories else None
        if x is None:
            continue
        fig.add_vline(x=x, line_dash="dot", line_color="#888")
        if label:
            fig.add_annotation(x=x, y=0, yref="paper", yanchor="top", yshift=-28,
                               text=t("framework_change", lang), showarrow=False, font=dict(size=11, color="#666"),
                               xanchor="center")


def _end_labels(line: pd.DataFrame, measure: str) -> tuple[list[str], list[str]]:
    """Text only at both ends of a line (name and rank), instead of a legend."""
    n = len(line)
    text = [""] * n
    position = ["top center"] * n
    text[0] = f"{line['name'].iloc[0]} {_fmt(line.iloc[0], measure)}"
    position[0] = "middle left"
    if n > 1:
        text[-1] = f"{_fmt(line.iloc[-1], measure)} {line['name'].iloc[-1]}"
        position[-1] = "middle right"
    return text, position


def bump_chart(history: pd.DataFrame, periods: pd.DataFrame, focus: list[str], lang: str, title: str,
               value_mode: bool = False, compact: bool = False) -> go.Figure:
    """Rank (or value) across periods, one line per region; `focus` regions coloured, others grey.

    Labels sit at both ends of each coloured line instead of a legend; rank 1 is on top. The rank axis
    shows the coloured lines' range: grey context lines may leave it (a dense panel has hundreds of ranks).
    """
    if compact:  # phones: the bare edition/year as the axis label
        periods = periods.assign(label=periods["period"])
    labels = dict(zip(periods["period"], periods["label"], strict=True))
    measure = "value" if value_mode else "rank"
    data = history.assign(label=history["period"].map(labels), name=region_names(history, lang))
    data = data.dropna(subset=[measure])
    categories = [c for c in periods["label"] if c in set(data["label"])]
    ordered_focus = [a for a in focus if a in set(data["adcode"])]
    others = [a for a in data["adcode"].unique() if a not in set(ordered_focus)]
    palette = iter(OKABE_ITO * 4)
    fig = go.Figure()
    for adcode in others + ordered_focus:
        line = data[data["adcode"] == adcode].sort_values("data_year")
        highlighted = adcode in ordered_focus
        color = next(palette) if highlighted else MUTED
        text, position = _end_labels(line, measure) if highlighted else (None, None)
        fig.add_trace(go.Scatter(
            x=line["label"], y=line[measure], mode="lines+markers+text" if highlighted else "lines+markers",
            name=line["name"].iloc[0], text=text, textposition=position, textfont=dict(color=color, size=12),
            line=dict(color=color, width=3 if highlighted else 1.2), marker=dict(size=8 if highlighted else 5),
            opacity=1 if highlighted else 0.7, showlegend=False, cliponaxis=not highlighted,
            hovertemplate=f"{line['name'].iloc[0]}<br>%{{x}}: " + (t("rank", lang) + " %{y}" if not value_mode
                                                                  else "%{y:,.2f}") + "<extra></extra>",
        ))
    _framework_marks(fig, periods[periods["period"].isin(data["period"])], categories, lang, label=not compact)
    shown = data[data["adcode"].isin(ordered_focus)][measure]
    if value_mode:
        yaxis = dict(title=t("value_axis", lang))
        height = 480
    else:
        worst = float(shown.max()) if len(shown) else float(data[measure].max())
        # The line ends carry the ranks, so tick labels would only collide with them.
        yaxis = dict(range=[worst + 0.8, 0.2], title=t("rank_axis", lang), dtick=1 if worst <= 25 else None,
                     showticklabels=False)
        height = int(min(900, max(420, 28 * worst + 160)))
    side = 70 if compact else 130
    fig.update_layout(
        title=title, height=height, yaxis=yaxis, font=dict(size=11) if compact else None,
        xaxis=dict(type="category", categoryorder="array", categoryarray=categories, title=None,
                   tickangle=-45 if compact or len(categories) > 8 else 0),
        margin=dict(l=side, r=side, t=70, b=60),
        meta={"alt": t("alt_bump", lang, title=title, n=len(ordered_focus), periods=len(categories))},
    )
    return fig


def _fmt(point: pd.Series, measure: str) -> str:
    return f"#{int(point[measure])}" if measure == "rank" else f"{point[measure]:,.1f}"


def slope_chart(frame: pd.DataFrame, start_label: str, end_label: str, lang: str, title: str,
                compact: bool = False) -> go.Figure:
    """Rank in two periods joined by a line per region; climbers green, fallers vermillion."""
    data = frame.dropna(subset=["start_rank", "end_rank"]).assign(name=lambda d: region_names(d, lang))
    fig = go.Figure()
    for row in data.itertuples():
        color = "#009E73" if row.rank_change > 0 else ("#D55E00" if row.rank_change < 0 else "#7f7f7f")
        fig.add_trace(go.Scatter(
            x=[start_label, end_label], y=[row.start_rank, row.end_rank], mode="lines+markers+text",
            line=dict(color=color, width=2), showlegend=False, cliponaxis=False,
            text=[f"{row.name} #{row.start_rank}", f"#{row.end_rank} {row.name}"],
            textposition=["middle left", "middle right"], textfont=dict(size=10 if compact else 11, color=color),
            hovertemplate=f"{row.name}: #{row.start_rank} → #{row.end_rank}<extra></extra>"))
    worst = float(max(data["start_rank"].max(), data["end_rank"].max())) if len(data) else 1.0
    side = 80 if compact else 150
    fig.update_layout(
        title=title, height=max(380, 22 * len(data) + 150), margin=dict(l=side, r=side, t=60, b=30),
        xaxis=dict(type="category", categoryorder="array", categoryarray=[start_label, end_label], title=None),
        yaxis=dict(range=[worst + 0.8, 0.2], showticklabels=False, title=None),
        meta={"alt": t("alt_slope", lang, title=title, n=len(data))})
    return fig


def rank_heatmap(frame: pd.DataFrame, lang: str, title: str) -> go.Figure:
    """Regions (rows) × sub-indicators (columns), coloured by rank; empty cells are 'not published'."""
    names = region_names(frame, lang)
    ind_names = localized(frame, lang, "indicator_zh", "indicator_en")
    data = frame.assign(name=names, ind=ind_names)
    columns = list(dict.fromkeys(data.sort_values("sort")["ind"]))
    rows = list(dict.fromkeys(data.sort_values(["total_rank", "name"], na_position="last")["name"]))
    grid = data.pivot_table(index="name", columns="ind", values="rank", aggfunc="min").reindex(index=rows,
                                                                                              columns=columns)
    text = grid.map(lambda v: "" if pd.isna(v) else str(int(v)))
    # Colour by log(rank): the difference between 1st and 10th matters more than between 200th and 300th,
    # and one far-off rank no longer flattens the rest of the scale.
    ticks = [r for r in (1, 3, 10, 30, 100, 300) if r <= max(float(data["rank"].max()), 1)]
    fig = go.Figure(go.Heatmap(
        z=np.log10(grid.values.astype(float)), x=columns, y=rows, text=text.values, texttemplate="%{text}",
        colorscale="Cividis", zmin=0, hoverongaps=False, xgap=2, ygap=2,
        colorbar=dict(title=t("rank", lang), tickvals=np.log10(ticks), ticktext=[str(r) for r in ticks]),
        hovertemplate="%{y} · %{x}: " + t("rank", lang) + " %{text}<extra></extra>",
    ))
    fig.update_layout(title=title, height=max(360, 24 * len(rows) + 170), yaxis=dict(autorange="reversed"),
                      xaxis=dict(side="top", tickangle=-30), plot_bgcolor="#f3f4f6", margin=dict(t=140),
                      meta={"alt": t("alt_heatmap", lang, title=title, rows=len(rows), cols=len(columns))})
    return fig


def profile_dots(frame: pd.DataFrame, city: str, peer_label: str, lang: str, title: str) -> go.Figure:
    """One region's rank on each sub-indicator beside the median rank of its peers; further right = better."""
    ind = localized(frame, lang, "indicator_zh", "indicator_en")
    fig = go.Figure()
    for column, name, color, symbol in (("peer_rank", peer_label, HIGHLIGHT, "diamond"),
                                        ("rank", city, BASE, "circle")):
        fig.add_trace(go.Scatter(
            x=frame[column], y=ind, mode="markers+text", name=name,
            marker=dict(color=color, size=14, symbol=symbol, line=dict(color="white", width=1)),
            text=frame[column].map(lambda v: "" if pd.isna(v) else f"#{v:.0f}"), textposition="top center",
            textfont=dict(color=color),
            hovertemplate=f"{name} · %{{y}}: " + t("rank", lang) + " %{x:.0f}<extra></extra>"))
    worst = float(frame[["rank", "peer_rank"]].max().max()) if len(frame) else 1.0
    fig.update_layout(title=title, height=max(300, 60 * len(frame) + 140), legend=dict(orientation="h", y=-0.2),
                      yaxis=dict(autorange="reversed", title=None),
                      xaxis=rank_axis(worst, lang, [worst * 1.08 + 1, 0.5]),
                      meta={"alt": t("alt_profile", lang, title=title, city=city, peers=peer_label)})
    return fig


def compare_dots(frame: pd.DataFrame, lang: str, title: str, order: list[str] | None = None) -> go.Figure:
    """Ranks of 2–6 regions on every indicator of a period: a grouped dot plot, rank 1 on top."""
    data = frame.assign(name=region_names(frame, lang), ind=localized(frame, lang, "indicator_zh", "indicator_en"))
    order = list(dict.fromkeys(data["adcode"])) if order is None else order
    fig = go.Figure()
    for adcode, color in zip(order, OKABE_ITO, strict=False):
        group = data[data["adcode"] == adcode]
        if group.empty:
            continue
        name = group["name"].iloc[0]
        fig.add_trace(go.Scatter(x=group["ind"], y=group["rank"], name=name, mode="markers+text", cliponaxis=False,
                                 marker=dict(color=color, size=16, line=dict(color="white", width=1)),
                                 text=group["rank"].map(lambda v: "" if pd.isna(v) else f"#{int(v)}"),
                                 textposition="middle right", textfont=dict(color=color),
                                 hovertemplate=f"{name} · %{{x}}: " + t("rank", lang) + " %{y}<extra></extra>"))
    worst = float(data["rank"].max()) if data["rank"].notna().any() else 1.0
    n_ind = data["ind"].nunique()
    fig.update_layout(title=title, scattermode="group", height=460, margin=dict(r=60),
                      xaxis=dict(range=[-0.5, n_ind - 0.2], tickangle=-30 if n_ind > 6 else 0),
                      yaxis=rank_axis(worst, lang, [worst * 1.05 + 0.8, 0.2]),
                      legend=dict(orientation="h", y=-0.25),
                      meta={"alt": t("alt_compare", lang, title=title, n=data["name"].nunique())})
    return fig


def history_chart(frame: pd.DataFrame, periods: pd.DataFrame, lang: str, title: str) -> go.Figure:
    """One region's national rank per period for each indicator concept it was ranked on; each line is
    labelled at its last point (a dense panel would pile up labels at every point)."""
    labels = dict(zip(periods["period"], periods["label"], strict=True))
    data = frame.assign(label=frame["period"].map(labels), ind=localized(frame, lang, "indicator_zh", "indicator_en"),
                        concept_name=localized(frame, lang, "concept_zh", "concept_en"))
    categories = [c for c in periods["label"] if c in set(data["label"])]
    fig = go.Figure()
    for (_, group), color in zip(data.groupby("concept", sort=False), OKABE_ITO * 4, strict=False):
        group = group.sort_values("data_year")
        text = [""] * (len(group) - 1) + [f"#{int(group['rank'].iloc[-1])}"]
        fig.add_trace(go.Scatter(x=group["label"], y=group["rank"], mode="lines+markers+text",
                                 name=group["concept_name"].iloc[-1], text=text, textposition="middle right",
                                 textfont=dict(color=color), cliponaxis=False,
                                 line=dict(color=color, width=2.5), customdata=group["ind"],
                                 hovertemplate="%{customdata}<br>%{x}: " + t("rank", lang) + " %{y}<extra></extra>"))
    _framework_marks(fig, periods[periods["period"].isin(data["period"])], categories, lang)
    worst = float(data["rank"].max()) if len(data) else 1.0
    fig.update_layout(title=title, height=440, margin=dict(r=60),
                      yaxis=rank_axis(worst, lang, [worst * 1.05 + 0.8, 0.2]),
                      xaxis=dict(type="category", categoryorder="array", categoryarray=categories,
                                 tickangle=-45 if len(categories) > 8 else 0),
                      legend=dict(orientation="h", y=-0.25),
                      meta={"alt": t("alt_history", lang, title=title, n=data["concept"].nunique())})
    return fig
