"""Every page loads in a real browser, in Chinese and English, on a desktop and a phone, on the shipped data and
with PKU-DFIIC loaded: its title shows, no error box, nothing fetched from the internet. Each leaves a full-page
screenshot in test-artifacts/screenshots/ for a human look."""

from __future__ import annotations

import re

import pytest

from dashboard.i18n import t_family

pytestmark = pytest.mark.browser

# page name (screenshot file) → (URL path, locale key of the page's title)
PAGES = {
    "overview": ("/", "app_title"),
    "rankings": ("/rankings", "page_rankings"),
    "trends": ("/trends", "trends_title"),
    "subindices": ("/subindices", "subindices_title"),
    "map": ("/map", "map_page"),
    "city": ("/city", "city_title"),
    "compare": ("/compare", "compare_title"),
    "data": ("/data", "data_title"),
}
PHONE_PAGES = [("overview", "zh"), ("rankings", "zh"), ("trends", "zh"), ("map", "zh"), ("city", "en"),
               ("compare", "en")]
PKU = {"family": "pku_dfiic", "period": "2020", "indicator": "index_aggregate"}
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Enum values, placeholders and English words that must never reach a Chinese page (URLs are left out first).
RAW = re.compile(r"\b(empty|None|nan|NaN|null|undefined|stated|derived|success|failed|build|national|published|"
                 r"computed|restated|Top \d+|top \d+|not published|rank_\w+)\b")
URLS = re.compile(r"https?://\S+|NO_URL:\S*")

# Everything a reader can see or hover: the page's text (tables included: their accessible copy), and each
# chart's traces (names, labels, hover texts) and layout texts (titles, axes, legend, annotations). Release
# provenance quoted verbatim from a sidecar (the Data page's expanders) is left out.
SHOWN_TEXT = """
() => {
  // A release's own free text (citation, terms, notes in its expander) is quoted as its sidecar wrote it.
  let main = document.querySelector('[data-testid="stMain"]').textContent;
  for (const box of document.querySelectorAll('[data-testid="stExpander"]')) main = main.replace(box.textContent, '');
  const parts = [main];
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    for (const tr of gd._fullData || []) {
      if (tr.showlegend !== false) parts.push(tr.name || '');
      for (const key of ['text', 'hovertext']) {
        const v = tr[key];
        if (Array.isArray(v)) parts.push(v.flat().join(' ')); else if (typeof v === 'string') parts.push(v);
      }
      if (typeof tr.hovertemplate === 'string') parts.push(tr.hovertemplate);
    }
    const layout = gd._fullLayout || {};
    parts.push((layout.title || {}).text || '');
    for (const ax of Object.keys(layout).filter(k => /^[xy]axis/.test(k))) {
      parts.push((layout[ax].title || {}).text || '');
    }
    for (const a of layout.annotations || []) parts.push(a.text || '');
  }
  return parts.join(' | ');
}
"""


def assert_no_raw_text(page, name: str) -> None:
    """A Chinese page says everything in Chinese: no raw enum, placeholder or 'None'."""
    shown = URLS.sub(" ", page.evaluate(SHOWN_TEXT))
    found = sorted({m.group(0) for m in RAW.finditer(shown)})
    assert not found, f"{name}: raw or English text on a Chinese page: {found}"


def title_of(page) -> str:
    return page.locator('[data-testid="stMain"] h1').first.inner_text().strip()


def check_title(page, name: str, lang: str, family: str = "tencent_internet_plus") -> None:
    title = page.locator('[data-testid="stMain"] h1').first
    assert title.is_visible(), f"{name}: the page title is not visible"
    wanted = t_family(PAGES[name][1], family, lang)  # a family may word a title its own way
    assert title_of(page) == wanted, f"{name} ({lang}) shows the title {title_of(page)!r}"


def url(name: str, **params: str) -> str:
    path = PAGES[name][0]
    return path + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_with_its_title(embedded_app, browse, name, lang):
    page = browse.open(embedded_app, url(name, **({"lang": "en"} if lang == "en" else {})))
    check_title(page, name, lang)
    if lang == "zh":
        assert_no_raw_text(page, name)
    if lang == "en":
        # in English everything is English: controls, charts, tables (release provenance is quoted as written)
        labels = page.locator('[data-testid="stSidebar"] [data-testid="stWidgetLabel"]').all_inner_texts()
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        chinese = [text for text in [*labels, nav] if CJK.search(text)]
        assert not chinese, f"{name}: untranslated sidebar text in English: {chinese}"
        shown = sorted(set(re.findall(r"[\u3400-\u9fff\uf900-\ufaff]+", URLS.sub(" ", page.evaluate(SHOWN_TEXT)))))
        assert not shown, f"{name}: Chinese text on an English page: {shown}"
    browse.screenshot(page, f"{name}_{lang}")
    browse.assert_offline()


@pytest.mark.parametrize(("name", "lang"), PHONE_PAGES)
def test_page_loads_on_a_phone(embedded_app, browse, name, lang):
    page = browse.open(embedded_app, url(name, **({"lang": "en"} if lang == "en" else {})), phone=True)
    check_title(page, name, lang)
    width = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollWidth")
    assert width <= 390 + 1, f"{name}: the page is {width} px wide on a 390 px phone (sideways scrolling)"
    browse.screenshot(page, f"{name}_{lang}_phone")
    browse.assert_offline()


@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_with_pku_dfiic(full_app, browse, name):
    page = browse.open(full_app, url(name, **PKU))
    check_title(page, name, "zh", "pku_dfiic")
    assert_no_raw_text(page, name)
    shown = browse.query(page)
    assert {k: shown.get(k) for k in PKU} == PKU, f"{name}: the app replaced the PKU-DFIIC filters: {page.url}"
    browse.screenshot(page, f"{name}_pku")
    browse.assert_offline()
