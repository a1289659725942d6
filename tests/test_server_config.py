"""The Streamlit server settings shipped in the repo keep the app closed to other sites and quiet about errors."""

import tomllib

from etl.paths import PROJECT_ROOT

CONFIG = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def test_xsrf_protection_is_on():
    assert CONFIG["server"]["enableXsrfProtection"] is True


def test_cross_origin_requests_are_refused():
    # Streamlit's enableCORS=true turns CORS *protection* on: no cross-origin resource sharing.
    assert CONFIG["server"]["enableCORS"] is True


def test_uploads_are_capped():
    assert 0 < CONFIG["server"]["maxUploadSize"] <= 20


def test_users_never_see_tracebacks():
    assert CONFIG["client"]["showErrorDetails"] == "none"


def test_nothing_is_reported_home():
    assert CONFIG["browser"]["gatherUsageStats"] is False


def test_readers_do_not_load_the_etl_or_export_stacks():
    """A reader's server holds the dashboard, not the ETL's validation and PDF stacks or the workbook writer:
    those load when an admin uploads or a reader downloads (memory with many sessions, `make bench`)."""
    import subprocess
    import sys

    probe = ("import sys; import dashboard.admin, dashboard.chrome, dashboard.maps, dashboard.filters; "
             "print(sorted(m for m in ('pandera', 'pdfplumber', 'openpyxl', 'etl.commands', 'scipy') "
             "if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "[]"


def test_no_forced_garbage_collection_after_every_run():
    """Streamlit's post-run gc.collect(2) took longer than a page's own run (py-spy); Python's GC still runs."""
    assert CONFIG["runner"]["postScriptGC"] is False
