"""Data and sources: releases with provenance and citations, the methodology note, ETL runs, downloads."""

from functools import partial

import streamlit as st

from dashboard import admin, downloads, exports, filters, tables
from dashboard import queries as q
from dashboard.i18n import t

f = filters.current()
lang = f.lang
st.title(t("data_title", lang))

st.subheader(t("methodology", lang))
st.markdown(t("methodology_text", lang))

left, right = st.columns(2)
scopes = {"filtered": (f.period, f.indicator, f.level, f.region, f.province, f.cities), "all": ()}
for column, (which, args) in zip((left, right), scopes.items(), strict=True):
    with column:
        st.markdown(f"**{t(f'download_{which}', lang)}**")
        rows = q.extract_count(f.family, *args)
        # Files are read and written only on click; an XLSX sheet holds ~1 M rows, so bigger tables are CSV only.
        formats = ("csv", "xlsx") if rows <= exports.XLSX_MAX_ROWS else ("csv",)
        downloads.table_downloads(partial(q.extract, f.family, *args),
                                  tables.about(f, lang, t(f"download_{which}", lang)),
                                  tables.base_name(f, "data") if which == "filtered" else f"{f.family}_all_data",
                                  lang, key=which, formats=formats)
        st.caption(t("rows_count", lang, n=f"{rows:,}"))

st.subheader(t("releases", lang))
releases = q.releases()
st.dataframe(tables.releases_view(releases, lang), hide_index=True, width="stretch",
             column_config=tables.releases_columns(lang))
for row in releases.itertuples():
    with st.expander(tables.md_text(f"{tables.release_title(row, lang)} · {row.release_id}")):
        st.markdown(f"**{t('citation', lang)}** {tables.md_text(row.citation)}")
        st.markdown(f"**{t('terms', lang)}** {tables.md_text(row.terms)}")
        st.markdown(f"**{t('sources', lang)}**")
        st.markdown("\n".join(f"- <{u}>" if tables.is_url(u) else f"- {tables.md_text(u)}"
                               for u in tables.as_list(row.source_urls)))
        if row.notes:
            st.caption(tables.md_text(row.notes))

st.subheader(t("etl_runs", lang))
st.dataframe(tables.runs_view(q.etl_runs()), hide_index=True, width="stretch",
             column_config=tables.runs_columns(lang))

admin.upload_section(lang)
