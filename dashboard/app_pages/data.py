"""Data and sources: the family's methodology and releases with provenance and citations, ETL runs, downloads."""

from functools import partial

import streamlit as st

from dashboard import admin, chrome, columns, downloads, exports, filters, views
from dashboard import presentation as pres
from dashboard import queries as q
from dashboard.i18n import t

v = filters.current()
f, lang = v.filters, v.lang
chrome.header(v, t("data_title", lang))

st.subheader(f"{t('methodology', lang)} · {v.family_name}")
if v.methodology:
    st.markdown(pres.md_text(v.methodology))
st.markdown("\n".join(f"- {line}" for line in v.help_topics))

left, right = st.columns(2)
scopes = {"filtered": (f.period, f.indicator, f.level, f.region, f.province, f.cities), "all": ()}
for column, (which, args) in zip((left, right), scopes.items(), strict=True):
    with column:
        st.markdown(f"**{t(f'download_{which}', lang)}**")
        held = q.extract_releases(f.family, *args)
        rows = int(held["n"].sum())
        # Files are read and written only on click; an XLSX sheet holds ~1 M rows, so bigger tables are CSV only.
        formats = ("csv", "xlsx") if rows <= exports.XLSX_MAX_ROWS else ("csv",)
        title = t(f"download_{which}_title", lang, family=v.family_name, what=v.title)
        downloads.table_downloads(partial(q.extract, f.family, *args),
                                  chrome.attribution(v, title, held["release_id"], filtered=which == "filtered"),
                                  v.base_name("data") if which == "filtered" else f"{f.family}_all_data",
                                  lang, key=which, formats=formats)
        st.caption(t("rows_count", lang, n=f"{rows:,}"))

st.markdown(f"**{t('download_parquet', lang)}**")
base, parquet_zip = q.parquet_export(f.family)
downloads.parquet_download(parquet_zip, base, lang)
st.caption(t("download_parquet_note", lang))

st.subheader(t("releases", lang))
releases = q.releases(f.family)
columns.table(views.releases_view(releases, lang), lang)
for row in releases.itertuples():
    with st.expander(pres.md_text(f"{views.release_title(row, lang)} · {row.release_id}")):
        st.markdown(f"**{t('citation', lang)}** {pres.md_text(row.citation)}")
        st.markdown(f"**{t('terms', lang)}** {pres.md_text(row.terms)}")
        st.markdown(f"**{t('sources', lang)}**")
        st.markdown("\n".join(f"- <{u}>" if pres.is_url(u) else f"- {pres.md_text(pres.source_label(u))}"
                              for u in pres.as_list(row.source_urls)))
        if row.notes:
            st.caption(pres.md_text(row.notes))

st.subheader(t("etl_runs", lang))
columns.table(views.runs_view(q.etl_runs(), lang), lang)

admin.upload_section(lang)
