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
# One colour per line across the price panels: no two indicators share one.
LINE_COLOURS = {
    "SMA 20": "#f28e2b",
    "SMA 50": "#1f6feb",
    "SMA 200": "#9467bd",
    "RSI 14": "#17becf",
    "MACD": "#2ca02c",
    "Signal": "#e377c2",
}
# Human headers, with units, for the risk table (fct_risk_metrics' columns).
RISK_HEADERS = {
    "symbol": ("Symbol", None),
    "as_of_date": ("As of", None),
    "n_observations": ("Sessions", "%d"),
    "annual_return": ("Annual return", "percent"),
    "annual_volatility": ("Volatility (ann.)", "percent"),
    "sharpe_ratio": ("Sharpe", "%.2f"),
    "sortino_ratio": ("Sortino", "%.2f"),
    "max_drawdown": ("Max drawdown", "percent"),
    "calmar_ratio": ("Calmar", "%.2f"),
    "var_95": ("VaR 95% (1 day)", "percent"),
    "cvar_95": ("CVaR 95% (1 day)", "percent"),
    "skewness": ("Skew", "%.2f"),
    "kurtosis": ("Excess kurtosis", "%.2f"),
    "beta": ("Beta", "%.2f"),
    "correlation": ("Correlation", "%.2f"),
    "risk_free_coverage": ("Risk-free coverage", "percent"),
    "benchmark_symbol": ("Benchmark", None),
}


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
        ui.table(
            table,
            hide_index=True,
            width="stretch",
            column_config={
                column: st.column_config.NumberColumn(label, format=number)
                if number
                else st.column_config.Column(label)
                for column, (label, number) in RISK_HEADERS.items()
                if column in table.columns
            },
            key="risk_table",
        )
        as_of = ", ".join(sorted({str(day) for day in table["as_of_date"]}))
        st.caption(
            f"The {window or '1y'} window up to the latest session ({as_of}), whatever the"
            " sidebar's range: risk needs the whole window. VaR and CVaR are daily returns."
        )
        note = queries.sharpe_note(table, "symbol")
        if note:
            st.caption(note)
    except data.NoData as exc:
        ui.no_data(exc)


def _price_panels(prices, symbol: str, weekly: bool) -> None:  # type: ignore[no-untyped-def]
    figure = make_subplots(
        rows=4,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.03,
        row_heights=[0.5, 0.14, 0.18, 0.18],
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
    for column in ("sma_20", "sma_50", "sma_200"):
        name = column.upper().replace("_", " ")
        figure.add_trace(
            go.Scatter(
                x=day, y=prices[column], name=name, line={"color": LINE_COLOURS[name], "width": 1.4}
            ),
            row=1,
            col=1,
        )
    # Volume: green on an up session, red on a down one, as the candles.
    up = prices["adj_close"] >= prices["adj_open"]
    figure.add_trace(
        go.Bar(
            x=day,
            y=prices["volume"],
            name="Volume",
            marker_color=[ui.UP if rising else ui.DOWN for rising in up],
            opacity=0.6,
        ),
        row=2,
        col=1,
    )
    figure.add_trace(
        go.Scatter(
            x=day, y=prices["rsi_14"], name="RSI 14", line={"color": LINE_COLOURS["RSI 14"]}
        ),
        row=3,
        col=1,
    )
    for level in (30, 70):
        figure.add_hline(y=level, line={"color": ui.MUTED, "dash": "dot"}, row=3, col=1)
    figure.add_trace(
        go.Bar(x=day, y=prices["macd_hist"], name="MACD hist", marker_color=ui.MUTED),
        row=4,
        col=1,
    )
    for column, name in (("macd", "MACD"), ("macd_signal", "Signal")):
        figure.add_trace(
            go.Scatter(x=day, y=prices[column], name=name, line={"color": LINE_COLOURS[name]}),
            row=4,
            col=1,
        )
    figure.update_yaxes(title_text="Volume", row=2, col=1)
    figure.update_yaxes(title_text="RSI", range=[0, 100], row=3, col=1)
    figure.update_yaxes(title_text="MACD", row=4, col=1)
    figure.update_layout(xaxis_rangeslider_visible=False)
    figure.update_xaxes(rangebreaks=[{"bounds": ["sat", "mon"]}])  # no empty weekends
    bars = "adjusted, weekly bars" if weekly else "adjusted"
    title = (
        f"{symbol}: candlestick ({bars}) with SMA 20/50/200 and Bollinger bands,"
        " volume, RSI 14 and MACD (12, 26, 9)"
    )
    ui.chart(figure, title, height=720)
