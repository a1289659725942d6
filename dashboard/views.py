"""View-models: query results → the frames pages show and download, worded by the presentation rules.

Columns are named by role here ("rank", "region", …); `dashboard.columns` gives them their localized headers on
screen and `exportable` in downloads, so a Chinese table never has English headers.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from dashboard import presentation as pres
from dashboard.i18n import localized, t


def names(frame: pd.DataFrame, lang: str, short: bool = False) -> pd.Series:
    return localized(frame, lang, "region_short_zh" if short else "region_zh", "region_en")


def basis_text(basis: object, lang: str) -> str:
    return t(f"basis_{basis}", lang) if isinstance(basis, str) else ""


def value_text(value: object, lang: str) -> str:
    return t("not_published", lang) if pres.missing(value) else f"{value:,.2f}"


def placed(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows a ranking shows (an exact rank or a band), in reading order."""
    return pres.sort_ranked(frame[pres.is_placed(frame)])


# ---------------------------------------------------------------- rankings

def ranking_view(data: pd.DataFrame, lang: str, previous_label: str | None) -> pd.DataFrame:
    """The ranking as users read it: rank (or band), change, name, value or 'not published', history with its
    holes, source link or the citation of a source without one, basis, province. A ranking that published no
    value at all has no value column (a column of 'not published' pushes the history off a phone's screen)."""
    deltas = [pres.delta(r, p, pr, rb, previous_label, lang) for r, p, pr, rb in
              zip(data["rank"], data["previous_rank"], data["previous_ranked"], data["ranked_before"], strict=True)]
    view = pd.DataFrame({  # most-read columns first: a narrow screen scrolls the rest into view
        "rank": [pres.rank_text(r, b, lang) for r, b in zip(data["rank"], data["rank_at_most"], strict=True)],
        "delta": [d.text for d in deltas],
        "region": names(data, lang),
        "value": [value_text(v, lang) for v in data["value"]],
        "trend": [pres.sparkline(h) for h in data["history"]],
        "history": [pres.history_text(h, lang) for h in data["history"]],
        "source": [pres.source_link(u) or "" for u in data["source_url"]],
        "source_note": [pres.source_note(u) or "" for u in data["source_url"]],  # beside the link it stands for
        "basis": [basis_text(b, lang) for b in data["basis"]],
        "province": localized(data, lang, "province_zh", "province_en").fillna(""),
        "source_ref": data["source_ref"].fillna(""),  # the file, page and row it was read from
    })
    empty = [c for c, keep in (("source_note", view["source_note"].ne("").any()),
                               ("value", data["value"].notna().any())) if not keep]
    return view.drop(columns=empty)


def ranking_export(data: pd.DataFrame, lang: str, previous_label: str | None) -> pd.DataFrame:
    """The ranking as a download: readable columns plus codes; exact ranks, bands and values as numbers."""
    view = ranking_view(data, lang, previous_label).drop(columns=["trend", "rank"])
    view.insert(0, "rank", data["rank"].astype("Int64").to_numpy())
    view.insert(1, "rank_at_most", data["rank_at_most"].astype("Int64").to_numpy())
    view.insert(4, "adcode", data["adcode"].to_numpy())
    if "value" in view:
        view["value"] = data["value"].to_numpy()
    else:  # the download keeps the column: a spreadsheet's layout should not depend on the edition
        view.insert(view.columns.get_loc("adcode") + 1, "value", data["value"].to_numpy())
    view["source"] = [pres.source_label(u) for u in data["source_url"]]
    view["release"] = data["release_id"].to_numpy()
    return view.drop(columns=["source_note"], errors="ignore")


def held_releases(data: pd.DataFrame, releases: pd.DataFrame) -> list[str]:
    """The releases a ranking table's rows hold: each row's own, and those of the earlier ranks its history
    column shows (an edition for one-year releases, a data year within a panel's span)."""
    periods = {str(p) for ps, hs in zip(data["history_periods"], data["history"], strict=True)
               for p, h in zip(pres.as_list(ps), pres.as_list(hs), strict=True) if not pres.missing(h)}
    years = {int(p) for p in periods if p.isdigit()}
    one_year = releases["data_year_from"] == releases["data_year_to"]
    spans = np.array([any(lo <= y <= hi for y in years) for lo, hi in zip(releases["data_year_from"],
                                                                        releases["data_year_to"], strict=True)],
                     dtype=bool)
    history = releases[(one_year & releases["edition"].astype(str).isin(periods)) | (~one_year & spans)]
    return list(dict.fromkeys([*data["release_id"], *history["release_id"]]))


