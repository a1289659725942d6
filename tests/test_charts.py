"""Charts and the presentation rules behind them, on the real embedded Tencent data and PKU-DFIIC (no Streamlit):
what a reader of each chart may conclude must be what the data say."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import charts, context, views
from dashboard import presentation as pres
from dashboard import queries as q

FAMILY, CHONGQING, CHANGSHA, CHENGDU = "tencent_internet_plus", "500100", "430100", "510100"


def use(warehouse, monkeypatch):
    monkeypatch.setenv("INDEX_WAREHOUSE", str(warehouse))
    q._PINNED.__dict__.clear()


@pytest.fixture(autouse=True)
def embedded(embedded_warehouse, monkeypatch):
    use(embedded_warehouse, monkeypatch)
    yield
    q._PINNED.__dict__.clear()


def periods(lang: str = "zh", family: str = FAMILY):
    return context.label_periods(q.periods(family), lang)


def national(rows):
    return rows[(rows["scope"] == "national") & rows["rank"].notna() & ~rows["is_restated"]]


def traces(fig, role: str | None = None) -> list:
    return [tr for tr in fig.data if role is None or (tr.meta or {}).get("role") == role]


def ys(trace) -> list:
    """A trace's y values as a reader sees them: None where Plotly draws nothing (NaN or null)."""
    return [None if v is None or v != v else v for v in trace.y]


def points(fig, role: str) -> dict:
    """name → (position on the rank axis, text, reach back towards 1) over every trace of a role."""
    out = {}
    for tr in traces(fig, role):
        reach = tr.error_x.arrayminus if tr.error_x.arrayminus is not None else [0] * len(tr.y)
        out.update({y: (x, text, r) for y, x, text, r in zip(tr.y, tr.x, tr.text, reach, strict=True)})
    return out


# --- rule 1: length encodes published values only ------------------------------------------------------------

def test_a_rank_only_ranking_is_dots_on_a_rank_axis_never_bars():
    ranking = q.ranking(FAMILY, "2018", "total", "city")
    assert ranking["value"].isna().all()  # Tencent's 2018 list publishes ranks, no values
    fig = charts.ranking_chart(views.placed(ranking).head(10), "zh", "总指数")
    assert not [tr for tr in fig.data if isinstance(tr, go.Bar)]
    placed = points(fig, "ranks")
    assert placed["成都"][0] == 5 and placed["重庆"][0] == 7  # position on the rank axis = the rank
    assert placed["深圳"][1] == "#1" and all(r == 0 for _, _, r in placed.values())
    assert list(fig.layout.yaxis.categoryarray[:3]) == ["深圳", "广州", "北京"]


def test_published_values_get_bars_from_zero(full_warehouse, monkeypatch):
    use(full_warehouse, monkeypatch)
    ranking = views.placed(q.ranking("pku_dfiic", "2020", "index_aggregate", "city")).head(10)
    fig = charts.ranking_chart(ranking, "zh", "总指数")
    (bars,) = fig.data
    assert isinstance(bars, go.Bar) and fig.layout.xaxis.rangemode == "tozero"
    assert np.allclose(list(bars.x), ranking["value"].to_numpy())


def test_ranking_chart_colours_the_west():
    fig = charts.ranking_chart(views.placed(q.ranking(FAMILY, "2018", "total", "city")).head(10), "zh", "总指数")
    colours = {name: tr.marker.color for tr in fig.data for name in tr.y}
    assert colours["重庆"] == colours["成都"] == charts.WEST != colours["深圳"]


# --- rule 2: a period without a published rank is a gap ---------------------------------------------------------

def test_changsha_2017_is_a_gap_in_its_line_not_a_straight_line_through_it():
    history = q.rank_history(FAMILY, "total", "city")
    held = q.ranking_periods(FAMILY, "city")["total"]
    fig = charts.bump_chart(history, periods(), [CHANGSHA], "zh", "总指数", held=held, chosen=[CHANGSHA])
    (line,) = [tr for tr in fig.data if tr.name == "长沙"]
    assert ys(line) == [9, None, 10] and not line.connectgaps
    assert "2017年版（2016年数据）" in list(line.x)


