"""'Add a yearly report' on the Data page: upload, validation preview, publish — only with an admin token.

Reports may be CSV, XLSX or PDF; a PDF's tables are shown as read (page and row) before publishing. PDFs are
parsed in a child process within page and time limits (etl/pdf.py), so the server stays responsive.
Uploads are written under generated names in a private temporary folder (never a path from the user's
file name), validated exactly like `python -m etl check`, and published with `etl add` only after the
preview is confirmed.
"""

from __future__ import annotations

import hmac
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import queries as q
from dashboard.i18n import t
from dashboard.presentation import md_text
from etl.paths import EXAMPLE_SIDECAR, RAW_DIR

# The ETL (pandera, pdfplumber, openpyxl …) is imported by the functions that run it, once an admin has logged in:
# every reader of the Data page would otherwise carry it in the server's memory.

TOKEN_ENV = "INDEX_ADMIN_TOKEN"
UPLOAD_TYPES = ["csv", "xlsx", "pdf"]
PREVIEW_ROWS = 200
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # also server.maxUploadSize in .streamlit/config.toml


def _raw_dir() -> Path:
    return Path(os.environ.get("INDEX_RAW_DIR", RAW_DIR))


def enabled() -> bool:
    return bool(os.environ.get(TOKEN_ENV))


def _authorised(lang: str) -> bool:
    token = st.text_input(t("admin_token", lang), type="password", key="admin_token")
    if not token:
        return False
    if not hmac.compare_digest(token.encode(), os.environ.get(TOKEN_ENV, "").encode()):
        st.error(t("admin_token_wrong", lang))
        return False
    return True


def _stage(upload, sidecar_text: str) -> tuple[Path, Path]:
    """Write the upload and its sidecar under generated names in a fresh private folder."""
    folder = Path(tempfile.mkdtemp(prefix="index-upload-"))
    suffix = next((f".{t}" for t in UPLOAD_TYPES if upload.name.lower().endswith(f".{t}")), ".csv")
    report = folder / f"upload-{uuid.uuid4().hex[:12]}{suffix}"
    report.write_bytes(upload.getvalue())
    meta = folder / "upload.meta.yml"
    meta.write_text(sidecar_text, encoding="utf-8")
    return report, meta


def _problems_frame(problems) -> pd.DataFrame:
    return pd.DataFrame([{"row": p.row, "column": p.column, "message": p.message, "severity": p.severity}
                         for p in problems.items])


def _discard() -> None:
    staged = st.session_state.pop("admin_staged", None)
    if staged:
        shutil.rmtree(Path(staged[0]).parent, ignore_errors=True)


def upload_section(lang: str) -> None:
    """The whole flow; renders nothing unless an admin token is configured on the server."""
    if not enabled():
        return
    st.subheader(t("admin_title", lang))
    if not _authorised(lang):
        return
    upload = st.file_uploader(t("admin_file", lang), type=UPLOAD_TYPES, key="admin_file")
    sidecar = st.text_area(t("admin_sidecar", lang), value=EXAMPLE_SIDECAR.read_text(encoding="utf-8"),
                           height=260, key="admin_sidecar")
    replace = st.checkbox(t("admin_replace", lang), key="admin_replace")
    if st.button(t("admin_validate", lang), key="admin_validate", disabled=upload is None):
        _discard()
        if upload.size > MAX_UPLOAD_BYTES:
            st.error(t("admin_too_big", lang, mb=MAX_UPLOAD_BYTES // 1024 // 1024))
            return
        _validate(*_stage(upload, sidecar), replace, lang)
    staged = st.session_state.get("admin_staged")
    if staged:
        st.success(t("admin_valid", lang))
        if st.session_state.get("admin_extracted") is not None:
            st.caption(t("admin_extracted", lang))
            st.dataframe(st.session_state["admin_extracted"], hide_index=True)
        st.dataframe(st.session_state["admin_preview"], hide_index=True)
        if st.button(t("admin_publish", lang), type="primary", key="admin_publish"):
            _publish(staged, lang)


def _validate(report: Path, meta: Path, replace: bool, lang: str) -> None:
    """`etl check` on the staged upload: its problems, or the preview that the publish button acts on."""
    from etl import commands
    from etl.pdf import extracted_frame
    from etl.problems import InputError, is_pdf
    from etl.sidecar import load_sidecar

    try:
        result = commands.check(report, meta, _raw_dir(), lambda _: None)
    except InputError as err:
        st.error(t("admin_invalid", lang))
        st.dataframe(_problems_frame(err.problems), hide_index=True)
        return
    blocking = [p for p in result.problems.errors if not (replace and "already loaded" in p.message)]
    if blocking:
        st.error(t("admin_invalid", lang))
        st.dataframe(_problems_frame(result.problems), hide_index=True)
        return
    st.session_state["admin_staged"] = (str(report), str(meta), replace)
    st.session_state["admin_preview"] = result.releases[0].observations.head(50)[
        ["data_year", "adcode", "raw_name", "level", "indicator", "scope", "value", "rank", "basis"]]
    # The PDF's tables as read (the same extraction the check used, from its cache).
    st.session_state["admin_extracted"] = (extracted_frame(report, load_sidecar(meta)).head(PREVIEW_ROWS)
                                           if is_pdf(report) else None)


def _publish(staged: tuple[str, str, bool], lang: str) -> None:
    """`etl add` of the validated upload, then the staging folder goes."""
    from etl import commands
    from etl.problems import InputError
    from etl.publish import LockBusy

    report, meta, replace = staged
    try:
        summary = commands.add(Path(report), Path(meta), _raw_dir(), q.warehouse().path, lambda _: None, replace)
    except (InputError, LockBusy) as err:
        st.error(md_text(str(err)))
    else:
        st.success(t("admin_published", lang, n=sum(len(r.observations) for r in summary.releases)))
    finally:
        _discard()
