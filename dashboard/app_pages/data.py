"""Data and sources: releases with provenance and citations, the methodology note, ETL runs."""

import streamlit as st

from dashboard import filters
from dashboard import queries as q
from dashboard.i18n import t

f = filters.current()
lang = f.lang
st.title(t("data_title", lang))
st.subheader(t("methodology", lang))
st.markdown(t("methodology_text", lang))
st.subheader(t("releases", lang))
st.dataframe(q.releases(), hide_index=True, width="stretch")
st.subheader(t("etl_runs", lang))
st.dataframe(q.etl_runs(), hide_index=True, width="stretch")
