"""Table view-models: query results → display frames and their column settings (no page logic)."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboard import queries as q
from dashboard.i18n import localized, t
from dashboard.state import Filters


def delta_text(change: object, previous: object, lang: str) -> str:
    """▲2 / ▼1 / = for a rank change; 'new' when the region was not published in the previous period."""
    if pd.isna(previous):
        return t("delta_new", lang)
    change = int(change)
    return t("delta_same", lang) if change == 0 else (f"▲{change}" if change > 0 else f"▼{-change}")


def value_text(value: object, lang: str) -> str:
    return t("not_published", lang) if pd.isna(value) else f"{value:,.2f}"


def as_list(values: object) -> list:
    """DuckDB lists arrive as arrays (or None): plain Python lists for display."""
    if values is None or isinstance(values, str) or not hasattr(values, "__len__"):
        return []
    return [v for v in values if not pd.isna(v)]


def history_text(history: object) -> str:
    return " → ".join(str(int(r)) for r in as_list(history))


def is_missing(value: object) -> bool:
    return value is None or bool(pd.isna(value))


def rebased(family: str) -> bool:
    """Whether the family's periods span several frameworks (then only ranks compare across periods)."""
    return q.periods(family)["framework"].nunique() > 1


def ranked_kinds(family: str, period: str, level: str) -> list[str]:
    """The sub-indicator kinds with at least one rank in this period and level, in hierarchy order."""
    ranked = q.indicators(family, period, level)
    return [k for k in ("sub_index", "sub_industry", "component") if ranked[ranked["kind"] == k]["n_ranked"].sum()]


def sparse(family: str, period: str, level: str) -> bool:
    """Press-compiled data (top-N lists): most regions are 'not published' in a ranking."""
    inds = q.indicators(family, period, level)
    return len(inds) > 0 and float(inds["n_ranked"].median()) < 50


def rank_text(value: object) -> str:
    return "—" if is_missing(value) else str(int(value))


def base_name(f: Filters, what: str) -> str:
    """Download file names say what they hold: family, edition, indicator, level, region filter."""
    parts = [f.family, f.period, f.indicator, f.level]
    if f.region != "all":
        parts.append(f.region)
    if f.province:
        parts.append(f.province)
    return "_".join([*parts, what])


_MARKDOWN_SPECIAL = set("\\`*_{}[]()<>#+-.!|~:$&")


def md_text(text: object) -> str:
    """Text from data files shown through st.markdown: every markdown/HTML character escaped, so a sidecar or
    report cannot inject links, images or formatting."""
    return "".join(f"\\{ch}" if ch in _MARKDOWN_SPECIAL else ch for ch in str(text)).replace("\n", " ")


def is_url(text: object) -> bool:
    return isinstance(text, str) and text.startswith(("http://", "https://"))


def labelled_periods(family: str, lang: str) -> pd.DataFrame:
    """The family's periods with a readable label ('2018 edition (data 2017)' or '2020')."""
    periods = q.periods(family).drop_duplicates("period")
    periods["label"] = [t("period_year", lang, year=y) if p == str(y) else
                        t("period_edition", lang, edition=e, year=y)
                        for p, y, e in zip(periods["period"], periods["data_year"], periods["edition"], strict=True)]
    return periods.reset_index(drop=True)


def period_label(family: str, period: str, lang: str) -> str:
    periods = labelled_periods(family, lang)
    row = periods[periods["period"] == period]
    return period if row.empty else str(row["label"].iloc[0])


def previous_period(family: str, period: str) -> str | None:
    periods = list(q.periods(family).drop_duplicates("period")["period"])
    i = periods.index(period) if period in periods else 0
    return periods[i - 1] if i > 0 else None


def indicator_name(family: str, indicator: str, lang: str) -> str:
    inds = q.indicators(family)
    row = inds[inds["indicator"] == indicator]
    return indicator if row.empty else str(localized(row, lang, "name_zh", "name_en").iloc[0])


def ranking_meta(f: Filters) -> dict[str, str]:
    name = indicator_name(f.family, f.indicator, f.lang)
    period = period_label(f.family, f.period, f.lang)
    level = t(f"level_{f.level}", f.lang)
    return {"indicator_name": name, "period_label": period,
            "title": t("ranking_title", f.lang, indicator=name, period=period, level=level),
            "chart_title": name, "chart_subtitle": t("ranking_subtitle", f.lang, level=level, period=period)}


