"""Chart builders: plain functions from data frames to Plotly figures (no Streamlit), in zh or en."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dashboard import presentation as pres
from dashboard.i18n import localized, ordinal, t
from etl.paths import GEO_DIR

CJK_FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
# (Okabe–Ito's pale yellow is left out: it does not read as line or text on white; Tol's muted colours follow.)
# Amber ("your chosen region") and vermillion ("western") are kept out of the line palette: they mean the same
# wherever they appear.
OKABE_ITO = ["#0072B2", "#009E73", "#CC79A7", "#56B4E9", "#000000", "#882255", "#117733", "#999933"]
BASE, WEST, MUTED, HIGHLIGHT = "#0072B2", "#D55E00", "#C8CCD2", "#E69F00"
ROSE, FELL, SAME = "#009E73", "#882255", "#7f7f7f"  # slope chart; not vermillion, which means "western"

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


def figure(data: object = None) -> go.Figure:
    """A new figure in the project's template, named explicitly: Streamlit sets Plotly's process-wide default
    template to its own when it first draws a chart, so a figure made after that would lose our fonts and colours."""
    return go.Figure(data=data, layout=dict(template="cnindex"))


def region_names(frame: pd.DataFrame, lang: str) -> pd.Series:
    return localized(frame, lang, "region_short_zh", "region_en")


def _colours(frame: pd.DataFrame, chosen: Sequence[str] = ()) -> list[str]:
    """Western regions in a second colour (the western lens in every ranking); once the reader has chosen
    regions, those in the highlight and every other one grey."""
    if any(a in chosen for a in frame["adcode"]):
        return [HIGHLIGHT if a in chosen else MUTED for a in frame["adcode"]]
    return [WEST if w else BASE for w in frame["is_west"]]


def wrap(text: str, width: int) -> str:
    """A long title on two lines at the last space before `width` characters (a CJK title is short enough)."""
    if len(text) <= width or " " not in text[:width]:
        return text
    cut = text.rindex(" ", 0, width)
    return f"{text[:cut]}<br>{text[cut + 1:]}"


def colour_key(entries: Sequence[tuple[str, str]]) -> str:
    """A one-line key of the colours drawn ("● western region ● other regions"), for a subtitle: the charts
    without a legend still say what each colour means, in the app and in every export."""
    return "  ".join(f'<span style="color:{c}">●</span> {label}' for c, label in entries)


def _ranking_key(data: pd.DataFrame, chosen: Sequence[str], lang: str) -> str:
    """The key of `_colours`: chosen against the rest once regions are chosen, else western against the others."""
    drawn = set(data["colour"])
    classes = ((HIGHLIGHT, "key_chosen"), (MUTED, "key_others")) if HIGHLIGHT in drawn \
        else ((WEST, "key_west"), (BASE, "key_other"))
    return colour_key([(c, t(key, lang)) for c, key in classes if c in drawn])


def _with_key(subtitle: str, key: str) -> str:
    return f"{subtitle}<br>{key}" if subtitle and key else subtitle or key


def _emphasis(names: Sequence[str], adcodes: Sequence[str], chosen: Sequence[str]) -> list[str]:
    """Category labels with the chosen regions in bold (the axis reads them out)."""
    return [f"<b>{n}</b>" if a in chosen else n for n, a in zip(names, adcodes, strict=True)]


def ranking_chart(frame: pd.DataFrame, lang: str, title: str, subtitle: str = "",
                  chosen: Sequence[str] = ()) -> go.Figure:
    """A ranking as bars of published values where every shown region has one, else as dots on a rank axis."""
    if pres.uses_values(frame):
        return value_bars(frame, lang, title, subtitle, chosen)
    return rank_dots(frame, lang, title, subtitle, chosen)


def _ranked_layout(fig: go.Figure, data: pd.DataFrame, chosen: Sequence[str], title: str, subtitle: str,
                   alt: str, lang: str) -> None:
    """Regions top to bottom in reading order (bands after the exact ranks above them), chosen ones in bold, the
    colours' key under the title instead of a legend."""
    names = list(data["name"])
    key = _ranking_key(data, chosen, lang)
    fig.update_layout(title=dict(text=title, subtitle=dict(text=_with_key(subtitle, key))),
                      height=max(280, 34 * len(names) + 130 + (18 if key and subtitle else 0)),
                      showlegend=False, margin=dict(t=98 if key and subtitle else 80, r=20), meta={"alt": alt},
                      yaxis=dict(type="category", categoryorder="array", categoryarray=names, autorange="reversed",
                                 title=None, tickvals=names, ticktext=_emphasis(names, data["adcode"], chosen)))


