"""Exploration in the browser (PKU-DFIIC loaded): the indices side by side, a link for every view, the timeline,
and the embedded view."""

from __future__ import annotations

import json

import pytest

from dashboard.i18n import t

pytestmark = pytest.mark.browser

PKU = "family=pku_dfiic&period=2020&indicator=index_aggregate"

# What a chart shows, from Plotly's own decoded state: traces (names, points, labels) and the layout's texts.
FIGURE = """
chart => {
  const gd = chart.querySelector('.js-plotly-plot');
  const arr = v => (v === undefined || v === null) ? null : Array.from(v, x => (x === undefined ? null : x));
  return {traces: gd._fullData.filter(tr => tr.visible !== false).map(tr => ({
            type: tr.type, name: tr.name, x: arr(tr.x), y: arr(tr.y), z: tr.z ? JSON.stringify(tr.z) : null,
            text: arr(tr.text), locations: arr(tr.locations)})),
          title: (gd._fullLayout.title || {}).text || ''};
}
"""


def figure(browse, page, index: int = 0) -> dict:
    return browse.chart(page, index).evaluate(FIGURE)


def radio(page, group: str, option: str):
    """An option of a segmented control (role radio) in the main area, by the control's and option's labels."""
    main = page.get_by_test_id("stMain")
    return main.get_by_role("radiogroup", name=group, exact=True).get_by_role("radio", name=option, exact=True)


def test_indices_page_shows_rho_for_2018_and_marks_chongqing(full_app, browse):
    page = browse.open(full_app, "/indices?family=tencent_internet_plus&period=2019&cities=重庆")
    metrics = page.get_by_test_id("stMetric").all_inner_texts()
    assert any(t("agreement_rho", "zh") in m and "0.25" in m for m in metrics), metrics
    assert any(t("agreement_n", "zh") in m and "10" in m for m in metrics), metrics
    scatter = figure(browse, page, 0)
    chosen = [tr for tr in scatter["traces"] if tr["name"] == t("scatter_chosen", "zh")]
    assert chosen and chosen[0]["text"] == ["重庆"] and chosen[0]["x"] == [6] and chosen[0]["y"] == [84]
    assert browse.query(page)["b"] == "pku_dfiic" and browse.query(page)["b_period"] == "2018"
    browse.assert_offline()


# path, control label, option label, URL parameter and value it writes, which chart shows the change
CONTROLS = [
    (f"/trends?{PKU}", t("trends_view", "zh"), t("view_value", "zh"), ("view", "value"), 0),
    (f"/map?{PKU}", t("map_color_by", "zh"), t("map_by_value", "zh"), ("color", "value"), 0),
    (f"/rankings?{PKU}", t("top_n", "zh"), t("top_n_rows", "zh", n=20), ("top", "20"), 0),
    (f"/subindices?{PKU}", t("peers", "zh"), t("peers_same_province", "zh"), ("peers", "province"), 1),
    (f"/compare?{PKU}&cities=重庆,成都", t("compare_mode", "zh"), t("compare_mode_time", "zh"), ("mode", "time"), 0),
    (f"/city?{PKU}&cities=重庆", t("city_grid_show", "zh"), t("view_value", "zh"), ("show", "value"), None),
    ("/subindices?period=2018", t("sub_kinds", "zh"), t("kind_sub_industry", "zh"), ("kind", "sub_industry"), 0),
]


@pytest.mark.parametrize(("path", "control", "option", "param", "chart"), CONTROLS, ids=[c[3][0] for c in CONTROLS])
def test_a_control_writes_the_url_and_the_url_reopens_the_same_view(full_app, browse, path, control, option,
                                                                     param, chart):
    def shown(p) -> dict:  # the chart, or for the city page its grid (redrawn a moment after the run)
        return figure(browse, p, chart) if chart is not None else browse.grid(p)

    page = browse.open(full_app, path)
    before = shown(page)
    browse.rerun(page, radio(page, control, option).click)
    value = browse.eventually(page, lambda: browse.query(page).get(param[0]), lambda v: v == param[1])
    assert value == param[1], f"the URL did not follow {control} → {option}: {page.url}"
    after = browse.eventually(page, lambda: shown(page), lambda v: v != before)
    assert after != before, "the control did not change the view"
    again = browse.open(full_app, page.url.removeprefix(full_app.url))  # a fresh session with nothing but the link
    reopened = browse.eventually(again, lambda: shown(again), lambda v: v == after)
    assert json.dumps(reopened, sort_keys=True) == json.dumps(after, sort_keys=True), "the link reopened another view"
    browse.assert_offline()


def test_the_timeline_plays_through_the_periods(full_app, browse):
    page = browse.open(full_app, f"/map?{PKU.replace('2020', '2011')}")
    browse.rerun(page, page.get_by_test_id("stMain").get_by_role("button", name=t("play", "zh")).click)
    seen = ["2011"]
    deadline = 60_000
    while len(seen) < 4 and deadline > 0:
        period = browse.query(page).get("period")
        if period != seen[-1]:
            seen.append(period)
        page.wait_for_timeout(250)
        deadline -= 250
    assert seen[:4] == ["2011", "2012", "2013", "2014"], f"the timeline stepped through {seen}"
    browse.assert_no_error(page)


def test_the_embedded_view_at_640_by_480_has_no_sidebar_and_no_clipped_chart(full_app, browse):
    page = browse.new_page()
    page.set_viewport_size({"width": 640, "height": 480})
    page.goto(f"{full_app.url}/rankings?{PKU}&cities=重庆&embed=true", wait_until="domcontentloaded")
    browse.wait_idle(page)
    assert not page.get_by_test_id("stSidebar").is_visible(), "the sidebar shows in the embedded view"
    assert not page.get_by_test_id("stExpandSidebarButton").is_visible(), "a sidebar opener in the frame"
    top = page.evaluate("""() => document.querySelector('[data-testid="stPlotlyChart"]').getBoundingClientRect().top""")
    assert top < 480 / 2, f"the chart starts {top:.0f} px down: below half the frame's first screen"
    assert not page.locator("[data-testid=stMain] [data-testid=stPopover]").count(), "a Share button in the frame"
    widths = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .main-svg')]
        .map(svg => svg.getBoundingClientRect()).map(r => [r.left, r.right])""")
    assert widths and all(left >= 0 and right <= 640 for left, right in widths), f"charts cut at 640 px: {widths}"
    scroll = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollWidth")
    assert scroll <= 640, f"the embedded page scrolls sideways ({scroll} px)"
    browse.screenshot(page, "rankings_embedded_640x480")
    browse.assert_offline()
