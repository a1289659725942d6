"""Streamlit AppTest: every page renders from the warehouse (sparse Tencent data and dense PKU-DFIIC), URL
parameters set the widgets and change the output, and the widgets write the URL back."""

import base64
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from etl.paths import PROJECT_ROOT

APP = str(PROJECT_ROOT / "dashboard" / "app.py")
PAGES = ["overview", "rankings", "trends", "subindices", "map", "city", "compare", "data"]


def make_runner(warehouse, monkeypatch):
    monkeypatch.setenv("INDEX_WAREHOUSE", str(warehouse))

    def run(page: str | None = None, **params: str) -> AppTest:
        """Open the page's link (as a reader following it: the page's own run is the session's first)."""
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params.update(params)
        if page:
            at.switch_page(f"app_pages/{page}.py")
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        return at
    return run


def plotly_array(data: dict | list) -> list:
    """Plotly 7 sends numeric arrays as base64 typed arrays."""
    if isinstance(data, dict):
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).tolist()
    return list(data)


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.success]
    parts += [i.value for i in at.info] + [w.value for w in at.warning] + [m.value for m in at.metric]
    parts += [m.label for m in at.metric]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_renders_on_the_embedded_data(app, page, lang):
    at = app(page, lang=lang)
    assert at.title, f"{page} has no title"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_pku_loaded(dense, page):
    at = dense(page, family="pku_dfiic", edition="2020", indicator="index_aggregate")
    assert at.title
    assert at.selectbox(key="family").value == "pku_dfiic"


def test_rankings_page_shows_the_2018_city_ranking_with_sources(app):
    at = app("rankings", edition="2018")
    assert at.title[0].value == "排名"
    view = at.dataframe[0].value
    assert view["region"].tolist()[:3] == ["深圳市", "广州市", "北京市"]
    cq = view[view["region"] == "重庆市"].iloc[0]
    assert cq["rank"] == "7" and cq["delta"] == "▲1" and cq["history"] == "– → 8 → 7"
    assert "value" not in view and "这份排名只公布了名次，没有指数值。" in [c.value for c in at.caption]
    assert cq["source"].startswith("http://www.hkcd.com")
    cs = view[view["region"] == "长沙市"].iloc[0]
    assert cs["delta"] == "上期未公布" and cs["history"] == "9 → – → 10"  # ranked in 2016, missing in 2017
    assert not [c for c in at.caption if "名次由公布的指数值计算" in c.value]  # Tencent's ranks are published


def test_pku_rankings_say_their_ranks_are_computed_from_values(dense):
    at = dense("rankings", family="pku_dfiic", period="2020", indicator="index_aggregate")
    assert [c for c in at.caption if c.value.startswith("名次由公布的指数值计算")]


def test_url_parameters_select_edition_language_and_region(app):
    at = app("rankings", edition="2017", lang="en", region="west")
    assert at.title[0].value == "Rankings"
    assert at.selectbox(key="period").value == "2017"
    view = at.dataframe[0].value
    assert view["region"].tolist() == ["Chengdu", "Chongqing"]
    assert view["rank"].tolist() == ["5", "8"]


def test_widgets_write_the_url_back(app):
    at = app("rankings", edition="2017")
    at.segmented_control(key="region").set_value("west").run()
    assert at.query_params["region"] == "west"
    assert at.query_params["period"] == "2017"
    assert at.dataframe[0].value["region"].tolist() == ["成都市", "重庆市"]


def test_invalid_url_values_fall_back_to_defaults(app):
    at = app("rankings", edition="1999'; DROP TABLE region;--", indicator="<script>", region="mars", lang="xx")
    assert at.selectbox(key="period").value == "2018"
    assert at.selectbox(key="indicator").value == "total"
    assert at.segmented_control(key="region").value == "all"
    assert at.title[0].value == "排名"


