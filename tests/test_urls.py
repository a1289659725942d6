"""Every control writes the URL and every URL reopens its view (AppTest on the real data): a link's parameters
set the widgets and come back unchanged; changing a widget changes the link; old and wrong links fall back to
the nearest valid view with a note, never an error."""

import pytest

from dashboard.state import PAGE_PARAMS
from tests.test_app import texts

PKU = {"family": "pku_dfiic", "period": "2020", "indicator": "index_aggregate"}
# page, URL parameters, the widget one of them sets, its value there
ROUND_TRIPS = [
    ("rankings", {**PKU, "top": "50"}, "top_n", 50),
    ("trends", {**PKU, "view": "value"}, "trend_view", "value"),
    ("trends", {**PKU, "chart": "slope", "start": "2014", "end": "2019"}, "start", "2014"),
    ("map", {**PKU, "color": "value"}, "map_color_by", "value"),
    ("subindices", {"period": "2018", "kind": "sub_industry", "family": "tencent_internet_plus"}, "sub_kind",
     "sub_industry"),
    ("subindices", {**PKU, "rows": "80"}, "heat_rows", 80),
    ("subindices", {**PKU, "profile": "500100", "peers": "province"}, "peer_kind", "province"),
    ("city", {**PKU, "cities": "重庆", "show": "value"}, "city_show", "value"),
    ("compare", {**PKU, "cities": "重庆,成都", "mode": "time", "show": "value"}, "compare_show", "value"),
    ("indices", {**PKU, "a": "pku_dfiic", "a_period": "2015", "a_indicator": "index_aggregate",
                 "b": "tencent_internet_plus", "b_period": "2017", "b_indicator": "total"}, "ix_b_period", "2017"),
    (None, {**PKU, "lang": "en", "region": "west", "level": "province"}, "level", "province"),
]


def test_every_page_parameter_has_a_round_trip():
    covered = {name for _, params, _, _ in ROUND_TRIPS for name in params}
    assert set(PAGE_PARAMS) <= covered, f"no URL round trip for {set(PAGE_PARAMS) - covered}"


@pytest.mark.parametrize(("page", "params", "key", "value"), ROUND_TRIPS, ids=lambda p: str(p)[:40])
def test_a_link_sets_its_controls_and_comes_back_unchanged(dense, page, params, key, value):
    at = dense(page, **params)
    assert at.session_state[key] == value
    shown = {name: at.query_params.get(name) for name in params}
    assert shown == params, f"the link changed: {shown} ≠ {params}"


@pytest.mark.parametrize(("page", "key", "option", "param"), [
    ("trends", "trend_view", "value", ("view", "value")),
    ("map", "map_color_by", "value", ("color", "value")),
    ("city", "city_show", "value", ("show", "value")),
    ("compare", "compare_mode", "time", ("mode", "time")),
    ("subindices", "peer_kind", "province", ("peers", "province")),
])
def test_changing_a_control_changes_the_link(dense, page, key, option, param):
    at = dense(page, **PKU, cities="重庆,成都")
    assert param[0] not in at.query_params  # the default is left out
    at.segmented_control(key=key).set_value(option).run()
    assert at.query_params[param[0]] == param[1]
    again = dense(page, **{k: at.query_params[k] for k in at.query_params})
    assert again.session_state[key] == option


def test_an_old_link_with_edition_opens_that_period_and_is_rewritten(app):
    at = app("rankings", edition="2017")
    assert at.selectbox(key="period").value == "2017"
    assert at.query_params["period"] == "2017" and "edition" not in at.query_params


def test_a_page_drops_the_parameters_of_another_page(dense):
    at = dense("rankings", **PKU, view="value", color="value")
    assert "view" not in at.query_params and "color" not in at.query_params


@pytest.mark.parametrize(("params", "note"), [
    ({"family": "pku_dfiic", "period": "1999"}, "period=1999"),  # a family with no such period
    ({"family": "pku_dfiic", "period": "2018edition"}, "period=2018edition"),
    ({"level": "province", "cities": "成都"}, "cities=成都"),  # a city where provinces are asked for
    ({"region": "east", "province": "四川"}, "province=四川"),  # a western province with the east chosen
    ({"family": "no_such_index"}, "family=no_such_index"),
])
def test_a_link_that_does_not_apply_falls_back_with_a_note(dense, params, note):
    at = dense("rankings", **params)
    assert not at.exception and at.title
    assert note in texts(at)


@pytest.mark.parametrize(("page", "params", "note"), [
    ("indices", {"a": "nope"}, "a=nope"),  # a page's own control: its note too
    ("indices", {"b_period": "1999"}, "b_period=1999"),
    ("trends", {"family": "tencent_internet_plus", "view": "value"}, "view=value"),  # values not comparable
    ("map", {"family": "tencent_internet_plus", "color": "value"}, "color=value"),  # no values published
])
def test_a_page_control_that_does_not_apply_falls_back_with_a_note(dense, page, params, note):
    at = dense(page, **params)
    assert not at.exception and at.title
    assert note in texts(at)