def value_bars(frame: pd.DataFrame, lang: str, title: str, subtitle: str = "",
               chosen: Sequence[str] = ()) -> go.Figure:
    """Published values as horizontal bars in rank order (bar length = value, from zero)."""
    data = pres.sort_ranked(frame[pres.is_placed(frame)]).assign(name=lambda d: region_names(d, lang),
                                                                   colour=lambda d: _colours(d, chosen))
    labels = [f"{pres.rank_text(r, b, lang, 'hash')} · {v:,.2f}"
              for r, b, v in zip(data["rank"], data["rank_at_most"], data["value"], strict=True)]
    fig = figure(go.Bar(
        x=data["value"], y=data["name"], orientation="h", marker_color=list(data["colour"]), text=labels,
        textposition="inside", insidetextanchor="end", textfont=dict(color="white"), cliponaxis=False,
        customdata=data["adcode"], hovertemplate="%{y}: %{x:,.2f}<extra></extra>", meta={"role": "values"}))
    _ranked_layout(fig, data, chosen, title, subtitle, t("alt_value_bars", lang, n=len(data),
                                                        title=f"{title} {subtitle}".strip()), lang)
    fig.update_layout(xaxis=dict(title=t("value_axis", lang), rangemode="tozero"))
    return fig


BAND_SYMBOL = {"x": "line-ns", "y": "line-ew"}  # the open end of a band's range on a horizontal / vertical axis


def rank_points(frame: pd.DataFrame, axis: str, color: str, lang: str, **marker: object) -> dict:
    """Scatter arguments placing ranks on a rank axis (`axis` 'x' or 'y'): an exact rank at its place; a band
    'top N' as a range from 1 to N (a bar back to 1 ending in a tick at N) — a range, never a position."""
    rank = pd.to_numeric(frame["rank"], errors="coerce")
    band = pd.to_numeric(frame["rank_at_most"], errors="coerce")
    exact = rank.notna().to_numpy()
    where = rank.where(exact, band).astype(float)
    reach = np.where(exact, 0.0, where - 1)
    text = [pres.rank_text(r, b, lang, "hash") for r, b in zip(rank, band, strict=True)]
    return {
        axis: where, "text": text,
        f"error_{axis}": dict(type="data", symmetric=False, array=np.zeros(len(where)), arrayminus=reach,
                              thickness=4, width=0, color=color, visible=bool((~exact).any())),
        "marker": dict(color=color, symbol=["circle" if e else BAND_SYMBOL[axis] for e in exact],
                       line=dict(color=color if not exact.all() else "white", width=1.5), **marker),
    }


def rank_dots(frame: pd.DataFrame, lang: str, title: str, subtitle: str = "",
              chosen: Sequence[str] = ()) -> go.Figure:
    """Ranks as dots on a rank axis (1 at the left, gaps between published ranks visible); a band 'top N' as a
    range from 1 to N. Never a bar: the data hold positions, not amounts."""
    data = pres.sort_ranked(frame[pres.is_placed(frame)]).assign(name=lambda d: region_names(d, lang),
                                                                   colour=lambda d: _colours(d, chosen))
    fig = figure()
    for colour, group in data.groupby("colour", sort=False):  # error bars take one colour per trace
        fig.add_trace(go.Scatter(
            y=group["name"], mode="markers+text", textposition="middle right", cliponaxis=False, showlegend=False,
            customdata=group["adcode"], hovertemplate="%{y}: %{text}<extra></extra>", meta={"role": "ranks"},
            **rank_points(group, "x", colour, lang, size=12)))
    worst = pres.worst(data["rank"], data["rank_at_most"])
    alt = t("alt_rank_dots", lang, n=len(data), title=f"{title} {subtitle}".strip())
    _ranked_layout(fig, data, chosen, title, subtitle,
                   f"{alt} {t('alt_bands', lang)}" if data["rank"].isna().any() else alt, lang)
    fig.update_layout(xaxis=rank_axis(worst, lang, [0.5, worst * 1.12 + 1]), margin=dict(r=40))
    return fig


def rank_axis(worst: float, lang: str, span: list[float]) -> dict:
    """A rank axis: whole-number ticks only (one per rank while few, or 'd' would print 1, 1, 2, 2); a long one
    is ticked at 1 and round steps, so the best rank is always labelled (Plotly's own ticks start at 20)."""
    axis = dict(range=span, title=t("rank_axis", lang), tickformat="d", zeroline=False)
    if worst <= 12:
        return axis | dict(dtick=1)
    step = next(s for s in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000) if worst / s <= 6)
    return axis | dict(tickvals=[1, *range(step, int(worst) + 1, step)])


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


def _end_labels(values: Sequence[float | None], name: str, fmt, every: bool = False) -> tuple[list[str], list[str]]:
    """Name and figure at both ends of a line (instead of a legend), or the figure at every published point."""
    points = [i for i, v in enumerate(values) if not pres.missing(v)]
    text = [""] * len(values)
    position = ["top center"] * len(values)
    for i in points if every else []:
        text[i] = fmt(values[i])
    if points:
        first, last = points[0], points[-1]
        text[first], position[first] = f"{name} {fmt(values[first])}", "middle left"
        if last != first:
            text[last], position[last] = f"{fmt(values[last])} {name}", "middle right"
    return text, position