def test_overview_cards_and_generated_stories(app):
    at = app(None, edition="2018")
    body = texts(at)
    assert "第一名 · 第1名" in body
    assert "深圳" in [m.value for m in at.metric]
    assert "西部第一 · 第5名" in body and "成都" in [m.value for m in at.metric]
    assert "广州从第4名升至第2名" in body  # the biggest climber (ties go to the better rank), computed
    assert "杭州从第6名降至第9名" in body
    assert "采用了新的指数框架" in body


def test_overview_in_english_for_2019_with_chongqing_story(dense):
    at = dense(None, edition="2019", lang="en", region="west")
    body = texts(at)
    assert "Chengdu" in body and "Chongqing rose from 7th to 6th" in body


def test_trends_url_with_chongqing_shows_its_ranks(app):
    at = app("trends", family="tencent_internet_plus", indicator="total", cities="重庆")
    assert at.multiselect(key="cities").value == ["500100"]
    traces = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    chongqing = [tr for tr in traces if tr.get("name") == "重庆"]
    assert len(chongqing) == 1 and plotly_array(chongqing[0]["y"]) == [None, 8, 7]  # not in the 2016 list
    assert chongqing[0]["line"]["color"] != "#C8CCD2"  # highlighted, not greyed


def test_subindices_calls_out_all_round_leaders_with_pku(dense):
    at = dense("subindices", family="pku_dfiic", edition="2020", indicator="index_aggregate")
    assert "在全部 3 个已公布的分项指数中都进入前 10 名" in texts(at)
    assert at.title[0].value == "分项指数与业务类型"  # PKU-DFIIC's own words: business types, not sub-industries
    assert "细分行业" not in texts(at)


def test_city_profile_for_chongqing_ranks_within_province_and_west(dense):
    at = dense("city", family="tencent_internet_plus", edition="2019", cities="重庆")
    body = texts(at)
    assert "重庆市" in [h.value for h in at.header]
    assert "2019年版（2018年数据）：全国第6名，西部第2名" in body  # a municipality is not "1st in its province"
    grid = at.dataframe[0].value.set_index("indicator")  # the indicator × period grid
    assert grid.loc["总指数"].tolist() == ["", "8", "7", "6"]  # the 2016 edition did not publish 重庆
    assert list(grid.columns)[-1] == "2019年版（2018年数据）"
    assert "None" not in grid.to_string() and "nan" not in grid.to_string()


def test_compare_two_cities_side_by_side(dense):
    at = dense("compare", family="pku_dfiic", edition="2020", cities="重庆,成都")
    grid = at.dataframe[0].value
    assert list(grid.columns)[1:] == ["重庆", "成都"]
    assert grid.iloc[0, 1].startswith("#85") and grid.iloc[0, 2].startswith("#30")


def test_compare_over_time_offers_each_kind(dense):
    at = dense("compare", family="pku_dfiic", period="2020", mode="time", kind="sub_industry", cities="重庆,成都")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    panels = {a["text"] for a in spec["layout"]["annotations"]}
    assert {"支付", "保险", "信贷"} <= panels  # PKU-DFIIC's business types over 2011–2023
    assert at.query_params["kind"] == "sub_industry"


def test_compare_link_keeps_the_default_cities_and_bands_are_no_lines(app):
    fallback = app("compare", edition="2018")  # no cities chosen: the top three, written to the link
    assert fallback.query_params["cities"] == "深圳,广州,北京"
    bands = app("compare", edition="2018", mode="time", kind="sub_industry", cities="重庆,成都")
    assert [c for c in bands.caption if c.value.startswith("“前N”只是一个区间")]  # bands are not lines


def test_data_page_lists_releases_with_citations(dense):
    at = dense("data", family="pku_dfiic")
    releases = at.dataframe[0].value
    assert "pku_dfiic/2011-2023" in set(releases["release"])
    assert any("经济学（季刊）" in e.label or "PKU" in e.label for e in at.expander) or "经济学" in texts(at)


# --- what the reader sees is what the data say (presentation rules on the running app) ------------------------

REBASED = "重新定基"


