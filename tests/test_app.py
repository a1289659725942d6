"""Streamlit AppTest: pages render from the warehouse, URL parameters set the widgets and change the output."""

import pytest
from streamlit.testing.v1 import AppTest

from etl.paths import PROJECT_ROOT

APP = str(PROJECT_ROOT / "dashboard" / "app.py")


@pytest.fixture
def app(embedded_warehouse, monkeypatch):
    monkeypatch.setenv("INDEX_WAREHOUSE", str(embedded_warehouse))

    def run(page: str | None = None, **params: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params.update(params)
        at.run()
        if page:
            at.switch_page(page)
            at.run()
        assert not at.exception, at.exception
        return at
    return run


def table_text(at: AppTest) -> str:
    return "\n".join(df.value.to_string() for df in at.dataframe)


def test_rankings_page_shows_the_2018_city_ranking_with_sources(app):
    at = app("app_pages/rankings.py", edition="2018")
    assert at.title[0].value == "排名"
    view = at.dataframe[0].value
    assert view["region"].tolist()[:3] == ["深圳市", "广州市", "北京市"]
    cq = view[view["region"] == "重庆市"].iloc[0]
    assert cq["rank"] == 7 and cq["delta"] == "▲1" and cq["value"] == "未公布" and cq["history"] == "8 → 7"
    assert cq["source"].startswith("http://www.hkcd.com")


def test_url_parameters_select_edition_language_and_region(app):
    at = app("app_pages/rankings.py", edition="2017", lang="en", region="west")
    assert at.title[0].value == "Rankings"
    assert at.selectbox(key="edition").value == "2017"
    view = at.dataframe[0].value
    assert view["region"].tolist() == ["Chengdu", "Chongqing"]
    assert view["rank"].tolist() == [5, 8]


def test_invalid_url_values_fall_back_to_defaults(app):
    at = app("app_pages/rankings.py", edition="1999'; DROP TABLE region;--", indicator="<script>", region="mars")
    assert at.selectbox(key="edition").value == "2018"
    assert at.selectbox(key="indicator").value == "total"
    assert at.segmented_control(key="region").value == "all"