def _grid(data: pd.DataFrame, measure: str, categories: list[str]) -> pd.DataFrame:
    """Regions × categories of one measure; a category a region has no point in is NaN (a gap in its line)."""
    return data.pivot_table(index="adcode", columns="label", values=measure, aggfunc="first").reindex(
        columns=categories)


def _points(row: pd.Series) -> list[float | None]:
    return [None if pd.isna(v) else float(v) for v in row]


def bump_chart(history: pd.DataFrame, periods: pd.DataFrame, focus: list[str], lang: str, title: str,
               value_mode: bool = False, compact: bool = False, held: Sequence[str] | None = None,
               chosen: Sequence[str] = ()) -> go.Figure:
    """Rank (or value) across periods, one line per region; `focus` regions coloured, others grey.

    Labels sit at both ends of each coloured line instead of a legend (chosen regions: at every point); rank 1
    is on top. `held` are the periods that have this ranking at all: a region missing from one of them is a
    gap, so its line breaks there instead of joining across. The rank axis shows the coloured lines' range.
    The grey lines are one trace (None between them): a dense panel draws dozens, and each trace costs.
    """
    if compact:  # phones: the bare edition/year as the axis label
        periods = periods.assign(label=periods["period"])
    labels = dict(zip(periods["period"], periods["label"], strict=True))
    measure = "value" if value_mode else "rank"
    data = history.assign(label=history["period"].map(labels)).dropna(subset=[measure])
    held_periods = set(held) if held is not None else set(data["period"])
    categories = [c for p, c in zip(periods["period"], periods["label"], strict=True)
                  if p in held_periods or c in set(data["label"])]
    grid = _grid(data, measure, categories)
    names = region_names(data.drop_duplicates("adcode"), lang).set_axis(data.drop_duplicates("adcode")["adcode"])
    ordered_focus = [a for a in focus if a in grid.index]
    others = [a for a in grid.index if a not in set(ordered_focus)]
    hover = "%{hovertext}<br>%{x}: " + (t("rank", lang) + " %{y}" if not value_mode else "%{y:,.2f}") + \
        "<extra></extra>"
    shown = data[data["adcode"].isin(ordered_focus)][measure]
    worst = float(shown.max()) if len(shown) else float(data[measure].max() if len(data) else 1)
    floor = None if value_mode else worst + 0.6  # the rank axis shows the coloured lines' range
    fig = figure()
    if others:
        xs, ys, who, true, below = [], [], [], [], []
        for adcode in others:
            values = _points(grid.loc[adcode])
            xs += [*categories, None]
            ys += [v if v is None or floor is None else min(v, floor) for v in values] + [None]
            true += [*values, None]
            below += [floor is not None and v is not None and v > floor for v in values] + [False]
            who += [names[adcode]] * len(categories) + [None]
        # a grey line leaving the range ends at its edge in ▼ (its rank in the hover), never off the plot
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", hovertext=who, customdata=true,
                                 hovertemplate=hover.replace("%{y}", "%{customdata}"),
                                 line=dict(color=MUTED, width=1.2), opacity=0.7, showlegend=False,
                                 marker=dict(size=[8 if b else 5 for b in below],
                                             symbol=["triangle-down" if b else "circle" for b in below]),
                                 connectgaps=False, name="", meta={"role": "context"}))
    fmt = (lambda v: f"#{int(v)}") if not value_mode else (lambda v: f"{v:,.1f}")
    for adcode, color in zip(ordered_focus, OKABE_ITO * 4, strict=False):
        values = _points(grid.loc[adcode])
        text, position = _end_labels(values, names[adcode], fmt, every=adcode in chosen)
        fig.add_trace(go.Scatter(
            x=categories, y=values, mode="lines+markers+text", name=names[adcode], text=text,
            textposition=position, textfont=dict(color=color, size=12), connectgaps=False,
            line=dict(color=color, width=3), marker=dict(size=8), showlegend=False, cliponaxis=False,
            hovertext=[names[adcode]] * len(categories), hovertemplate=hover, meta={"role": "focus"}))
    _framework_marks(fig, periods[periods["label"].isin(categories)], categories, lang, label=not compact)
    if value_mode:
        yaxis = dict(title=t("value_axis", lang))
        height = 480
    else:
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
        meta={"alt": t("alt_bump", lang, title=title, n=len(ordered_focus), periods=len(categories))
              + (t("alt_offscale", lang) if others and floor is not None and (data[measure] > floor).any() else "")},
    )
    return fig


def _fmt(point: pd.Series, measure: str) -> str:
    return f"#{int(point[measure])}" if measure == "rank" else f"{point[measure]:,.1f}"


