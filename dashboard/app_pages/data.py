"""Data and sources: releases with provenance and citations, the methodology note, ETL runs, downloads."""

import streamlit as st

from dashboard import admin, downloads, filters, tables
from dashboard import queries as q
from dashboard.i18n import t

f = filters.current()
lang = f.lang
st.title(t("data_title", lang))

st.subheader(t("methodology", lang))
st.markdown(t("methodology_text", lang))

left, right = st.columns(2)
with left:
    st.markdown(f"**{t('download_filtered', lang)}**")
    filtered = q.extract(f.family, f.period, f.indicator, f.level, f.region, f.province, f.cities)
    downloads.table_downloads(filtered, tables.about(f, lang, t("download_filtered", lang)),
                              tables.base_name(f, "data"), lang, key="filtered")
    st.caption(t("rows_count", lang, n=f"{len(filtered):,}"))
with right:
    st.markdown(f"**{t('download_all', lang)}**")
    everything = q.extract(f.family)
    downloads.table_downloads(everything, tables.about(f, lang, t("download_all", lang)), f"{f.family}_all_data",
                              lang, key="all")
    st.caption(t("rows_count", lang, n=f"{len(everything):,}"))

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
