"""Macro Lens: CPI YoY vs the S&P 500, yield curve spreads with inversions shaded, labour and rates."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from marketpulse.dashboard import data, ui
from marketpulse.dashboard.queries import macro_lens as queries

TITLE = "Macro Lens"
CAPTION = "Inflation, the yield curve and the labour market beside the S&P 500."


def inversion_periods(frame: pd.DataFrame, column: str) -> list[tuple[object, object]]:
    """Contiguous runs of days flagged inverted (a boolean column) or with a spread below zero."""
    series = frame[["observation_date", column]].dropna()
    values = series[column]
    inverted = values.astype(bool) if values.dtype == bool else values.astype(float) < 0
    runs: list[tuple[object, object]] = []
    start = previous = None
    for day, flag in zip(series["observation_date"], inverted, strict=True):
        if flag and start is None:
            start = day
        if not flag and start is not None:
            runs.append((start, previous))
            start = None
        previous = day
    if start is not None:
        runs.append((start, previous))
    return runs


def render(context: ui.Context) -> None:
    target = context.target
    try:
        monthly = queries.macro_monthly(target, context.start, context.end)
    except data.NoData as exc:
        ui.no_data(exc)
        monthly = None
    if monthly is not None:
        figure = make_subplots(specs=[[{"secondary_y": True}]])
        figure.add_trace(
            go.Scatter(
                x=monthly["month_end"],
                y=monthly["gspc_close"].astype(float),
                name="S&P 500 (month end)",
                line={"color": ui.PRIMARY, "width": 2.5},
            ),
            secondary_y=False,
        )
        for column, name, color in (
            ("cpi_yoy", "CPI YoY", ui.DOWN),
            ("core_cpi_yoy", "Core CPI YoY", "#f28e2b"),
        ):
            figure.add_trace(
                go.Scatter(
                    x=monthly["month_end"],
                    y=monthly[column].astype(float),
                    name=name,
                    line={"color": color},
                ),
                secondary_y=True,
            )
        figure.update_yaxes(title_text="S&P 500", secondary_y=False)
        figure.update_yaxes(title_text="YoY", tickformat=".1%", secondary_y=True, showgrid=False)
        ui.chart(figure, "CPI YoY vs S&P 500 (as known at each month end)")

    try:
        spreads = queries.yield_spreads(target, context.start, context.end)
        figure = go.Figure()
        for first, last in inversion_periods(spreads, "is_inverted_10y2y"):
            figure.add_vrect(x0=first, x1=last, fillcolor=ui.DOWN, opacity=0.12, line_width=0)
        # The inversions from every session; over long ranges the lines from weekly points.
        weekly = data.weekly_grain(context.start, context.end)
        if weekly:
            spreads = data.week_ends(spreads, "observation_date")
        figure.add_trace(
            go.Scatter(
                x=spreads["observation_date"],
                y=spreads["spread_10y_2y"].astype(float),
                name="10Y-2Y",
                line={"color": ui.PRIMARY},
            )
        )
        figure.add_trace(
            go.Scatter(
                x=spreads["observation_date"],
                y=spreads["spread_10y_3m"].astype(float),
                name="10Y-3M",
                line={"color": "#f28e2b"},
            )
        )
        figure.add_hline(y=0, line={"color": ui.MUTED, "dash": "dot"})
        figure.update_yaxes(title_text="percentage points")
        points = " (weekly points)" if weekly else ""
        ui.chart(figure, f"Yield curve spreads (10Y-2Y inversions shaded){points}")
    except data.NoData as exc:
        ui.no_data(exc)

    if monthly is not None:
        figure = make_subplots(specs=[[{"secondary_y": True}]])
        figure.add_trace(
            go.Scatter(
                x=monthly["month_end"],
                y=monthly["unemployment_rate"].astype(float),
                name="Unemployment rate",
                line={"color": "#9467bd"},
            ),
            secondary_y=False,
        )
        figure.add_trace(
            go.Scatter(
                x=monthly["month_end"],
                y=monthly["fed_funds_rate"].astype(float),
                name="Fed funds rate",
                line={"color": "#2ca02c"},
            ),
            secondary_y=True,
        )
        figure.update_yaxes(title_text="unemployment %", secondary_y=False)
        figure.update_yaxes(
            title_text="fed funds %", secondary_y=True, showgrid=False, tickformat=".1f"
        )
        ui.chart(figure, "Unemployment and the fed funds rate")
