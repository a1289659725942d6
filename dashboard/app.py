"""Entry point: page setup, the shared filter bar, navigation. Run: streamlit run dashboard/app.py"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import chrome, filters, urlstate
from dashboard.i18n import t

ICON = Path(__file__).with_name("assets") / "icon.png"
PAGES = [  # (file, url path, locale key of the title, icon); the first is the landing page at "/"
    ("app_pages/overview.py", "overview", "page_overview", ":material/dashboard:"),
    ("app_pages/rankings.py", "rankings", "page_rankings", ":material/format_list_numbered:"),
    ("app_pages/trends.py", "trends", "page_trends", ":material/show_chart:"),
    ("app_pages/subindices.py", "subindices", "page_subindices", ":material/grid_on:"),
    ("app_pages/city.py", "city", "page_city", ":material/location_city:"),
    ("app_pages/compare.py", "compare", "page_compare", ":material/compare_arrows:"),
    ("app_pages/indices.py", "indices", "page_indices", ":material/scatter_plot:"),
    ("app_pages/map.py", "map", "map_page", ":material/map:"),
    ("app_pages/data.py", "data", "page_data", ":material/database:"),
]

st.set_page_config(page_title="中国城市数字指数 · City Digital Index Explorer", page_icon=str(ICON),
                   layout="wide")
lang = filters.current_lang()
filters.pin_warehouse()
navigation = st.navigation([
    st.Page(path, url_path=url, title=t(title, lang), icon=icon, default=(i == 0))
    for i, (path, url, title, icon) in enumerate(PAGES)
])
st.session_state[chrome.PAGE_PATH_KEY] = navigation.url_path
chrome.begin_run()
try:
    if filters.sidebar() is not None:
        navigation.run()
except chrome.PageDone:
    pass  # the page ended early; the URL below still says what it showed
finally:
    urlstate.sync()
    chrome.finish_run()
