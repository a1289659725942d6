"""Charts and the precomputed ranks behind them, on the embedded Tencent data (no Streamlit): what a reader of
Chongqing's page and of the rankings sees."""

import pytest

from dashboard import charts, tables
from dashboard import queries as q

FAMILY, CHONGQING = "tencent_internet_plus", "500100"


@pytest.fixture(autouse=True)
def embedded(embedded_warehouse, monkeypatch):
    monkeypatch.setenv("INDEX_WAREHOUSE", str(embedded_warehouse))
    q._PINNED.__dict__.clear()
    yield
    q._PINNED.__dict__.clear()


def chongqing_history():
    rows = q.region_rows(FAMILY, CHONGQING, "city")
    return rows[(rows["scope"] == "national") & rows["rank"].notna() & (rows["indicator"] == "total")]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_history_chart_shows_chongqing_8th_then_7th_with_one_tick_per_rank(lang):
    fig = charts.history_chart(chongqing_history(), tables.labelled_periods(FAMILY, lang), lang, "重庆")
    (line,) = fig.data
    assert list(line.y) == [8, 7]
    axis = fig.layout.yaxis
    assert axis.range[0] > axis.range[1], "rank 1 must be on top"
    assert axis.dtick == 1 and axis.tickformat == "d", "few ranks: one whole-number tick each (no 1, 1, 2, 2)"
    assert fig.layout.meta["alt"]


def test_within_province_and_west_ranks_agree_with_the_national_ranking():
    ranking = q.ranking(FAMILY, "2018", "total", "city").dropna(subset=["rank"])
    me = chongqing_history().set_index("period").loc["2018"]
    western = ranking[ranking["is_west"]]
    assert me["rank"] == 7
    assert me["west_rank"] == 1 + int((western["rank"] < 7).sum())
    assert me["west_ranked"] == len(western) and me["ranked"] == len(ranking)
    assert me["province_rank"] == 1 and me["province_ranked"] == 1  # the only city of 重庆 in the ranking


def test_sub_indicator_rows_carry_the_total_rank_of_their_region():
    subs = q.subindicator_ranks(FAMILY, "2018", "city", ["sub_index"]).dropna(subset=["total_rank"])
    totals = q.ranking(FAMILY, "2018", "total", "city").set_index("adcode")["rank"]
    assert len(subs)
    assert (subs["total_rank"].to_numpy() == totals.loc[subs["adcode"]].to_numpy()).all()


def test_ranking_bar_puts_the_leader_first_and_colours_the_west():
    frame = q.ranking(FAMILY, "2018", "total", "city").head(10)
    fig = charts.ranking_bar(frame, "zh", "总指数")
    bars = fig.data[0]
    assert bars.y[0] == "深圳" and fig.layout.yaxis.autorange == "reversed"
    colours = dict(zip(bars.y, bars.marker.color, strict=True))
    assert colours["重庆"] == colours["成都"] != colours["深圳"]