def test_changsha_is_not_new_in_2018_but_missing_from_2017():
    ranking = q.ranking(FAMILY, "2018", "total", "city")
    view = views.ranking_view(ranking, "en", "2017 edition (data 2016)").set_index("region")
    assert view.loc["Changsha", "delta"] == "not in prev." and view.loc["Changsha", "history"] == "9 → – → 10"
    assert view.loc["Chongqing", "delta"] == "▲1" and view.loc["Chongqing", "history"] == "– → 8 → 7"
    assert "value" not in view  # the 2018 list published ranks only: no column of 'not published'
    assert views.ranking_export(ranking, "en", None)["value"].isna().all()  # the download keeps its layout


def test_new_only_for_a_region_never_ranked_before():
    assert pres.delta(5, None, True, False, "2017", "zh").kind == "new"
    assert pres.delta(5, None, True, True, "2017", "zh").kind == "gap"
    assert pres.delta(5, None, False, False, "2017", "zh").kind == "none"  # the previous period had no such ranking
    assert pres.delta(5, None, None, None, None, "zh").kind == "none"  # the first period
    assert pres.delta(5, 7, True, True, "2017", "zh").text == "▲2"


def test_sparklines_show_the_hole():
    svg = pres.sparkline([9, None, 10])
    import base64
    drawn = base64.b64decode(svg.split(",", 1)[1]).decode()
    assert drawn.count("<circle") == 2 and "<polyline" not in drawn  # two lone points, nothing joins them
    assert drawn.count("<line") == 1  # the empty period is marked
    assert pres.sparkline([None, None]) is None


def test_history_chart_shows_chongqing_8th_then_7th_with_one_tick_per_rank():
    rows = national(q.region_rows(FAMILY, CHONGQING, "city"))
    total = rows[rows["indicator"] == "total"]
    held = q.ranking_periods(FAMILY, "city")
    fig = charts.history_chart(total, periods(), "zh", "重庆", held=held, mark="2018")
    (line,) = fig.data
    assert ys(line) == [None, 8, 7]  # not ranked in the 2016 edition: a hole, not a missing period
    axis = fig.layout.yaxis
    assert axis.range[0] > axis.range[1], "rank 1 must be on top"
    assert axis.dtick == 1 and axis.tickformat == "d", "few ranks: one whole-number tick each (no 1, 1, 2, 2)"
    assert charts.rank_axis(97, "en", [100, 0.2])["tickvals"] == [1, 20, 40, 60, 80]  # the best rank labelled
    assert charts.rank_axis(337, "en", [340, 0.2])["tickvals"] == [1, 100, 200, 300]
    assert [t for t in line.text if t] == ["#7"]  # the headline's period is labelled, and it is the last point
    assert [a.text for a in fig.layout.annotations if a.text == "所选时期"]  # the band says what it marks


def test_the_city_headline_and_its_chart_label_the_same_period(full_warehouse, monkeypatch):
    use(full_warehouse, monkeypatch)
    rows = q.region_rows("pku_dfiic", "330100", "city")  # 杭州
    headline = views.headline_total(rows, "2020")
    main = national(rows)[lambda r: r["indicator_kind"].isin(["total", "sub_index"])]
    fig = charts.history_chart(main, periods(family="pku_dfiic"), "zh", "杭州", mark="2020")
    total = next(tr for tr in fig.data if tr.hovertext[0] == "数字普惠金融总指数")
    labelled = {x: t for x, t in zip(total.x, total.text, strict=True) if t}
    assert labelled["2020年"] == f"#{int(headline['rank'])}"
    assert all(not any(tr.text) for tr in fig.data if tr is not total)  # one labelled line: no pile-up


# --- bands ---------------------------------------------------------------------------------------------------

def test_a_band_is_a_range_on_the_rank_axis_and_sorts_after_the_exact_ranks_above_it():
    ranking = q.ranking(FAMILY, "2018", "digital_retail", "city")
    fig = charts.ranking_chart(views.placed(ranking), "en", "Digital retail")
    placed = points(fig, "ranks")
    assert placed == {"Chongqing": (10.0, "top 10", 9.0), "Chengdu": (10.0, "top 10", 9.0)}  # from 1 to 10
    mixed = pd.DataFrame({"rank": [10, None, 11, 3], "rank_at_most": [None, 10, None, None], "value": None})
    frame = pres.sort_ranked(mixed)
    assert [pres.rank_text(r, b, "zh") for r, b in zip(frame["rank"], frame["rank_at_most"], strict=True)] == \
        ["3", "10", "前10", "11"]


