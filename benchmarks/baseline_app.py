"""The browser baseline: the smallest Streamlit + Plotly page with the dashboard's controls (edition selectbox,
region segmented control) and one bar chart of 30 regions, data generated in memory (SYNTHETIC).

    streamlit run benchmarks/baseline_app.py

It measures the floor of the stack (Streamlit, websocket, Plotly in Chromium) for first-chart, filter-change and
memory figures, so the dashboard's own cost can be told apart.
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

REGIONS = ("All", "East", "Central", "West", "Northeast")
EDITIONS = [str(y) for y in range(2005, 2025)]

st.set_page_config(page_title="SYNTHETIC baseline", layout="wide")
edition = st.sidebar.selectbox("Edition / year", EDITIONS, index=len(EDITIONS) - 1, key="edition")
region = st.sidebar.segmented_control("Region", REGIONS, default="All", key="region", required=True)
st.title("Rankings (SYNTHETIC baseline)")
rng = np.random.default_rng(EDITIONS.index(edition) * 10 + REGIONS.index(region))
values = np.sort(rng.lognormal(4.0, 0.4, 30))[::-1]
names = [f"Region {i:03d}" for i in rng.choice(300, size=30, replace=False)]
fig = go.Figure(go.Bar(x=values[::-1], y=names[::-1], orientation="h"))
fig.update_layout(title=f"Total index · {edition} · {region}", height=700, margin=dict(l=10, r=10, t=40, b=10))
st.plotly_chart(fig, key="bar")