def slope_chart(frame: pd.DataFrame, start_label: str, end_label: str, lang: str, title: str,
                compact: bool = False, chosen: Sequence[str] = (), subtitle: str = "") -> go.Figure:
    """Rank in two periods joined by a line per region; climbers green, fallers wine, unchanged grey, with their
    key (once regions are chosen: theirs, the others light grey). One trace per colour, the lines apart by None."""
    data = frame.dropna(subset=["start_rank", "end_rank"]).assign(name=lambda d: region_names(d, lang))
    focus = set(chosen) & set(data["adcode"])
    data = data.assign(colour=[(ROSE if c > 0 else FELL if c < 0 else SAME)
                               if not focus or a in focus else MUTED
                               for a, c in zip(data["adcode"], data["rank_change"], strict=True)])
    fig = figure()
    for colour, group in sorted(data.groupby("colour"), key=lambda g: g[0] != MUTED):  # grey first, underneath
        xs, ys, text, where, hover = [], [], [], [], []
        for row in group.itertuples():
            xs += [start_label, end_label, None]
            ys += [row.start_rank, row.end_rank, None]
            text += [f"{row.name} #{row.start_rank}", f"#{row.end_rank} {row.name}", ""]
            where += ["middle left", "middle right", "middle center"]
            hover += [f"{row.name}: #{row.start_rank} → #{row.end_rank}"] * 2 + [None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers+text", line=dict(color=colour, width=2),
                                 text=text, textposition=where, textfont=dict(size=10 if compact else 11,
                                                                              color=colour),
                                 hovertext=hover, hovertemplate="%{hovertext}<extra></extra>", showlegend=False,
                                 cliponaxis=False, connectgaps=False, name=""))
    worst = float(max(data["start_rank"].max(), data["end_rank"].max())) if len(data) else 1.0
    side = 80 if compact else 150
    fig.update_layout(
        title=dict(text=title, subtitle=dict(text=_with_key(subtitle, colour_key(
            [(c, t(key, lang)) for c, key in ((ROSE, "key_rose"), (FELL, "key_fell"), (SAME, "key_same"))
             if c in set(data["colour"])])))),
        height=max(380, 22 * len(data) + 168), margin=dict(l=side, r=side, t=98, b=30),
        xaxis=dict(type="category", categoryorder="array", categoryarray=[start_label, end_label], title=None),
        yaxis=dict(range=[worst + 0.8, 0.2], showticklabels=False, title=None),
        meta={"alt": t("alt_slope", lang, title=title, n=len(data))})
    return fig


BAND_FILL = "#dde6ee"  # heatmap cells that hold a band: one neutral colour, outside the rank scale


def rank_heatmap(frame: pd.DataFrame, lang: str, title: str, size: int, compact: bool = False,
                 chosen: Sequence[str] = ()) -> go.Figure:
    """Regions (rows) × sub-indicators (columns) coloured by rank on a log scale spanning the ranking's real
    range (1 … size, labelled); bands ('top N') in a neutral colour with their text; empty = not published."""
    data = frame.assign(name=region_names(frame, lang), ind=localized(frame, lang, "indicator_zh", "indicator_en"))
    columns = list(dict.fromkeys(data.sort_values("sort")["ind"]))
    order = views_order(data)
    rows = list(dict.fromkeys(data.set_index("adcode").loc[order, "name"]))
    codes = dict(zip(data["name"], data["adcode"], strict=False))
    grid = data.pivot_table(index="name", columns="ind", values="rank", aggfunc="min")
    grid = grid.reindex(index=rows, columns=columns)
    bands = data.pivot_table(index="name", columns="ind", values="rank_at_most", aggfunc="min")
    bands = bands.reindex(index=rows, columns=columns).where(grid.isna())
    scale = pres.rank_scale(size)
    fig = figure()
    if bands.notna().any().any():
        fig.add_trace(go.Heatmap(
            z=bands.notna().astype(float).where(bands.notna()).values, x=columns, y=rows, showscale=False,
            colorscale=[[0, BAND_FILL], [1, BAND_FILL]], xgap=2, ygap=2, hoverongaps=False,
            text=bands.map(lambda v: "" if pd.isna(v) else pres.band_text(v, lang)).values,
            texttemplate="%{text}", textfont=dict(color="#1f2328"), meta={"role": "bands"},
            hovertemplate="%{y} · %{x}: %{text}<extra></extra>"))
    exact = bool(grid.notna().any().any())
    if exact:  # no rank scale (and no colour bar) for a grid of bands alone
        fig.add_trace(go.Heatmap(
            z=scale.z(grid.values), x=columns, y=rows,
            text=grid.map(lambda v: "" if pd.isna(v) else str(int(v))).values,
            texttemplate="%{text}", colorscale="Cividis", zmin=0, zmax=scale.zmax, hoverongaps=False, xgap=2, ygap=2,
            colorbar=dict(title=dict(text=t("rank_axis_short", lang), side="top"), tickvals=scale.tickvals,
                          ticktext=scale.ticktext, thickness=12, len=min(1.0, 260 / max(26 * len(rows), 1)),
                          lenmode="fraction", y=1, yanchor="top"),
            hovertemplate="%{y} · %{x}: " + t("rank", lang) + " %{text}<extra></extra>", meta={"role": "ranks"}))
    fig.update_layout(title=title, height=max(360, 26 * len(rows) + 200),
                      yaxis=dict(autorange="reversed", title=None, tickvals=rows,
                                 ticktext=_emphasis(rows, [codes[r] for r in rows], chosen)),
                      xaxis=dict(side="bottom", tickangle=-35 if len(columns) > 4 or compact else 0, title=None),
                      plot_bgcolor="#f3f4f6", margin=dict(t=60, b=10, r=90),  # the colour bar clear of the mode bar
                      meta={"alt": t("alt_heatmap" if exact else "alt_heatmap_bands", lang, title=title,
                                     rows=len(rows), cols=len(columns), size=scale.size)})
    return fig


