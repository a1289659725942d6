"""Index families side by side: the agreement of two rankings computed in DuckDB equals scipy's on the real
panels; too small an overlap gives no coefficient; the page answers "how much do they agree, where not"."""

import pytest
from scipy import stats

from dashboard import presentation as pres
from dashboard import queries as q
from tests.test_app import texts

TENCENT_2019 = ("tencent_internet_plus", "2019", "total")  # the 2019 edition describes 2018
PKU_2018 = ("pku_dfiic", "2018", "index_aggregate")


@pytest.fixture
def full(full_warehouse, monkeypatch):
    monkeypatch.setenv("INDEX_WAREHOUSE", str(full_warehouse))
    q._PINNED.__dict__.clear()
    yield
    q._PINNED.__dict__.clear()


@pytest.mark.parametrize(("a", "b"), [
    (TENCENT_2019, PKU_2018),  # press top 10 against the full panel: 10 cities in both
    (("pku_dfiic", "2020", "index_aggregate"), ("pku_dfiic", "2020", "coverage_breadth")),
    (("pku_dfiic", "2013", "insurance"), ("pku_dfiic", "2023", "insurance")),  # tied ranks in both
])
def test_agreement_equals_scipy(full, a, b):
    pairs = q.paired_ranks(a, b, "city")
    found = q.agreement(a, b, "city")
    assert int(found["n"]) == len(pairs) >= 10
    assert found["rho"] == pytest.approx(stats.spearmanr(pairs["rank_a"], pairs["rank_b"]).statistic, abs=1e-12)
    assert found["tau"] == pytest.approx(stats.kendalltau(pairs["rank_a"], pairs["rank_b"]).statistic, abs=1e-12)


def test_ties_are_present_in_the_tied_case(full):
    pairs = q.paired_ranks(("pku_dfiic", "2013", "insurance"), ("pku_dfiic", "2023", "insurance"), "city")
    assert pairs["rank_a"].duplicated().any() or pairs["rank_b"].duplicated().any()


def test_chongqing_is_where_tencent_and_pku_disagree_most_in_2018(full):
    pairs = q.paired_ranks(TENCENT_2019, PKU_2018, "city").set_index("region_short_zh")
    assert pairs.loc["重庆", ["rank_a", "rank_b"]].tolist() == [6, 84]
    assert pairs["gap"].idxmax() == "重庆"


def test_too_few_regions_in_both_give_no_coefficient():
    few = pres.agreement(3, 0.5, 0.33)
    assert not few.computed and few.rho is None
    assert "少于 8 个" in pres.agreement_reading(few, "zh")
    enough = pres.agreement(10, 0.2485, 0.2)
    assert enough.computed and enough.low < 0 < enough.high  # ten regions: the interval includes zero
    assert "weakly" in pres.agreement_reading(enough, "en") and "10 regions" in pres.agreement_reading(enough, "en")


def test_the_page_compares_tencent_2019_with_pku_2018_by_default(dense):
    at = dense("indices", family="tencent_internet_plus", period="2019", cities="重庆")
    assert at.selectbox(key="ix_b").value == "pku_dfiic"
    assert at.selectbox(key="ix_b_period").value == "2018"  # the data year closest to the 2019 edition's (2018)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["两者都排名的地区"] == "10" and metrics["斯皮尔曼 ρ"] == "0.25"
    body = texts(at)
    assert "两个排名只是弱相关" in body and "系数只说明两者在头部地区上的一致程度" in body
    assert at.query_params["b"] == "pku_dfiic" and at.query_params["b_period"] == "2018"
    disagree = next(m.value for m in at.markdown if m.value.startswith("| 地区 | 名次 A |"))
    assert disagree.splitlines()[2] == "| 重庆市 | 6 | 84 | 78 |"  # the biggest disagreement first


def test_with_one_family_the_page_compares_two_of_its_rankings(app):
    at = app("indices", period="2018")
    assert "只加载了一个指数" in texts(at)
    assert at.selectbox(key="ix_b_period").value == "2017"  # not the same ranking twice (ρ = 1 says nothing)
    at.selectbox(key="ix_b_period").set_value("2016").run()
    assert at.query_params["b_period"] == "2016"
    at.selectbox(key="ix_b_period").set_value("2017").run()
    assert at.query_params["b_period"] == "2017"
    assert {m.label: m.value for m in at.metric}["两者都排名的地区"] == "9"  # 9 of the 2018 top 10 were in 2017's
    assert "少于 8 个" not in texts(at)