def bump_lines(history: pd.DataFrame, selected: pd.DataFrame, period: str, chosen: list[str],
               top: int = 10, context: int = 30) -> tuple[list[str], pd.DataFrame]:
    """Which lines a bump chart draws: in colour the chosen regions (else the period's top `top`), and the
    period's top `context` in grey behind them (a dense panel would otherwise draw hundreds of lines)."""
    current = history[history["period"] == period].sort_values("rank")
    leaders = current["adcode"].head(top).tolist()
    focus = list(chosen) or leaders
    keep = set(current["adcode"].head(context)) | set(focus)
    if current.empty:  # the period has no ranking for this concept: show whoever was ranked at all
        keep = set(history["adcode"].unique()[:context]) | set(focus)
    lines = pd.concat([history[history["adcode"].isin(keep)], selected], ignore_index=True)
    return focus, lines.drop_duplicates(["adcode", "period"])


def disagreement_view(pairs: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Regions with their rank in ranking A and in B and the gap (places better in A than in B)."""
    return pd.DataFrame({"region": names(pairs, lang), "rank_a": pairs["rank_a"].astype("Int64"),
                         "rank_b": pairs["rank_b"].astype("Int64"), "gap": pairs["gap"].astype("Int64")})


def map_list(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The list beside a map of markers: rank (or band) and name, in reading order."""
    return pd.DataFrame({"rank": [pres.rank_text(r, b, lang) for r, b in zip(frame["rank"], frame["rank_at_most"],
                                                                              strict=True)],
                         "region": names(frame, lang, short=True)})


def movers(pair: pd.DataFrame, rising: bool, n: int = 10) -> pd.DataFrame:
    moved = pair[pair["rank_change"] > 0] if rising else pair[pair["rank_change"] < 0]
    return moved.sort_values(["rank_change", "end_rank"], ascending=[not rising, True]).head(n)


def movers_view(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    return pd.DataFrame({
        "region": names(frame, lang),
        "from": frame["start_rank"].astype("Int64"), "to": frame["end_rank"].astype("Int64"),
        "change": [f"▲{int(c)}" if c > 0 else f"▼{-int(c)}" for c in frame["rank_change"]],
    })


# ---------------------------------------------------------------- sub-indicators

def all_round(frame: pd.DataFrame, lang: str, top: int = 10) -> tuple[int, list[str]]:
    """Regions in the top `top` (an exact rank ≤ top, or a band 'top N' with N ≤ top) of every sub-indicator of
    the frame, best total rank first."""
    n = frame["indicator"].nunique()
    inside = frame[(frame["rank"] <= top) | (frame["rank_at_most"] <= top)]
    counts = inside.groupby("adcode")["indicator"].nunique()
    winners = inside[inside["adcode"].isin(counts[counts == n].index)].drop_duplicates("adcode")
    winners = winners.sort_values(["total_rank", "adcode"], na_position="last")
    return n, names(winners, lang, short=True).tolist()


def heatmap_rows(frame: pd.DataFrame, n: int, chosen: tuple[str, ...] = ()) -> pd.DataFrame:
    """The n best regions (by total rank where there is one, else by their best rank or band), plus the chosen."""
    keyed = frame.assign(_key=pres.rank_sort_key(frame["rank"], frame["rank_at_most"]))
    order = keyed.groupby("adcode").agg(total=("total_rank", "min"), best=("_key", "min"))
    keep = set(order.sort_values(["total", "best"], na_position="last").head(n).index) | set(chosen)
    return frame[frame["adcode"].isin(keep)]


def heatmap_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Regions × sub-indicators as a download: exact ranks as numbers, bands as '前10' / 'top 10'."""
    data = frame.assign(region=names(frame, lang), ind=localized(frame, lang, "indicator_zh", "indicator_en"),
                        cell=[r if not pres.missing(r) else pres.rank_text(r, b, lang)
                              for r, b in zip(frame["rank"], frame["rank_at_most"], strict=True)])
    columns = list(dict.fromkeys(data.sort_values("sort")["ind"]))
    rows = list(dict.fromkeys(pres.sort_ranked(data.assign(rank=data["total_rank"], rank_at_most=np.nan))["region"]))
    grid = data.pivot_table(index="region", columns="ind", values="cell", aggfunc="first").reindex(
        index=rows, columns=columns)
    return grid.rename_axis(columns=None).reset_index()


def best_placed(frame: pd.DataFrame) -> str:
    keyed = frame.assign(_key=pres.rank_sort_key(frame["rank"], frame["rank_at_most"]))
    return str(keyed.sort_values(["total_rank", "_key"], na_position="last")["adcode"].iloc[0])


MIN_PEERS = 3  # a median of fewer published peer ranks says little (and sparse data publish only the top)


def profile_frame(frame: pd.DataFrame, adcode: str, peer_kind: str) -> pd.DataFrame:
    """One region's rank (or band) per sub-indicator and the median exact rank of its peers (same economic region
    or province), where at least MIN_PEERS peers are ranked."""
    me = frame[frame["adcode"] == adcode]
    key = "economic_region" if peer_kind == "region" else "province_zh"
    peers = frame[(frame[key] == me[key].iloc[0]) & (frame["adcode"] != adcode)].dropna(subset=["rank"])
    stats = peers.groupby("indicator")["rank"].agg(peer_rank="median", peer_n="count")
    stats.loc[stats["peer_n"] < MIN_PEERS, "peer_rank"] = np.nan
    return me.join(stats, on="indicator").sort_values("sort")


def profile_city(chosen: tuple[str, ...], ranking: pd.DataFrame, known: list[str]) -> str:
    """The region to profile: the first chosen one, else the current leader, else the first with data."""
    for adcode in (*chosen, *ranking.dropna(subset=["rank"])["adcode"].head(1)):
        if adcode in known:
            return adcode
    return known[0]


# ---------------------------------------------------------------- one region

def headline_total(rows: pd.DataFrame, period: str) -> pd.Series | None:
    """The total-index row of the chosen period, else of the latest period the region was ranked in."""
    total = rows[(rows["indicator_kind"] == "total") & (rows["scope"] == "national") & ~rows["is_restated"]]
    total = total.dropna(subset=["rank"]).sort_values("data_year")
    chosen = total[total["period"] == period]
    return chosen.iloc[-1] if len(chosen) else total.iloc[-1] if len(total) else None


def city_headline(latest: pd.Series, period_label: str, lang: str) -> str:
    """'2018年版：全国第7名，西部第2名': the national rank, the rank in the province where it ranks more than
    this region (a municipality is trivially 1st in its own), the rank in the west for a western region."""
    parts = [t("city_part_national", lang, rank=pres.rank_text(latest["rank"], None, lang, "ordinal"))]
    if not pres.missing(latest["province_ranked"]) and latest["province_ranked"] > 1:
        parts.append(t("city_part_province", lang,
                       rank=pres.rank_text(latest["province_rank"], None, lang, "ordinal")))
    if bool(latest["is_west"]):
        parts.append(t("city_part_west", lang, rank=pres.rank_text(latest["west_rank"], None, lang, "ordinal")))
    return t("city_latest", lang, period=period_label, parts=("，" if lang == "zh" else ", ").join(parts))


def own_figures(rows: pd.DataFrame) -> pd.DataFrame:
    """A region's national figures as each period published them for its own year (the grid)."""
    return rows[(rows["scope"] == "national") & ~rows["is_restated"]]


def other_figures(rows: pd.DataFrame) -> pd.DataFrame:
    """Restated figures and ranks within a tier, province or the west: listed apart so they cannot be read as
    a duplicate of the period's own national figure."""
    return rows[(rows["scope"] != "national") | rows["is_restated"]]


def city_grid(rows: pd.DataFrame, labels: dict[str, str], lang: str, measure: str = "rank") -> pd.DataFrame:
    """Indicators × periods: the rank (or band) — or the value — the region had in each period; empty = not
    published."""
    data = own_figures(rows)
    if measure == "value":
        data = data.assign(cell=[None if pres.missing(v) else f"{v:,.2f}" for v in data["value"]])
    else:
        data = data.assign(cell=[pres.rank_text(r, b, lang, "plain") if not (pres.missing(r) and pres.missing(b))
                                 else None for r, b in zip(data["rank"], data["rank_at_most"], strict=True)])
    data = data.assign(ind=localized(data, lang, "indicator_zh", "indicator_en"),
                       when=data["period"].map(lambda p: labels.get(p, p)))
    columns = [labels.get(p, p) for p in dict.fromkeys(data.sort_values("data_year")["period"])]
    grid = data.pivot_table(index=["sort", "ind"], columns="when", values="cell", aggfunc="first")
    grid = grid.reindex(columns=columns).fillna("")
    return grid.reset_index(level="sort", drop=True).rename_axis(index="indicator", columns=None).reset_index()


def figures_view(rows: pd.DataFrame, labels: dict[str, str], lang: str) -> pd.DataFrame:
    """Every figure as a list (downloads, and the restated / non-national ones on screen): what year it describes,
    its scope, rank or band, value, how the rank came about, its basis and source (URL or citation text)."""
    return pd.DataFrame({
        "period": [pres.period_text(labels.get(p, p), y, r, lang)
                   for p, y, r in zip(rows["period"], rows["data_year"], rows["is_restated"], strict=True)],
        "indicator": localized(rows, lang, "indicator_zh", "indicator_en"),
        "scope": [t(f"scope_{s}", lang) for s in rows["scope"]],
        "rank": [pres.rank_text(r, b, lang) if not (pres.missing(r) and pres.missing(b)) else ""
                 for r, b in zip(rows["rank"], rows["rank_at_most"], strict=True)],
        "province_rank": [pres.rank_text(r, None, lang) if not pres.missing(r) else "" for r in rows["province_rank"]],
        "west_rank": [pres.rank_text(r, None, lang) if not pres.missing(r) else "" for r in rows["west_rank"]],
        "value": [value_text(v, lang) for v in rows["value"]],
        "rank_source": [t(f"rank_source_{s}", lang) if isinstance(s, str) else "" for s in rows["rank_source"]],
        "basis": [basis_text(b, lang) for b in rows["basis"]],
        "source": [pres.source_link(u) or "" for u in rows["source_url"]],
        "source_note": [pres.source_note(u) or "" for u in rows["source_url"]],
        "source_ref": rows["source_ref"].fillna(""),
    })


def peer_groups(ranking: pd.DataFrame, adcode: str, around: int = 3) -> dict[str, pd.DataFrame]:
    """Peers in the current ranking: same province, same economic region, and neighbours in rank."""
    ranked = ranking.dropna(subset=["rank"])
    me = ranking[ranking["adcode"] == adcode]
    if me.empty:
        empty = ranked.iloc[0:0]
        return {"peers_same_province": empty, "peers_same_region": empty, "peers_neighbours": empty}
    row = me.iloc[0]
    others = ranked[ranked["adcode"] != adcode]
    near = ranked[(ranked["rank"] - row["rank"]).abs() <= around] if pd.notna(row["rank"]) else ranked.iloc[0:0]
    return {
        "peers_same_province": others[others["province_zh"] == row["province_zh"]].head(10),
        "peers_same_region": others[others["economic_region"] == row["economic_region"]].head(10),
        "peers_neighbours": near,
    }


def peer_view(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    return pd.DataFrame({"rank": frame["rank"].astype("Int64"), "region": names(frame, lang)})


# ---------------------------------------------------------------- compare

def compare_table(frame: pd.DataFrame, order: list[str], lang: str) -> pd.DataFrame:
    """Indicators as rows, regions as columns: '#5 (292.20)' where a value was published, '#5' or '前10' otherwise."""
    cells = []
    for r, b, v in zip(frame["rank"], frame["rank_at_most"], frame["value"], strict=True):
        placed_text = "" if pres.missing(r) and pres.missing(b) else pres.rank_text(r, b, lang, "hash")
        value = "" if pres.missing(v) else f"{v:,.2f}"
        cells.append(None if not placed_text and not value else
                     f"{placed_text} ({value})" if placed_text and value else placed_text or value)
    data = frame.assign(region=names(frame, lang, short=True),
                        ind=localized(frame, lang, "indicator_zh", "indicator_en"), cell=cells)
    region_names = dict(zip(data["adcode"], data["region"], strict=True))
    grid = data.pivot_table(index=["sort", "ind"], columns="adcode", values="cell", aggfunc="first")
    grid = grid.reindex(columns=[a for a in order if a in grid.columns]).fillna(t("not_published", lang))
    grid.columns = [region_names[a] for a in grid.columns]
    return grid.reset_index().drop(columns="sort").rename(columns={"ind": "indicator"})


# ---------------------------------------------------------------- provenance

def release_title(row: object, lang: str) -> str:
    return str(row.title_en if lang == "en" and row.title_en else row.title)


def releases_view(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    years = [f"{a}" if a == b else f"{a}–{b}" for a, b in zip(frame["data_year_from"], frame["data_year_to"],
                                                              strict=True)]
    english = lang == "en"
    return pd.DataFrame({
        "release": frame["release_id"],
        "title": frame["title_en"].fillna(frame["title"]) if english else frame["title"],
        "published": frame["published"], "years": years, "observations": frame["observation_count"],
        "publisher": frame["publisher_en"].fillna(frame["publisher"]) if english else frame["publisher"],
        "sha256": frame["raw_sha256"].str[:12], "file": frame["raw_file"],
    })


def run_command(command: str, lang: str) -> str:
    """'build' / 'add report.csv --replace' in the reader's language (the file name stays as it is)."""
    verb, _, rest = str(command).partition(" ")
    key = f"command_{verb}"
    return (t(key, lang) + (f" {rest}" if rest else "")) if verb in ("build", "add") else str(command)


def runs_view(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """ETL runs as text a reader can scan: warnings joined, empty fields blank (not 'None' / '[]'), enums worded."""
    warnings = [" · ".join(json.loads(w)) if isinstance(w, str) and w.startswith("[") else "" for w in
                frame["warnings"]]
    return pd.DataFrame({"started_at": frame["started_at"],
                         "command": [run_command(c, lang) for c in frame["command"]],
                         "status": [t(f"status_{s}", lang) if s in ("success", "failed", "running") else s
                                    for s in frame["status"]],
                         "message": frame["message"].fillna(""), "warnings": warnings})
