"""Browser tests: the real app served by `streamlit run`, driven by Playwright on the system Chromium.

Fixtures
- `embedded_app` / `full_app`: one Streamlit server per warehouse for the whole session (the shipped Tencent data;
  Tencent + the 2019 example + PKU-DFIIC), on a free port, started from the project root so .streamlit/config.toml
  applies (static serving of dashboard/static → data/geo, which is built first if stale).
- `chromium`: one headless Chromium for the session (never a downloaded browser build).
- `browse`: per test; `browse.open(app, path)` gives a page in a fresh browser context whose requests are logged:
  any request to a host other than localhost/127.0.0.1 is recorded and aborted (the app must work offline), and
  `browse.assert_offline()` fails on them. `browse.wait_idle(page)` waits until the script has finished, no status
  widget or skeleton is left, every Plotly chart is drawn, and no exception box is shown.

Outside CI a missing Chromium or Playwright skips these tests with the reason; under CI=true it fails them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from etl.paths import GEO_DIR, PROJECT_ROOT
from tests.browser.server import RUN_COUNTER, StreamlitServer

try:
    from tests.conftest import skip_or_fail
except ModuleNotFoundError:  # plain `pytest` (not `python -m pytest`) leaves the project root off sys.path
    sys.path.insert(0, str(PROJECT_ROOT))
    from tests.conftest import skip_or_fail

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
FAILURES = ARTIFACTS / "failures"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
FOREIGN_URL = re.compile(r"^(?:https?|wss?)://(?!(?:localhost|127\.0\.0\.1|\[::1\])(?::\d+)?(?:[/?#]|$))")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PHONE_AGENT = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/140.0.0.0 Mobile Safari/537.36")
WAIT_TIMEOUT = 120_000  # ms for one page to become idle
MAX_SCREENSHOT_HEIGHT = 16_000  # px


# True when the app is idle: connected, script not running, no status widget or skeleton, the page title drawn,
# every Plotly chart rendered. Also true as soon as an exception box is shown (the caller then fails).
IDLE = """
(minRuns) => {
  if (document.querySelector('[data-testid="stException"]')) return true;
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  const state = app.getAttribute('data-test-script-state');
  if (state === 'running' || state === 'rerunRequested' || state === 'initial') return false;
  if ((window.__stRuns || 0) < minRuns) return false;
  if (document.querySelector('[data-testid="stStatusWidget"], [data-testid="stSkeleton"]')) return false;
  const main = document.querySelector('[data-testid="stMain"]');
  if (!main || !main.querySelector('h1')) return false;
  for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
    if (!chart.querySelector('svg.main-svg')) return false;
  }
  return true;
}
"""

ERROR_TEXT = "This app has encountered an error"

# The height of the page's content: the main area, and the sidebar when it is open (on a phone it is collapsed).
CONTENT_HEIGHT = """
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const sidebar = document.querySelector('[data-testid="stSidebar"]');
  const content = document.querySelector('[data-testid="stSidebarContent"]');
  const open = sidebar && sidebar.getAttribute('aria-expanded') !== 'false'
    && sidebar.getBoundingClientRect().right > 1;
  return Math.max(main ? main.scrollHeight : 0, open && content ? content.scrollHeight : 0);
}
"""


# --- the Streamlit servers ------------------------------------------------------------------------------------------

def app_server(warehouse: Path, log_path: Path) -> StreamlitServer:
    """The dashboard serving one warehouse."""
    return StreamlitServer(log_path, env={**os.environ, "INDEX_WAREHOUSE": str(warehouse)})


@pytest.fixture(scope="session")
def geo_ready() -> Path:
    """data/geo (served as /app/static/) holds current boundaries and the offline base map."""
    from etl.geo import build_geo, geo_is_current

    if not geo_is_current(GEO_DIR):
        build_geo(GEO_DIR)
    return GEO_DIR


def _serve(warehouse: Path, name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    server = app_server(warehouse, tmp_path_factory.mktemp(f"streamlit_{name}") / "server.log")
    try:
        server.start()
    except RuntimeError as error:
        pytest.fail(f"the {name} dashboard did not start: {error}")
    yield server
    server.stop()


# The servers ask for `chromium` first so that a missing browser skips (or fails, under CI) before any build.
@pytest.fixture(scope="session")
def embedded_app(chromium, embedded_warehouse, geo_ready, tmp_path_factory) -> Iterator[StreamlitServer]:
    """The app on the shipped Tencent data."""
    yield from _serve(embedded_warehouse, "embedded", tmp_path_factory)


@pytest.fixture(scope="session")
def full_app(chromium, full_warehouse, geo_ready, tmp_path_factory) -> Iterator[StreamlitServer]:
    """The app on Tencent + the 2019 example + PKU-DFIIC."""
    yield from _serve(full_warehouse, "full", tmp_path_factory)


# --- the browser ----------------------------------------------------------------------------------------------------

def _chromium_path() -> str | None:
    if env := os.environ.get("BROWSER_PATH"):
        return env if os.path.isfile(env) else None
    if os.path.isfile("/usr/bin/chromium"):
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("browser tests need the playwright package (pip install -e '.[test]')")
    path = _chromium_path()
    if path is None:
        skip_or_fail("browser tests need the Debian chromium at /usr/bin/chromium (apt install chromium) "
                     "or $BROWSER_PATH; Playwright's own browser downloads are never used")
    manager = sync_playwright().start()
    try:
        browser = manager.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
    except Exception as error:
        manager.stop()
        skip_or_fail(f"Chromium at {path} did not start under Playwright: {error}")
    yield browser
    browser.close()
    manager.stop()


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss"):
        return True  # data:, blob:, about:
    return (parts.hostname or "") in LOCAL_HOSTS


def query(page) -> dict[str, str]:
    """The page URL's query parameters (first value of each)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