@pytest.mark.parametrize("page", PAGES)
def test_rebasing_note_is_tencents_alone(dense, page):
    """Tencent's caveat (points rebased every edition) on Tencent's pages, never on PKU-DFIIC's."""
    assert REBASED in texts(dense(page, family="tencent_internet_plus"))
    assert REBASED not in texts(dense(page, family="pku_dfiic", edition="2020", indicator="index_aggregate"))


def test_data_page_shows_the_chosen_familys_methodology_and_releases(dense):
    pku = dense("data", family="pku_dfiic")
    assert "2011 年为基期" in texts(pku) and "261.95" not in texts(pku)
    assert set(pku.dataframe[0].value["release"]) == {"pku_dfiic/2011-2023"}
    tencent = texts(dense("data", family="tencent_internet_plus"))
    assert "261.95" in tencent and "2011 年为基期" not in tencent


def test_how_to_read_explains_only_the_marks_a_family_carries(dense):
    tencent = texts(dense("data", family="tencent_internet_plus", lang="en"))
    pku = texts(dense("data", family="pku_dfiic", edition="2020", indicator="index_aggregate", lang="en"))
    assert "**Top N**" in tencent and "**Stated / derived**" in tencent and "**Restated**" in tencent
    assert "**Top N**" not in pku and "**Restated**" not in pku and "**Computed**" in pku


def test_a_control_with_one_option_is_text_not_a_widget(app):
    at = app("rankings", edition="2018", indicator="digital_retail")  # two cities, one choice of length
    assert not [c for c in at.segmented_control if c.key == "top_n"]
    assert "显示：全部（2）" in texts(at)
    trends = app("trends")
    assert not [c for c in trends.segmented_control if c.key == "trend_view"]  # ranks only: Tencent rebases
    assert "视图：名次" in texts(trends)


def test_the_overview_tells_chongqings_sub_industry_story(app):
    body = texts(app(None, edition="2018"))
    assert "重庆：全部十个细分行业均进入全国前10 · 2018年版（2017年数据）" in body
    assert "成都：全部十个细分行业均进入全国前10 · 2018年版（2017年数据）" in body
    english = texts(app(None, edition="2018", lang="en"))
    assert "Chongqing: all ten sub-industries in the national top 10 · 2018 edition (data 2017)" in english


def test_the_sub_indices_page_offers_the_2018_sub_industries_as_bands(app):
    at = app("subindices", edition="2018")
    control = at.segmented_control(key="sub_kind")
    assert control.options == ["分项指数", "细分行业"]
    control.set_value("sub_industry").run()
    assert "在全部 10 个已公布的细分行业中都进入前 10 名：成都、重庆" in texts(at)


def test_pku_city_profile_shows_the_value_history_beside_the_rank_history(dense):
    at = dense("city", family="pku_dfiic", period="2023", cities="重庆")
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert [s["layout"]["title"]["text"] for s in specs] == ["重庆市的名次走势", "重庆市的指数值走势"]
    total = next(tr for tr in specs[1]["data"] if tr["name"] == "数字普惠金融总指数")
    assert total["y"][-1] > total["y"][0]  # the value rose 2011 → 2023 while the rank fell: both shown


def test_city_headline_gives_the_province_rank_where_the_province_ranks_others(app):
    at = app("city", edition="2018", cities="深圳")
    assert "2018年版（2017年数据）：全国第1名，省内第1名" in texts(at)  # 广州 and 东莞 are ranked in 广东 too


def test_city_profile_says_which_year_a_restated_figure_describes_and_cites_sources_without_url(app):
    at = app("city", edition="2018", cities="成都")
    others = at.dataframe[1].value  # restated figures and other scopes, apart from the period grid
    restated = others[others["indicator"] == "数字政务"]
    assert restated["period"].tolist() == ["2018年版（2017年数据） · 追溯2016年"] and restated["rank"].tolist() == ["9"]
    assert restated["source_note"].iloc[0].startswith("成都商报2018-04-13")
    grid = at.dataframe[0].value.set_index("indicator")
    assert grid.loc["数字政务", "2018年版（2017年数据）"] == "7"  # the edition's own figure, once
    assert "None" not in others.to_string()