def test_bands_show_as_top_10_in_tables_and_heatmaps_never_as_numbers():
    subs = views.placed(q.subindicator_ranks(FAMILY, "2018", "city", ["sub_industry"]))
    grid = views.heatmap_table(subs, "zh").set_index("region")
    assert set(grid.loc["重庆市"]) == {"前10"} and len(grid.loc["重庆市"]) == 10
    export = views.ranking_export(q.ranking(FAMILY, "2018", "digital_finance", "city"), "zh", None)
    assert export["rank"].isna().all() and export["rank_at_most"].tolist() == [10, 10]
    fig = charts.rank_heatmap(subs, "zh", "细分行业", size=10)
    (bands,) = traces(fig, "bands")
    assert {t for row in bands.text for t in row} == {"前10"}
    assert not traces(fig, "ranks")  # no band became a coloured rank, and no rank colour bar for none drawn
    assert "没有公布具体名次" in fig.layout.meta["alt"] and "对数刻度" not in fig.layout.meta["alt"]
    source = pres.rank_sources(subs)
    assert subs["rank"].isna().all() and set(source) == {"published"}  # the export footer: ranks as published


def test_chongqing_and_chengdu_are_in_the_top_10_of_all_ten_sub_industries():
    subs = views.placed(q.subindicator_ranks(FAMILY, "2018", "city", ["sub_industry"]))
    assert views.all_round(subs, "zh") == (10, ["成都", "重庆"])  # ordered by their total rank (5th, 7th)


# --- rule 6: colour spans the ranking's real range ------------------------------------------------------------

def test_rank_colours_span_the_ranking_not_the_rows_shown(full_warehouse, monkeypatch):
    use(full_warehouse, monkeypatch)
    subs = views.placed(q.subindicator_ranks("pku_dfiic", "2020", "city", ["sub_index"], region="west"))
    shown = views.heatmap_rows(subs, 5)
    fig = charts.rank_heatmap(shown, "zh", "分项指数", size=337)
    (ranks,) = traces(fig, "ranks")
    assert ranks.zmin == 0 and ranks.zmax == pytest.approx(np.log10(337))
    assert ranks.colorbar.ticktext[0] == "1" and ranks.colorbar.ticktext[-1] == "337"
    assert shown["rank"].max() < 337  # the rows shown do not stretch the scale


# --- legends list only what is drawn; labels do not collide ---------------------------------------------------

def test_profile_without_enough_ranked_peers_has_no_peer_marker_or_legend_entry():
    subs = views.placed(q.subindicator_ranks(FAMILY, "2018", "city", ["sub_index"]))
    profile = views.profile_frame(subs, CHENGDU, "province")  # no other 四川 city is ranked
    fig = charts.profile_dots(profile, "成都", "同省份地区", "zh", "成都")
    assert [tr.name for tr in fig.data] == ["成都"]
    axis = fig.layout.xaxis
    assert axis.range[0] < axis.range[1]  # rank 1 at the left, as on the rankings' dot plot


def test_profile_labels_sit_on_opposite_sides_of_close_dots(full_warehouse, monkeypatch):
    use(full_warehouse, monkeypatch)
    subs = views.placed(q.subindicator_ranks("pku_dfiic", "2020", "city", ["sub_index"]))
    profile = views.profile_frame(subs, CHONGQING, "region")
    fig = charts.profile_dots(profile, "重庆", "同区域地区", "zh", "重庆")
    peers, city = fig.data
    assert peers.textposition == "bottom center" and city.textposition == "top center"
    assert not city.cliponaxis and not peers.cliponaxis


def test_charts_keep_their_template_after_streamlit_loads_its_plotly_theme():
    """Streamlit sets Plotly's default template to its own when it first draws a chart: ours must not depend on it
    (exports would lose the CJK font)."""
    import plotly.io as pio
    from streamlit.elements.lib import streamlit_plotly_theme

    streamlit_plotly_theme.configure_streamlit_plotly_theme()
    assert pio.templates.default == "streamlit"
    fig = charts.ranking_chart(views.placed(q.ranking(FAMILY, "2018", "total", "city")).head(10), "zh", "总指数")
    assert "Noto Sans CJK SC" in fig.layout.template.layout.font.family
    pio.templates.default = "cnindex"


# --- colours say what they mean --------------------------------------------------------------------------------