@dataclass
class Browse:
    """Fresh contexts for one test, their request logs, and the waits and screenshots tests use."""

    browser: Any
    test_name: str
    contexts: list = field(default_factory=list)
    pages: list = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # every URL requested, in order
    external: list[str] = field(default_factory=list)  # those to other hosts than this machine
    servers: dict[str, StreamlitServer] = field(default_factory=dict)

    def new_page(self, *, phone: bool = False):
        options: dict[str, Any] = {"viewport": PHONE if phone else DESKTOP, "accept_downloads": True,
                                   "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
        if phone:
            options.update(is_mobile=True, has_touch=True, user_agent=PHONE_AGENT)
        context = self.browser.new_context(**options)
        context.set_default_timeout(WAIT_TIMEOUT)
        context.add_init_script(RUN_COUNTER)

        context.route(FOREIGN_URL, lambda route: route.abort())  # matched in the driver; logged by "request"
        context.on("request", self._log)
        context.on("websocket", lambda ws: None if is_local(ws.url) else self.external.append(ws.url))
        self.contexts.append(context)
        page = context.new_page()
        self.pages.append(page)
        return page

    def _log(self, request) -> None:
        self.requests.append(request.url)
        if not is_local(request.url):
            self.external.append(request.url)

    def open(self, server: StreamlitServer, path: str = "/", *, phone: bool = False):
        """A fresh context (no cookies, no session) on server+path, waited until idle with no error shown."""
        self.servers[server.url] = server
        page = self.new_page(phone=phone)
        page.goto(server.url + path, wait_until="domcontentloaded")
        self.wait_idle(page)
        return page

    def wait_idle(self, page, min_runs: int = 0) -> None:
        """Wait until the app has finished (at least `min_runs` script runs seen), then check no error shows."""
        try:
            page.wait_for_function(IDLE, arg=min_runs, timeout=WAIT_TIMEOUT, polling=100)
        except Exception as error:  # a timeout: say what the page looked like
            raise AssertionError(f"{page.url} did not become idle: {error}\n{self._server_log(page)}") from None
        self.assert_no_error(page)

    def rerun(self, page, action: Callable[[], object]) -> None:
        """Do `action` (a click that reruns the script) and wait for that rerun to finish."""
        runs = page.evaluate("() => window.__stRuns || 0")
        action()
        self.wait_idle(page, min_runs=runs + 1)

    def assert_no_error(self, page) -> None:
        boxes = page.locator('[data-testid="stException"]')
        error_alerts = page.locator('[data-testid="stAlertContentError"]')
        text = page.locator('[data-testid="stMain"]').inner_text() if page.locator(
            '[data-testid="stMain"]').count() else ""
        problems = []
        if boxes.count():
            problems.append("exception box: " + " | ".join(boxes.all_inner_texts())[:1000])
        if ERROR_TEXT in text:
            problems.append(f"{ERROR_TEXT!r} is shown")
        if error_alerts.count():
            problems.append("error alert: " + " | ".join(error_alerts.all_inner_texts())[:1000])
        assert not problems, f"{page.url}: " + "; ".join(problems) + "\n" + self._server_log(page)

    def _server_log(self, page) -> str:
        for url, server in self.servers.items():
            if page.url.startswith(url):
                tail = server.log_tail(3000)
                return f"--- server log (tail) ---\n{tail}" if tail.strip() else ""
        return ""

    # --- reading what the user sees ---

    query = staticmethod(query)

    @staticmethod
    def eventually(page, read: Callable[[], Any], check: Callable[[Any], bool], timeout: float = 30) -> Any:
        """Read until `check` holds (charts redraw a moment after a run ends) or time is up; return the last read."""
        deadline = time.monotonic() + timeout
        while True:
            value = read()
            if check(value) or time.monotonic() > deadline:
                return value
            page.wait_for_timeout(100)

    @staticmethod
    def chart(page, index: int = 0):
        return page.locator('[data-testid="stPlotlyChart"]').nth(index)

    def chart_categories(self, page, index: int = 0) -> list[str]:
        """The y-axis category labels of a Plotly chart (SVG text), top to bottom as drawn."""
        return self.chart(page, index).evaluate("""chart => [...chart.querySelectorAll('.yaxislayer-above .ytick text')]
            .map(t => [t.getBoundingClientRect().top, t.textContent.trim()])
            .sort((a, b) => a[0] - b[0]).map(p => p[1])""")

    def chart_texts(self, page, index: int = 0) -> list[dict[str, Any]]:
        """Every SVG text a Plotly chart draws (labels, annotations, ticks) with its on-screen centre (x, y)."""
        return self.chart(page, index).evaluate("""chart => [...chart.querySelectorAll('svg text')]
            .map(t => { const r = t.getBoundingClientRect();
                        return {text: t.textContent.trim(), x: r.left + r.width / 2, y: r.top + r.height / 2}; })
            .filter(t => t.text !== '')""")

    @staticmethod
    def grid(page, index: int = 0) -> dict[str, Any]:
        """A st.dataframe read from glide-data-grid's accessibility table (the canvas' DOM fallback):
        {"columns": [...], "rows": [[cell text, ...], ...]} for the rows the grid has rendered."""
        frame = page.locator('[data-testid="stDataFrame"]').nth(index)
        frame.locator('table[role="grid"]').wait_for(state="attached")
        return frame.evaluate("""frame => {
            const table = frame.querySelector('table[role="grid"]');
            const columns = [...table.querySelectorAll('thead th')].map(th => th.textContent.trim());
            const rows = [...table.querySelectorAll('tbody tr')]
              .map(tr => [...tr.querySelectorAll('td')].map(td => td.textContent.trim()))
              .filter(cells => cells.some(c => c !== ''));
            return {columns, rows, rowcount: Number(table.getAttribute('aria-rowcount'))};
        }""")

    @staticmethod
    def download(page, button, save_as: str | None = None) -> tuple[str, bytes]:
        """Click a download button; return the suggested file name and the bytes (also kept under test-artifacts)."""
        with page.expect_download(timeout=WAIT_TIMEOUT) as info:
            button.click()
        download = info.value
        failure = download.failure()
        assert failure is None, f"download of {download.suggested_filename!r} failed: {failure}"
        data = Path(download.path()).read_bytes()
        folder = ARTIFACTS / "downloads"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / (save_as or download.suggested_filename)).write_bytes(data)
        return download.suggested_filename, data

    def assert_offline(self) -> None:
        assert not self.external, f"requests left the machine (the app must work offline): {self.external}"

    def screenshot(self, page, name: str, folder: Path = SCREENSHOTS) -> Path:
        """A full-page screenshot: Streamlit scrolls inside its main area, so the viewport is grown to fit."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        viewport = page.viewport_size
        height = page.evaluate(CONTENT_HEIGHT)
        height = min(max(int(height), viewport["height"]), MAX_SCREENSHOT_HEIGHT)
        if height > viewport["height"]:
            page.set_viewport_size({"width": viewport["width"], "height": height})
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            self.wait_idle(page)
        try:
            page.screenshot(path=str(path), full_page=True, animations="disabled", timeout=WAIT_TIMEOUT)
        finally:
            if height > viewport["height"]:
                page.set_viewport_size(viewport)
        return path

    def close(self, failed: bool) -> None:
        if failed:
            FAILURES.mkdir(parents=True, exist_ok=True)
            for i, page in enumerate(self.pages):
                safe = re.sub(r"[^\w.-]+", "_", self.test_name)[:120]
                with contextlib.suppress(Exception):  # best effort only
                    self.screenshot(page, f"{safe}_{i}", FAILURES)
        for context in self.contexts:
            with contextlib.suppress(Exception):  # already gone
                context.close()


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


@pytest.fixture
def browse(chromium, request) -> Iterator[Browse]:
    session = Browse(chromium, request.node.name)
    yield session
    session.close(failed=request.node.stash.get(_FAILED, False))
