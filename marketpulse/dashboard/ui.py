"""Look and feel shared by the views: one Plotly template, colours, and the empty-state notice."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st
from pandas.io.formats.style import Styler

from marketpulse.dashboard import data
from marketpulse.portfolio.export.injection import defuse

PRIMARY = "#1f6feb"
UP = "#1a9850"
DOWN = "#d73027"
MUTED = "#8b98a9"
COLORWAY = [
    "#1f6feb",
    "#f28e2b",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#ff9da7",
]

MARKETPULSE_LAYOUT = go.layout.Template(
    layout={
        "font": {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 12},
        "title": {"font": {"size": 15}, "x": 0.0, "xanchor": "left"},
        "colorway": COLORWAY,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "margin": {"l": 10, "r": 10, "t": 48, "b": 10},
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": -0.12, "x": 0.0},
        "xaxis": {"gridcolor": "#e6eaf0", "zeroline": False},
        "yaxis": {"gridcolor": "#e6eaf0", "zerolinecolor": "#c7ced8"},
    }
)
# Merged once, here: a "plotly_white+marketpulse" default would be merged again by every
# go.Figure() (50 ms each, a third of a view's script run; docs/dashboard.md, render times).
pio.templates["marketpulse"] = pio.templates.merge_templates("plotly_white", MARKETPULSE_LAYOUT)
pio.templates.default = "marketpulse"


@dataclass(frozen=True)
class Context:
    """What the sidebar chose, handed to every view."""

    target: data.Target
    symbols: tuple[str, ...]
    start: date
    end: date
    benchmark: str
    universe: pd.DataFrame


def static_table(shown: pd.DataFrame | Styler, key: str) -> None:
    """A small table drawn as a plain table (st.table: the Styler's colours and formats kept,
    its index hidden by the caller), and its CSV download.

    For the first page: an interactive table (st.dataframe) loads Streamlit's data grid, over
    a megabyte of JavaScript and a canvas per table, about 0.5 s of a first load in the browser
    (docs/decisions/0037-dashboard-first-paint.md); a dozen rows need neither scrolling nor
    sorting. st.table draws the frame's column names: the caller names them for a reader. The
    index is never drawn: a Styler's hide(axis="index") does not reach st.table, and a frame
    sorted by a value kept its row numbers as an unlabelled, unordered first column."""
    st.table(shown, hide_index=True)
    download(shown, key)


def table(shown: pd.DataFrame | Styler, key: str, **options: Any) -> None:
    """A table and, under it, its rows as a CSV download (the data, not the formatting; a text
    cell that a spreadsheet would read as a formula is escaped, as every export is)."""
    st.dataframe(shown, key=key, **options)
    download(shown, key)


def download(shown: pd.DataFrame | Styler, key: str) -> None:
    st.download_button(
        "Download CSV",
        csv_bytes(shown),
        file_name=f"marketpulse-{key.replace('_', '-')}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
    )


def csv_bytes(shown: pd.DataFrame | Styler) -> bytes:
    """A table's rows as UTF-8 CSV, formula-like text escaped (marketpulse.portfolio.export)."""
    frame = shown.data if isinstance(shown, Styler) else shown
    safe = frame.apply(
        lambda column: (
            column.map(defuse)
            if column.dtype == object or pd.api.types.is_string_dtype(column)
            else column
        )
    )
    return safe.to_csv(index=False).encode("utf-8")


def chart(figure: go.Figure, title: str, height: int = 380) -> None:
    """Every chart gets a title (the tests look for it) and the same template."""
    figure.update_layout(title={"text": title}, height=height)
    st.plotly_chart(figure, theme=None, config={"displaylogo": False})


def prefetch_bundles() -> None:
    """Load Streamlit's Plotly chunk (4.7 MB of JavaScript) and its data grid (DataFrame, over
    1 MB with what it imports) once the page is idle, so the first switch to a view with charts
    or interactive tables does not wait for them. The Overview draws neither (its tables are
    plain tables), which keeps both off the first load; Streamlit imports the same module URLs
    when it draws a chart or a grid, and a module is evaluated once per page. A chunk this
    Streamlit build does not have is skipped."""
    chunks = [chunk for chunk in map(_chunk, ("PlotlyChart", "DataFrame")) if chunk]
    if not chunks:
        return
    imports = "".join(
        f"import(new URL('static/js/{chunk}', document.baseURI).href);" for chunk in chunks
    )
    st.sidebar.html(
        f"<script>(window.requestIdleCallback || setTimeout)(() => {{{imports}}});</script>",
        unsafe_allow_javascript=True,
    )


@functools.cache
def _chunk(name: str) -> str | None:
    folder = Path(st.__file__).parent / "static" / "static" / "js"
    found = sorted(folder.glob(f"{name}.*.js"))
    return found[0].name if len(found) == 1 else None


def no_data(exc: data.NoData) -> None:
    st.info(str(exc), icon=":material/hourglass_empty:")


def warming_up(text: str) -> None:
    """The data is there, but a window has not filled yet in the chosen range."""
    st.info(text, icon=":material/hourglass_top:")


def signed_colour(text: str) -> str:
    """CSS for a signed percentage cell: gains green, losses red, n/a muted."""
    if text.startswith("+") and text.strip("+0.%"):
        return "color: #1a9850"
    if text.startswith("-"):
        return "color: #d73027"
    return f"color: {MUTED}"


def heat_colour(value: float | None, scale: float) -> str:
    """CSS for a heatmap cell: red below 0, pale yellow at 0, green above, full strength at
    +-scale (Plotly's RdYlGn, centred on 0); n/a cells stay blank."""
    if value is None or pd.isna(value):
        return f"color: {MUTED}"
    share = max(-1.0, min(1.0, float(value) / scale))
    low, mid, high = (215, 48, 39), (255, 255, 191), (26, 152, 80)
    end = high if share > 0 else low
    red, green, blue = (round(m + (e - m) * abs(share)) for m, e in zip(mid, end, strict=True))
    text = "#ffffff" if abs(share) > 0.6 else "#1b2533"
    return f"background-color: rgb({red}, {green}, {blue}); color: {text}"


# One colour per GICS sector, the same on every chart of the app (the SPDR sector ETFs).
SECTOR_COLOURS = {
    "Communication Services": "#1f77b4",
    "Consumer Discretionary": "#ff7f0e",
    "Consumer Staples": "#2ca02c",
    "Energy": "#8c564b",
    "Financials": "#9467bd",
    "Health Care": "#e377c2",
    "Industrials": "#7f7f7f",
    "Materials": "#bcbd22",
    "Real Estate": "#17becf",
    "Technology": "#d62728",
    "Utilities": "#aec7e8",
}


def sector_colour(sector: str, fallback_index: int = 0) -> str:
    """A sector's colour; anything else (a new sector) from the colourway."""
    return SECTOR_COLOURS.get(sector, COLORWAY[fallback_index % len(COLORWAY)])


def pct(value: float | None, digits: int = 1) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    return f"{value * 100:+.{digits}f}%"