def views_order(frame: pd.DataFrame) -> list[str]:
    """Regions in a sub-indicator table: by total rank where there is one, else by their best rank or band."""
    keyed = frame.assign(_key=pres.rank_sort_key(frame["rank"], frame["rank_at_most"]))
    order = keyed.groupby("adcode").agg(total=("total_rank", "min"), best=("_key", "min"))
    return list(order.sort_values(["total", "best"], na_position="last").index)


def profile_dots(frame: pd.DataFrame, city: str, peer_label: str, lang: str, title: str) -> go.Figure:
    """One region's rank (or band) on each sub-indicator beside the median rank of its peers, rank 1 at the left
    as on every rank axis of the app. The region's figures sit above its dots and the peers' below theirs, so
    close ranks never collide; peers appear (and in the legend) only where enough of them are ranked."""
    data = frame.assign(ind=localized(frame, lang, "indicator_zh", "indicator_en"))
    fig = figure()
    peers = data.dropna(subset=["peer_rank"])
    if len(peers):
        fig.add_trace(go.Scatter(
            x=peers["peer_rank"], y=peers["ind"], mode="markers+text", name=peer_label,
            marker=dict(color=HIGHLIGHT, size=13, symbol="diamond", line=dict(color="white", width=1)),
            text=[f"#{v:.0f}" for v in peers["peer_rank"]], textposition="bottom center", cliponaxis=False,
            textfont=dict(color="#8a5a00"), customdata=peers["peer_n"],
            hovertemplate=f"{peer_label} · %{{y}}: " + t("peer_median", lang) + "<extra></extra>"))
    fig.add_trace(go.Scatter(
        y=data["ind"], mode="markers+text", name=city, textposition="top center", textfont=dict(color=BASE),
        cliponaxis=False,
        hovertemplate=f"{city} · %{{y}}: %{{text}}<extra></extra>", **rank_points(data, "x", BASE, lang, size=14)))
    worst = pres.worst(data["rank"], data["rank_at_most"], peers["peer_rank"])
    fig.update_layout(title=title, height=max(300, 64 * len(data) + 150), showlegend=True,
                      legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0), margin=dict(t=90, r=30),
                      yaxis=dict(autorange="reversed", title=None),
                      xaxis=rank_axis(worst, lang, [0.5, worst * 1.1 + 1]),
                      meta={"alt": t("alt_profile", lang, title=title, city=city, peers=peer_label)})
    return fig


def compare_dots(frame: pd.DataFrame, lang: str, title: str, order: list[str] | None = None,
                 compact: bool = False) -> go.Figure:
    """Ranks of 2–6 regions on every indicator of a period: a grouped dot plot, rank 1 on top; bands as ranges."""
    data = frame.assign(name=region_names(frame, lang), ind=localized(frame, lang, "indicator_zh", "indicator_en"))
    # Indicators where no chosen region has an exact rank hold no positions to compare: they stay in the table.
    exact = set(data.dropna(subset=["rank"])["indicator"])
    data = data[pres.is_placed(data) & data["indicator"].isin(exact)]
    order = list(dict.fromkeys(data["adcode"])) if order is None else order
    categories = list(dict.fromkeys(data.sort_values("sort")["ind"]))
    fig = figure()
    for adcode, color in zip(order, OKABE_ITO, strict=False):
        group = data[data["adcode"] == adcode]
        if group.empty:
            continue
        name = group["name"].iloc[0]
        fig.add_trace(go.Scatter(x=group["ind"], name=name, mode="markers+text", cliponaxis=False,
                                 textposition="middle right", textfont=dict(color=color, size=11),
                                 hovertemplate=f"{name} · %{{x}}: %{{text}}<extra></extra>",
                                 **rank_points(group, "y", color, lang, size=15)))
    worst = pres.worst(data["rank"], data["rank_at_most"])
    fig.update_layout(title=title, scattermode="group", height=480, margin=dict(r=40, t=100),
                      xaxis=dict(type="category", categoryorder="array", categoryarray=categories,
                                 range=[-0.5, len(categories) - 0.3],
                                 tickangle=-35 if len(categories) > 6 or compact else 0),
                      yaxis=rank_axis(worst, lang, [worst * 1.08 + 0.8, 0.2]),
                      legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0),
                      meta={"alt": t("alt_compare", lang, title=title, n=data["name"].nunique())})
    return fig


