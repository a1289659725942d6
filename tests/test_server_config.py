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
