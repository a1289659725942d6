"""Concurrent readers: browser sessions keep browsing while the ETL republishes the warehouse. No session may
see an error or a view that mixes two versions, and sessions pick up new releases without a server restart.

Sizes: SOAK_SESSIONS (default 4) sessions × SOAK_REPUBLISHES (default 3) publishes under `make test`;
`make soak` runs 20 × 10.
"""

import os
import re
import threading
import time

import pytest

from etl import commands
from tests.browser.conftest import app_server
from tests.conftest import EXAMPLES, copy_raw, quiet
from tests.soak import record

SESSIONS = int(os.environ.get("SOAK_SESSIONS", "4"))
REPUBLISHES = int(os.environ.get("SOAK_REPUBLISHES", "3"))
# The two versions the ETL alternates between: (releases listed, rows in "download all data"): the embedded
# 2016–2018 editions (88 ranks and 22 bands), and the same with the 2019 example (51 more ranks).
OLD, NEW = (3, 110), (4, 161)


@pytest.fixture
def live(tmp_path, chromium, geo_ready):
    old_raw, new_raw = copy_raw(tmp_path / "old"), copy_raw(tmp_path / "new")
    warehouse = tmp_path / "live" / "index.duckdb"
    commands.add(EXAMPLES / "new_report_2019_edition.csv", EXAMPLES / "new_report_2019_edition.meta.yml", new_raw,
                 tmp_path / "scratch.duckdb", quiet)
    commands.build(old_raw, warehouse, quiet)
    server = app_server(warehouse, tmp_path / "server.log")
    server.start()
    yield old_raw, new_raw, warehouse, server
    server.stop()


def language(page, label: str):
    """The language switch in the sidebar (a segmented control: radios)."""
    return page.get_by_test_id("stSidebar").get_by_role("radio", name=label, exact=True)


def view_state(browse, page) -> tuple[int, int]:
    """What one run of the Data page shows: the releases it lists and the size of the full download."""
    # The release expanders, not the releases grid: the grid's canvas re-renders after the run has ended.
    releases = page.get_by_test_id("stExpander").count()
    caption = page.locator('[data-testid="stCaptionContainer"]').filter(has_text=re.compile(r"\d+ 行")).nth(1)
    total = int(re.sub(r"\D", "", caption.inner_text()))
    return releases, total


def rerun_view(browse, page) -> tuple[int, int]:
    """Two reruns of a session (English, then back to Chinese, where we read the view), and what it shows."""
    browse.rerun(page, lambda: language(page, "English").click())
    browse.rerun(page, lambda: language(page, "中文").click())
    return view_state(browse, page)


def republishing(old_raw, new_raw, warehouse, times: int) -> tuple[threading.Thread, list[BaseException]]:
    """A running thread that publishes the new and the old raw folder in turn, `times` times, then the new one;
    and the errors it met (for the test thread to report)."""
    errors: list[BaseException] = []

    def republish() -> None:
        try:
            for i in range(times):
                commands.build(new_raw if i % 2 == 0 else old_raw, warehouse, quiet)
                time.sleep(0.5)
            commands.build(new_raw, warehouse, quiet)  # end on the new release
        except BaseException as error:
            errors.append(error)

    etl = threading.Thread(target=republish)
    etl.start()
    return etl, errors


def test_sessions_see_old_or_new_never_a_mix_and_pick_up_new_releases(browse, live):
    old_raw, new_raw, warehouse, server = live
    pages = [browse.open(server, "/data") for _ in range(SESSIONS)]
    started = time.perf_counter()
    etl, errors = republishing(old_raw, new_raw, warehouse, REPUBLISHES)
    seen: list[tuple[int, int]] = []
    while etl.is_alive():
        for page in pages:
            state = rerun_view(browse, page)
            assert state in (OLD, NEW), f"a view mixed two warehouse versions: {state}"
            seen.append(state)
    etl.join()
    assert not errors, errors
    for page in pages:  # every session, without a restart, now shows the new release
        assert rerun_view(browse, page) == NEW
    assert seen, "the sessions did not rerun while the ETL published"
    browse.assert_offline()
    record("concurrent_readers", {"sessions": SESSIONS, "republishes": REPUBLISHES + 1, "views_checked": len(seen),
                                  "old_views": seen.count(OLD), "new_views": seen.count(NEW), "mixed_views": 0,
                                  "errors": 0, "sessions_on_new_release_at_end": SESSIONS,
                                  "seconds": round(time.perf_counter() - started, 1)})