def history_chart(frame: pd.DataFrame, periods: pd.DataFrame, lang: str, title: str, measure: str = "rank",
                  held: dict[str, set[str]] | None = None, mark: str | None = None,
                  compact: bool = False) -> go.Figure:
    """One region's national rank (or value, where comparable) per period for each indicator concept; a period
    that has the concept's ranking but not this region is a gap. Each line is labelled at the marked period (the
    one the page headline talks about) and at its last point; the marked period is shaded."""
    if compact:
        periods = periods.assign(label=periods["period"])
    labels = dict(zip(periods["period"], periods["label"], strict=True))
    data = frame.dropna(subset=[measure]).assign(
        label=lambda d: d["period"].map(labels), ind=lambda d: localized(d, lang, "indicator_zh", "indicator_en"),
        name=lambda d: localized(d, lang, "concept_zh", "concept_en"))
    present = set(data["period"]) | set().union(*(held or {}).values())
    categories = [labels[p] for p in periods["period"] if p in present]
    totals = data[data["indicator_kind"] == "total"]["concept"] if "indicator_kind" in data else data["concept"]
    lead = totals.iloc[0] if len(totals) else data["concept"].iloc[0] if len(data) else None
    grid = data.pivot_table(index="concept", columns="label", values=measure, aggfunc="first").reindex(
        columns=categories)
    first = data.drop_duplicates("concept").set_index("concept")
    marked = labels.get(mark)
    fmt = (lambda v: f"#{int(v)}") if measure == "rank" else (lambda v: f"{v:,.1f}")
    fig = figure()
    for concept, color in zip(first.index, OKABE_ITO * 4, strict=False):
        held_here = (held or {}).get(concept, set()) | set(data.loc[data["concept"] == concept, "period"])
        span = [labels[p] for p in periods["period"] if p in held_here]  # periods that have this ranking
        values = _points(grid.loc[concept, span])
        # Figures only on the headline's line (the total, else the first): at the marked period and the last
        # point; other lines are told apart by colour, legend and hover (labels on every line would pile up).
        points = [i for i, v in enumerate(values) if v is not None] if concept == lead else []
        shown = set(points[-1:]) | {i for i in points if span[i] == marked}
        fig.add_trace(go.Scatter(x=span, y=values, mode="lines+markers+text", name=first.loc[concept, "name"],
                                 text=[fmt(v) if i in shown else "" for i, v in enumerate(values)],
                                 textposition="middle right", textfont=dict(color=color), cliponaxis=False,
                                 connectgaps=False, line=dict(color=color, width=2.5),
                                 hovertext=[first.loc[concept, "ind"]] * len(span),
                                 hovertemplate="%{hovertext}<br>%{x}: " + (
                                     t("rank", lang) + " %{y}" if measure == "rank" else "%{y:,.2f}")
                                 + "<extra></extra>"))
    _framework_marks(fig, periods[periods["label"].isin(categories)], categories, lang, label=not compact)
    if mark in labels and labels[mark] in categories:
        x = categories.index(labels[mark])
        fig.add_vrect(x0=x - 0.25, x1=x + 0.25, fillcolor="#fff3d6", opacity=0.7, line_width=0, layer="below",
                      annotation_text=t("period_shown", lang), annotation_position="top",
                      annotation_font=dict(size=10, color="#8a6d1f"))  # the band says what it marks
    worst = pres.worst(data[measure])
    yaxis = rank_axis(worst, lang, [worst * 1.05 + 0.8, 0.2]) if measure == "rank" else \
        dict(title=t("value_axis", lang))
    fig.update_layout(title=title, height=440, margin=dict(r=60), yaxis=yaxis,
                      xaxis=dict(type="category", categoryorder="array", categoryarray=categories,
                                 tickangle=-45 if len(categories) > 8 or compact else 0),
                      legend=dict(orientation="h", y=-0.3 if len(categories) > 8 else -0.2, x=0),
                      meta={"alt": t(f"alt_history_{measure}", lang, title=title, n=data["concept"].nunique())})
    return fig


SCATTER_PX = (600.0, 340.0)  # the scatter's plot area at 1280 px (its width shrinks on a phone: fewer names fit)
LABEL_SPOTS = (("top center", 0.0, 1.0), ("bottom center", 0.0, -1.0), ("middle right", 1.0, 0.0),
               ("middle left", -1.0, 0.0))


def _text_px(text: str) -> float:
    return sum(13.0 if ord(c) > 0x2E80 else 7.0 for c in text)


