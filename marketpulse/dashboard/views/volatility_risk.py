"""Volatility & Risk: candlestick with SMA/Bollinger, RSI and MACD, rolling volatility, drawdowns, risk table."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from marketpulse.dashboard import data, ui
from marketpulse.dashboard.queries import volatility_risk as queries

TITLE = "Volatility & Risk"
CAPTION = "Price action and indicators for the first selected symbol; risk across the selection."
WINDOWS = ("1y", "3y", "5y", "full")


def render(context: ui.Context) -> None:
    target = context.target
    symbol = context.symbols[0]
    weekly = data.weekly_grain(context.start, context.end)
    points = " (weekly points)" if weekly else ""
    try:
        prices = queries.price_indicators(target, symbol, context.start, context.end)
        _price_panels(prices, symbol, weekly=weekly)
    except data.NoData as exc:
        ui.no_data(exc)

    left, right = st.columns(2)
    with left:
        try:
            vol = queries.rolling_volatility(target, context.symbols, context.start, context.end)
            figure = go.Figure()
            for name, group in vol.groupby("symbol", sort=False):
                figure.add_trace(
                    go.Scatter(
                        x=group["trading_date"],
                        y=group["volatility_63d"].astype(float),
                        name=str(name),
                        mode="lines",
                    )
                )
            figure.update_yaxes(tickformat=".0%")
            ui.chart(figure, f"Rolling 63-day volatility (annualised){points}")
        except data.NoData as exc:
            ui.no_data(exc)
    with right:
        try:
            underwater = queries.drawdowns(target, context.symbols, context.start, context.end)
            figure = go.Figure()
            for index, (name, group) in enumerate(underwater.groupby("symbol", sort=False)):
                figure.add_trace(
                    go.Scatter(
                        x=group["trading_date"],
                        y=group["drawdown"].astype(float),
                        name=str(name),
                        line={"color": ui.COLORWAY[index % len(ui.COLORWAY)]},
                    )
                )
            figure.update_yaxes(tickformat=".0%")
            ui.chart(figure, f"Drawdown from running peak (underwater){points}")
        except data.NoData as exc:
            ui.no_data(exc)

    st.subheader("Risk metrics")
    window = st.segmented_control(
        "Window", WINDOWS, default="1y", key="risk_window", label_visibility="collapsed"
    )
    try:
        table = queries.risk_metrics(target, context.symbols, window or "1y")
        percent = st.column_config.NumberColumn(format="percent")
        ratio = st.column_config.NumberColumn(format="%.2f")
        ui.table(
            table,
            hide_index=True,
            column_config={
                "annual_return": percent,
                "annual_volatility": percent,
                "max_drawdown": percent,
                "var_95": percent,
                "cvar_95": percent,
                "sharpe_ratio": ratio,
                "sortino_ratio": ratio,
                "calmar_ratio": ratio,
                "beta": ratio,
                "correlation": ratio,
                "risk_free_coverage": st.column_config.NumberColumn(
                    "Risk-free coverage", format="percent"
                ),
            },
            key="risk_table",
        )
        note = queries.sharpe_note(table, "symbol")
        if note:
            st.caption(note)
    except data.NoData as exc:
        ui.no_data(exc)


def _price_panels(prices, symbol: str, weekly: bool) -> None:  # type: ignore[no-untyped-def]
    figure = make_subplots(
        rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.04, row_heights=[0.6, 0.2, 0.2]
    )
    day = prices["trading_date"]
    figure.add_trace(
        go.Candlestick(
            x=day,
            open=prices["adj_open"],
            high=prices["adj_high"],
            low=prices["adj_low"],
            close=prices["adj_close"],
            name=symbol,
            increasing_line_color=ui.UP,
            decreasing_line_color=ui.DOWN,
        ),
        row=1,
        col=1,
    )
    figure.add_trace(
        go.Scatter(
            x=day, y=prices["bb_upper"], name="BB upper", line={"color": ui.MUTED, "width": 1}
        ),
        row=1,
        col=1,
    )
    figure.add_trace(
        go.Scatter(
            x=day,
            y=prices["bb_lower"],
            name="BB lower",
            line={"color": ui.MUTED, "width": 1},
            fill="tonexty",
            fillcolor="rgba(139,152,169,0.12)",
        ),
        row=1,
        col=1,
    )
    for column, color in (("sma_20", "#f28e2b"), ("sma_50", "#1f6feb"), ("sma_200", "#9467bd")):
        figure.add_trace(
            go.Scatter(
                x=day,
                y=prices[column],
                name=column.upper().replace("_", " "),
                line={"color": color, "width": 1.4},
            ),
            row=1,
            col=1,
        )
    figure.add_trace(
        go.Scatter(x=day, y=prices["rsi_14"], name="RSI 14", line={"color": "#9467bd"}),
        row=2,
        col=1,
    )
    for level in (30, 70):
        figure.add_hline(y=level, line={"color": ui.MUTED, "dash": "dot"}, row=2, col=1)
    figure.add_trace(
        go.Bar(x=day, y=prices["macd_hist"], name="MACD hist", marker_color=ui.MUTED),
        row=3,
        col=1,
    )
    figure.add_trace(
        go.Scatter(x=day, y=prices["macd"], name="MACD", line={"color": ui.PRIMARY}),
        row=3,
        col=1,
    )
    figure.add_trace(
        go.Scatter(x=day, y=prices["macd_signal"], name="Signal", line={"color": "#f28e2b"}),
        row=3,
        col=1,
    )
    figure.update_yaxes(title_text="RSI", range=[0, 100], row=2, col=1)
    figure.update_yaxes(title_text="MACD", row=3, col=1)
    figure.update_layout(xaxis_rangeslider_visible=False)
    figure.update_xaxes(rangebreaks=[{"bounds": ["sat", "mon"]}])  # no empty weekends
    bars = "adjusted, weekly bars" if weekly else "adjusted"
    title = (
        f"{symbol}: candlestick ({bars}) with SMA 20/50/200 and Bollinger bands,"
        " RSI 14 and MACD (12, 26, 9)"
    )
    ui.chart(figure, title, height=640)