def test_ranking_dots_state_their_colours_and_the_slope_chart_keeps_vermillion_for_the_west():
    top = views.placed(q.ranking(FAMILY, "2018", "total", "city")).head(10)
    key = charts.ranking_chart(top, "zh", "总指数").layout.title.subtitle.text
    assert f"color:{charts.WEST}" in key and "西部地区" in key and "其他地区" in key  # 成都, 重庆 orange: said so
    chosen = charts.ranking_chart(top, "en", "Total", chosen=[CHONGQING]).layout.title.subtitle.text
    assert "chosen regions" in chosen and "western" not in chosen  # once chosen, orange is not drawn
    pair = q.slope(FAMILY, "total", "city", "2017", "2018", "all", None, ())
    slope = charts.slope_chart(pair.dropna(subset=["start_rank", "end_rank"]), "2017", "2018", "en", "Total")
    drawn = {tr.line.color for tr in slope.data}
    assert charts.WEST not in drawn and charts.FELL in drawn  # 杭州 fell 6 → 9: not in the western colour
    assert "fell" in slope.layout.title.subtitle.text and "rose" in slope.layout.title.subtitle.text
    assert charts.HIGHLIGHT not in charts.OKABE_ITO and charts.WEST not in charts.OKABE_ITO  # one meaning each


def test_scatter_names_never_overlap_and_the_chosen_city_is_always_named():
    """Three names in one spot: each takes a free place around its point or is left to the hover."""
    xs, ys, names = [100, 104, 108, 400], [200, 202, 204, 100], ["北京市", "深圳市", "上海市", "重庆市"]
    spots = charts.label_spots(xs, ys, names, charts.SCATTER_PX)
    assert spots[3] == "top center" and spots[0]  # alone: above its point; the first of the three: placed
    offsets = {spot: (dx, dy) for spot, dx, dy in charts.LABEL_SPOTS}
    boxes = []  # each drawn name's box, 13 px per CJK character and 16 px high, 9 px from its point
    for x, y, spot in zip(xs, ys, spots, strict=True):
        if spot:
            dx, dy = offsets[spot]
            cx, cy = x + dx * (9 + 19.5), y + dy * (9 + 8)
            boxes.append((cx - 19.5, cy - 8, cx + 19.5, cy + 8))
    assert not [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]]  # no two names overlap
    pairs = q.paired_ranks((FAMILY, "2018", "total"), (FAMILY, "2017", "total"), "city")
    fig = charts.rank_scatter(pairs, "2018", "2017", "zh", "", [CHONGQING])
    chosen = traces(fig, "chosen")[0]
    assert list(chosen.text) == [n for n in chosen.text if n] and chosen.text[0].startswith("重庆")


def test_english_counts_of_one_are_singular():
    from dashboard.i18n import t

    assert t("alt_bump", "en", title="T", n=1, periods=3).endswith("1 region highlighted across 3 periods.")
    assert "21 regions" in t("alt_bump", "en", title="T", n=21, periods=2)


def test_a_ranking_download_cites_every_release_its_history_column_holds():
    ranking = q.ranking(FAMILY, "2018", "total", "city")
    held = views.held_releases(ranking, q.releases(FAMILY))
    assert held[0] == f"{FAMILY}/2018" and set(held) == {f"{FAMILY}/{e}" for e in ("2016", "2017", "2018")}
    top3 = ranking.head(3)  # 深圳, 广州, 北京: 北京 was ranked in 2016, the others not
    assert f"{FAMILY}/2016" in views.held_releases(top3, q.releases(FAMILY))


def test_grey_lines_beyond_the_rank_range_end_at_its_edge_marked():
    """重庆 chosen (8th, 7th): the range ends below 8; 东莞 (10th, 8th) and 长沙 (9th, 10th) stay in the plot."""
    history = q.rank_history(FAMILY, "total", "city")
    held = q.ranking_periods(FAMILY, "city")["total"]
    fig = charts.bump_chart(history, periods(), [CHONGQING], "zh", "总指数", held=held, chosen=[CHONGQING])
    (context,) = traces(fig, "context")
    bottom = fig.layout.yaxis.range[0]
    assert max(y for y in context.y if y is not None) < bottom  # nothing leaves the plot
    marked = [c for c, s in zip(context.customdata, context.marker.symbol, strict=True) if s == "triangle-down"]
    assert marked and min(marked) > 8 and "▼" in fig.layout.meta["alt"]  # the true ranks, in the hover