def label_spots(xs: Sequence[float], ys: Sequence[float], names: Sequence[str],
                area: tuple[float, float]) -> list[str | None]:
    """Where each point's name goes (pixel positions, y up, in priority order): the first of four places around
    it that overlaps no name placed before, no point and stays in the plot area; None = no room (the name is
    left to the hover, never drawn over another)."""
    half_h, gap, dot = 8.0, 9.0, 6.0
    placed: list[tuple[float, float, float, float]] = []
    out: list[str | None] = []
    for x, y, name in zip(xs, ys, names, strict=True):
        half_w, found = _text_px(name) / 2, None
        for spot, dx, dy in LABEL_SPOTS:
            cx, cy = x + dx * (gap + half_w), y + dy * (gap + half_h)
            box = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
            inside = box[0] >= -20 and box[2] <= area[0] + 20 and box[1] >= -20 and box[3] <= area[1] + 12
            clear = not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed)
            off_dots = not any(box[0] - dot < px < box[2] + dot and box[1] - dot < py < box[3] + dot
                               for px, py in zip(xs, ys, strict=True) if (px, py) != (x, y))
            if inside and clear and off_dots:
                found = spot
                placed.append(box)
                break
        out.append(found)
    return out


def rank_scatter(pairs: pd.DataFrame, name_a: str, name_b: str, lang: str, title: str,
                 chosen: Sequence[str] = ()) -> go.Figure:
    """Rank in ranking A (x) against rank in B (y) for the regions both rank, rank 1 at the top left; the
    diagonal is where the two agree. Western regions in the western colour, chosen ones highlighted and named."""
    data = pairs.assign(name=region_names(pairs, lang))
    fig = figure()
    worst = pres.worst(data["rank_a"], data["rank_b"])
    fig.add_trace(go.Scatter(x=[1, worst], y=[1, worst], mode="lines", line=dict(color="#9aa0a6", dash="dot"),
                             hoverinfo="skip", name=t("scatter_diagonal", lang), meta={"role": "diagonal"}))
    groups = (("west", data[data["is_west"] & ~data["adcode"].isin(chosen)], WEST),
              ("other", data[~data["is_west"] & ~data["adcode"].isin(chosen)], BASE),
              ("chosen", data[data["adcode"].isin(chosen)], HIGHLIGHT))
    span_a = [0.5, pres.worst(data["rank_a"]) * 1.06 + 1]
    span_b = [pres.worst(data["rank_b"]) * 1.06 + 1, 0.1]  # room above rank 1 for its name
    labelled = data["adcode"].isin(chosen) | (len(data) <= 20)
    order = data[labelled].assign(other=lambda d: ~d["adcode"].isin(chosen)) \
        .sort_values(["other", "rank_a", "rank_b"])  # the chosen regions' names first, then by rank
    spots = dict(zip(order.index, label_spots(
        [(x - span_a[0]) / (span_a[1] - span_a[0]) * SCATTER_PX[0] for x in order["rank_a"]],
        [(y - span_b[0]) / (span_b[1] - span_b[0]) * SCATTER_PX[1] for y in order["rank_b"]],
        list(order["name"]), SCATTER_PX), strict=True))
    for role, group, colour in groups:
        if group.empty:
            continue
        where = [spots.get(i) for i in group.index]
        fig.add_trace(go.Scatter(
            x=group["rank_a"], y=group["rank_b"], mode="markers+text" if any(where) else "markers",
            text=[n if w else "" for n, w in zip(group["name"], where, strict=True)],
            textposition=[w or "top center" for w in where], cliponaxis=False,
            marker=dict(color=colour, size=13 if role == "chosen" else 9, line=dict(color="white", width=1)),
            customdata=group["adcode"], name=t(f"scatter_{role}", lang), meta={"role": role},
            hovertemplate=f"%{{hovertext}}<br>{name_a}: %{{x}}<br>{name_b}: %{{y}}<extra></extra>",
            hovertext=group["name"]))
    fig.update_layout(title=title, height=520, margin=dict(t=100, r=30),
                      xaxis=rank_axis(pres.worst(data["rank_a"]), lang, span_a) | dict(title=name_a),
                      yaxis=rank_axis(pres.worst(data["rank_b"]), lang, span_b) | dict(title=name_b),
                      legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0),
                      meta={"alt": t("alt_scatter", lang, n=len(data), a=name_a, b=name_b)})
    return fig


