"""The floor of `make bench-dashboard`'s first load: Streamlit itself, with nothing of ours.

The same page setup as the dashboard (wide, sidebar open, the six views in a radio) and the
Overview's title, no query, no table, no chart. Its first load in the browser is what any
Streamlit page costs on this machine: the server's page and JavaScript, the WebSocket, one
script run (scripts/bench_dashboard_browser.py times it beside the app).
"""

import streamlit as st

st.set_page_config(page_title="marketpulse", layout="wide", initial_sidebar_state="expanded")
st.sidebar.title("marketpulse")
st.sidebar.radio(
    "View",
    [
        "Overview",
        "Sector Rotation",
        "Macro Lens",
        "Trends & Sentiment",
        "Volatility & Risk",
        "Portfolio",
    ],
)
st.title("Overview")