def ranking_view(data: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The ranking as users read it: rank, change, name, province, value or 'not published', history, source
    (a source-note column only where some source is not a link)."""
    view = pd.DataFrame({  # most-read columns first: a narrow screen scrolls the rest into view
        "rank": data["rank"].astype("Int64"),
        "delta": [delta_text(c, p, lang) for c, p in zip(data["rank_change"], data["previous_rank"], strict=True)],
        "region": localized(data, lang, "region_zh", "region_en"),
        "value": [value_text(v, lang) for v in data["value"]],
        "trend": [[-int(r) for r in as_list(h)] for h in data["history"]],
        "history": [history_text(h) for h in data["history"]],
        "source": [u if is_url(u) else None for u in data["source_url"]],
        "basis": [t(f"basis_{b}", lang) for b in data["basis"]],
        "province": localized(data, lang, "province_zh", "province_en"),
        "source_note": [None if is_url(u) else u for u in data["source_url"]],
    })
    return view if view["source_note"].notna().any() else view.drop(columns="source_note")


def ranking_export(data: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The ranking as a download: readable columns plus codes, numbers kept as numbers."""
    view = ranking_view(data, lang).drop(columns=["trend"])
    view.insert(2, "adcode", data["adcode"].to_numpy())
    view["value"] = data["value"].to_numpy()
    view["source"] = data["source_url"].to_numpy()
    return view.drop(columns=["source_note"], errors="ignore")


def ranking_columns(lang: str) -> dict:
    cc = st.column_config
    return {
        "rank": cc.NumberColumn(t("col_rank", lang), format="%d", width=48),
        "delta": cc.TextColumn(t("col_delta", lang), help=t("col_delta_help", lang), width=56),
        "region": cc.TextColumn(t("col_region", lang), width=96),
        "province": cc.TextColumn(t("col_province", lang), width=84),
        "value": cc.TextColumn(t("col_value", lang), help=t("col_value_help", lang), width=100),
        "history": cc.TextColumn(t("col_history", lang), help=t("col_history_help", lang), width=96),
        "trend": cc.LineChartColumn(t("col_trend", lang), help=t("col_trend_help", lang), width=64),
        "basis": cc.TextColumn(t("col_basis", lang), help=t("col_basis_help", lang), width=56),
        "source": cc.LinkColumn(t("col_source", lang), display_text=t("source_link", lang), width=56),
        "source_note": cc.TextColumn(t("col_source_note", lang), width=120),
    }


def concat_unique(*frames: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True).drop_duplicates(["adcode", "period"])


def bump_lines(history: pd.DataFrame, selected: pd.DataFrame, period: str, chosen: list[str],
               top: int = 10, context: int = 30) -> tuple[list[str], pd.DataFrame]:
    """Which lines a bump chart draws: the period's top `top` plus the chosen regions in colour, and the
    period's top `context` in grey behind them (a dense panel would otherwise draw hundreds of lines)."""
    current = history[history["period"] == period].sort_values("rank")
    leaders = current["adcode"].head(top).tolist()
    focus = list(dict.fromkeys([*chosen, *leaders])) if chosen else leaders
    keep = set(current["adcode"].head(context)) | set(focus)
    if current.empty:  # the period has no ranking for this concept: show whoever was ranked at all
        keep = set(history["adcode"].unique()[:context]) | set(focus)
    return focus, history[history["adcode"].isin(keep)]


def values_comparable(lines: pd.DataFrame) -> bool:
    """Values can be compared across periods only within one framework and where they were published."""
    valued = lines.dropna(subset=["value"])
    return len(valued) > 0 and valued["framework"].nunique() == 1 and valued["period"].nunique() > 1


def movers(pair: pd.DataFrame, rising: bool, n: int = 10) -> pd.DataFrame:
    moved = pair[pair["rank_change"] > 0] if rising else pair[pair["rank_change"] < 0]
    return moved.sort_values(["rank_change", "end_rank"], ascending=[not rising, True]).head(n)


def movers_view(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    return pd.DataFrame({
        "region": localized(frame, lang, "region_zh", "region_en"),
        "from": frame["start_rank"].astype("Int64"), "to": frame["end_rank"].astype("Int64"),
        "change": [f"▲{int(c)}" if c > 0 else f"▼{-int(c)}" for c in frame["rank_change"]],
    })


def movers_columns(lang: str) -> dict:
    cc = st.column_config
    return {"region": cc.TextColumn(t("col_region", lang)), "from": cc.NumberColumn(t("col_from", lang)),
            "to": cc.NumberColumn(t("col_to", lang)), "change": cc.TextColumn(t("col_change", lang))}


def about(f: Filters, lang: str, title: str) -> dict[str, str]:
    """The metadata sheet of a table download: what, filters, sources and citations of the family."""
    rel = q.releases(f.family)
    region = t(f"region_{f.region}", lang)
    return {
        "title": title,
        "family": f.family,
        "edition": f.period,
        "indicator": f.indicator,
        "level": f.level,
        "filters": f"region={region}; province={f.province or '-'}; cities={','.join(f.cities) or '-'}",
        "note": t("rebased_note", lang),
        "sources": "; ".join(u for urls in rel["source_urls"] for u in as_list(urls)),
        "citation": " | ".join(rel["citation"]),
        "terms": " | ".join(dict.fromkeys(rel["terms"])),
    }


def top10_everywhere(frame: pd.DataFrame, lang: str) -> tuple[int, list[str]]:
    """Regions ranked in the top 10 of every sub-indicator that has ranks in this frame."""
    n = frame["indicator"].nunique()
    top = frame[frame["rank"] <= 10]
    counts = top.groupby("adcode")["indicator"].nunique()
    winners = top[top["adcode"].isin(counts[counts == n].index)].drop_duplicates("adcode")
    winners = winners.sort_values("total_rank", na_position="last")
    return n, localized(winners, lang, "region_short_zh", "region_en").tolist()


def heatmap_rows(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    """The n regions to show: by total rank where there is one, else by their best sub-indicator rank."""
    order = frame.groupby("adcode").agg(total=("total_rank", "min"), best=("rank", "min"))
    keep = order.sort_values(["total", "best"], na_position="last").head(n).index
    return frame[frame["adcode"].isin(keep)]


def heatmap_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    data = frame.assign(region=localized(frame, lang, "region_zh", "region_en"),
                        ind=localized(frame, lang, "indicator_zh", "indicator_en"))
    return data.pivot_table(index="region", columns="ind", values="rank", aggfunc="min").reset_index()


def best_ranked(frame: pd.DataFrame) -> str:
    return str(frame.sort_values(["total_rank", "rank"], na_position="last")["adcode"].iloc[0])


def profile_frame(frame: pd.DataFrame, adcode: str, peer_kind: str) -> pd.DataFrame:
    """One region's rank per sub-indicator and the median rank of its peers (same economic region or province)."""
    me = frame[frame["adcode"] == adcode]
    key = "economic_region" if peer_kind == "region" else "province_zh"
    peers = frame[(frame[key] == me[key].iloc[0]) & (frame["adcode"] != adcode)]
    peer_rank = peers.groupby("indicator")["rank"].median().rename("peer_rank")
    return me.join(peer_rank, on="indicator").sort_values("sort")


def profile_city(chosen: tuple[str, ...], ranking: pd.DataFrame, known: list[str]) -> str:
    """The region to profile: the first chosen one, else the current leader, else the first with data."""
    for adcode in (*chosen, *ranking.dropna(subset=["rank"])["adcode"].head(1)):
        if adcode in known:
            return adcode
    return known[0]


def headline_total(rows: pd.DataFrame, period: str) -> pd.Series | None:
    """The total-index row of the chosen period, else of the latest period the region was ranked in."""
    total = rows[(rows["indicator_kind"] == "total") & (rows["scope"] == "national") & ~rows["is_restated"]]
    total = total.dropna(subset=["rank"]).sort_values("data_year")
    chosen = total[total["period"] == period]
    return chosen.iloc[-1] if len(chosen) else total.iloc[-1] if len(total) else None


def city_view(rows: pd.DataFrame, periods: pd.DataFrame, lang: str) -> pd.DataFrame:
    labels = dict(zip(periods["period"], periods["label"], strict=True))
    return pd.DataFrame({
        "period": [labels.get(p, p) for p in rows["period"]],
        "indicator": localized(rows, lang, "indicator_zh", "indicator_en"),
        "scope": [t(f"scope_{s}", lang) for s in rows["scope"]],
        "rank": [rank_text(r) for r in rows["rank"]],
        "province_rank": [rank_text(r) for r in rows["province_rank"]],
        "west_rank": [rank_text(r) for r in rows["west_rank"]],
        "value": [value_text(v, lang) for v in rows["value"]],
        "rank_source": [t(f"rank_source_{s}", lang) if isinstance(s, str) else "" for s in rows["rank_source"]],
        "basis": [t(f"basis_{b}", lang) for b in rows["basis"]],
        "restated": rows["is_restated"],
        "source": [u if is_url(u) else None for u in rows["source_url"]],
        "source_note": ["" if is_url(u) else u for u in rows["source_url"]],
    })


def city_columns(lang: str) -> dict:
    cc = st.column_config
    return {
        "period": cc.TextColumn(t("col_period", lang)), "indicator": cc.TextColumn(t("col_indicator", lang)),
        "scope": cc.TextColumn(t("col_scope", lang)), "rank": cc.TextColumn(t("col_rank", lang)),
        "province_rank": cc.TextColumn(t("col_province_rank", lang)),
        "west_rank": cc.TextColumn(t("col_west_rank", lang)),
        "value": cc.TextColumn(t("col_value", lang)), "rank_source": cc.TextColumn(t("col_rank_source", lang)),
        "basis": cc.TextColumn(t("col_basis", lang)), "restated": cc.CheckboxColumn(t("col_restated", lang)),
        "source": cc.LinkColumn(t("col_source", lang), display_text=t("source_link", lang)),
        "source_note": cc.TextColumn(t("col_source_note", lang)),
    }


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
    return pd.DataFrame({"rank": frame["rank"].astype("Int64"),
                         "region": localized(frame, lang, "region_zh", "region_en")})


def peer_columns(lang: str) -> dict:
    cc = st.column_config
    return {"rank": cc.NumberColumn(t("col_rank", lang), format="%d"), "region": cc.TextColumn(t("col_region", lang))}


def compare_table(frame: pd.DataFrame, order: list[str], lang: str) -> pd.DataFrame:
    """Indicators as rows, regions as columns: '#5 (292.20)' where a value was published, '#5' otherwise."""
    data = frame.assign(region=localized(frame, lang, "region_short_zh", "region_en"),
                        ind=localized(frame, lang, "indicator_zh", "indicator_en"),
                        cell=[None if pd.isna(r) and pd.isna(v) else
                              ("" if pd.isna(r) else f"#{int(r)}") + ("" if pd.isna(v) else f" ({v:,.2f})")
                              for r, v in zip(frame["rank"], frame["value"], strict=True)])
    names = dict(zip(data["adcode"], data["region"], strict=True))
    grid = data.pivot_table(index=["sort", "ind"], columns="adcode", values="cell", aggfunc="first")
    grid = grid.reindex(columns=[a for a in order if a in grid.columns]).fillna(t("not_published", lang))
    grid.columns = [names[a] for a in grid.columns]
    grid = grid.reset_index().drop(columns="sort").rename(columns={"ind": t("col_indicator", lang)})
    return grid


def release_title(row: object, lang: str) -> str:
    return str(row.title_en if lang == "en" and row.title_en else row.title)


def releases_view(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    years = [f"{a}" if a == b else f"{a}–{b}" for a, b in zip(frame["data_year_from"], frame["data_year_to"],
                                                              strict=True)]
    return pd.DataFrame({
        "release": frame["release_id"], "title": frame["title"] if lang == "zh" else frame["title_en"].fillna(
            frame["title"]),
        "published": frame["published"], "years": years, "observations": frame["observation_count"],
        "publisher": frame["publisher"], "sha256": frame["raw_sha256"].str[:12], "file": frame["raw_file"],
    })


def releases_columns(lang: str) -> dict:
    cc = st.column_config
    return {"release": cc.TextColumn(t("col_release", lang)), "title": cc.TextColumn(t("col_title", lang)),
            "published": cc.DateColumn(t("col_published", lang)), "years": cc.TextColumn(t("col_data_years", lang)),
            "observations": cc.NumberColumn(t("col_observations", lang)), "sha256": cc.TextColumn(t("col_sha", lang)),
            "publisher": cc.TextColumn(t("col_publisher", lang), width="large"),
            "file": cc.TextColumn(t("col_file", lang))}


def runs_view(frame: pd.DataFrame) -> pd.DataFrame:
    """ETL runs as text a reader can scan: warnings joined, empty fields blank (not 'None' / '[]')."""
    warnings = [" · ".join(json.loads(w)) if isinstance(w, str) and w.startswith("[") else "" for w in
                frame["warnings"]]
    return pd.DataFrame({"started_at": frame["started_at"], "command": frame["command"], "status": frame["status"],
                         "message": frame["message"].fillna(""), "warnings": warnings})


def runs_columns(lang: str) -> dict:
    cc = st.column_config
    return {"started_at": cc.DatetimeColumn(t("col_started", lang)), "command": cc.TextColumn(t("col_command", lang)),
            "status": cc.TextColumn(t("col_status", lang)), "message": cc.TextColumn(t("col_message", lang)),
            "warnings": cc.TextColumn(t("col_warnings", lang))}