def cross_history_chart(history: pd.DataFrame, names: dict[str, str], lang: str, title: str,
                        frameworks: dict[str, str]) -> go.Figure:
    """Chosen regions' total-index ranks in several families by data year: one line per region × family (ranks
    compare across a family's frameworks), named with its family and frameworks, its last rank labelled; a year
    the family did not rank the region is a gap."""
    data = history.assign(year=history["data_year"].astype(str), name=region_names(history, lang))
    years = [str(y) for y in range(int(data["data_year"].min()), int(data["data_year"].max()) + 1)] \
        if len(data) else []
    fig = figure()
    styles = dict(zip(names, ("solid", "dash", "dot", "dashdot"), strict=False))
    palette = {a: c for a, c in zip(dict.fromkeys(data["adcode"]), OKABE_ITO, strict=False)}
    for (adcode, family), line in data.groupby(["adcode", "family"], sort=False):
        spans = " / ".join(frameworks.get(fw, fw) for fw in dict.fromkeys(line.sort_values("data_year")["framework"]))
        line = pres.with_gaps(line.sort_values("data_year"), years, column="year")
        label = f"{line['name'].dropna().iloc[0]} · {names[family]} ({spans})"
        text = [""] * len(line)
        last = max(i for i, v in enumerate(line["rank"]) if not pres.missing(v))
        text[last] = f"#{int(line['rank'].iloc[last])}"
        fig.add_trace(go.Scatter(
            x=line["year"], y=line["rank"], mode="lines+markers+text", name=label, text=text,
            textposition="middle right", cliponaxis=False, connectgaps=False,
            line=dict(color=palette[adcode], dash=styles.get(family, "solid"), width=2.5),
            marker=dict(color=palette[adcode]), textfont=dict(color=palette[adcode]),
            hovertemplate=f"{label}<br>%{{x}}: " + t("rank", lang) + " %{y}<extra></extra>"))
    worst = pres.worst(data["rank"])
    fig.update_layout(title=title, height=460, yaxis=rank_axis(worst, lang, [worst * 1.05 + 1, 0.2]),
                      xaxis=dict(type="category", categoryorder="array", categoryarray=years,
                                 title=t("data_year_axis", lang)),
                      legend=dict(orientation="h", y=-0.25, x=0), margin=dict(r=50),
                      meta={"alt": t("alt_cross_history", lang, title=title, n=data["adcode"].nunique(),
                                     families=len(names))})
    return fig


def compare_over_time(frame: pd.DataFrame, periods: pd.DataFrame, order: list[str], lang: str, title: str,
                      measure: str = "rank", held: dict[str, set[str]] | None = None,
                      compact: bool = False) -> go.Figure:
    """Small multiples: one panel per indicator concept, a line per region across the periods (a period that
    has the ranking but not the region is a gap); ranks with 1 on top, or values where they compare."""
    from plotly.subplots import make_subplots  # only this chart needs it

    periods = periods.assign(label=periods["period"])  # small panels: the bare edition or year
    labels = dict(zip(periods["period"], periods["label"], strict=True))
    data = frame.dropna(subset=[measure]).assign(label=lambda d: d["period"].map(labels),
                                                  name=lambda d: region_names(d, lang),
                                                  panel=lambda d: localized(d, lang, "concept_zh", "concept_en"))
    concepts = list(dict.fromkeys(data.sort_values("sort")["concept"]))
    cols = 1 if compact else min(2, max(len(concepts), 1))
    rows = max(1, -(-len(concepts) // cols))
    titles = [wrap(data.loc[data["concept"] == c, "panel"].iloc[0], 24 if cols == 2 else 40) for c in concepts]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, vertical_spacing=min(0.16, 0.6 / rows),
                        horizontal_spacing=0.08, figure=figure())
    colours = dict(zip(order, OKABE_ITO, strict=False))
    for i, concept in enumerate(concepts):
        row, col = divmod(i, cols)
        panel = data[data["concept"] == concept]
        span = [labels[p] for p in periods["period"] if p in (held or {}).get(concept, set()) | set(panel["period"])]
        for adcode in [a for a in order if a in set(panel["adcode"])]:
            line = pres.with_gaps(panel[panel["adcode"] == adcode].sort_values("data_year"), span, whole=True)
            name = line["name"].dropna().iloc[0]
            fig.add_trace(go.Scatter(
                x=line["label"], y=line[measure], mode="lines+markers", name=name, legendgroup=adcode,
                showlegend=i == 0, connectgaps=False, line=dict(color=colours[adcode], width=2.5),
                marker=dict(color=colours[adcode], size=7),
                hovertemplate=f"{name} · %{{x}}: " + (t("rank", lang) + " %{y}" if measure == "rank"
                                                      else "%{y:,.2f}") + "<extra></extra>"), row=row + 1,
                col=col + 1)
        worst = pres.worst(panel[measure])
        fig.update_xaxes(type="category", categoryorder="array", categoryarray=span, row=row + 1, col=col + 1,
                         tickangle=-45 if len(span) > 6 or compact else 0)
        if measure == "rank":
            fig.update_yaxes(range=[worst * 1.08 + 0.8, 0.2], tickformat="d", dtick=1 if worst <= 12 else None,
                             row=row + 1, col=col + 1)
    height = max(380, 300 * rows + 140)
    # Title, then the legend (50 px from the figure's top), then the first row's panel titles.
    fig.update_layout(title=dict(text=title, y=1 - 12 / height, yref="container", yanchor="top"), height=height,
                      legend=dict(orientation="h", x=0, yref="container", y=1 - 50 / height, yanchor="top"),
                      margin=dict(t=120), meta={"alt": t(f"alt_compare_time_{measure}", lang, title=title,
                                                          n=len(order), panels=len(concepts))})
    return fig
