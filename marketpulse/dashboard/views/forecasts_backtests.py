"""Forecasts & Backtests: out-of-sample forecast skill, the market regimes over the benchmark,
the backtests' equity curves against buy-and-hold."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from marketpulse.dashboard import data, ui
from marketpulse.dashboard.queries import forecasts_backtests as queries

TITLE = "Forecasts & Backtests"
CAPTION = (
    "Walk-forward forecasts scored out of sample against a naive baseline; regimes from data up"
    " to each day; strategies traded at the next open after each signal, with costs."
)
REGIME_COLOURS = {"calm": "#2ca02c", "normal": "#bbbbbb", "turbulent": "#d62728"}
ACCURACY_HEADERS = {
    "model": "Model",
    "horizon": "Horizon (sessions)",
    "target": "Target",
    "n_forecasts": "Forecasts",
    "rmse": "RMSE",
    "skill": "Skill vs baseline",
    "directional_hit_rate": "Direction hit rate",
    "dm_p_value": "DM p-value",
    "verdict": "Verdict",
}
RESULT_HEADERS = {
    "strategy": "Strategy",
    "kind": "Kind",
    "start_date": "From",
    "end_date": "To",
    "total_return": "Total return",
    "annual_return": "Annual return",
    "annual_volatility": "Volatility (ann.)",
    "sharpe_ratio": "Sharpe",
    "max_drawdown": "Max drawdown",
    "annual_turnover": "Turnover / year",
    "n_fills": "Fills",
    "excess_annual_return": "vs benchmark (ann.)",
}
SIGNED = ("total_return", "annual_return", "max_drawdown", "excess_annual_return")
SHARES = ("annual_volatility", "directional_hit_rate")


def regime_runs(frame: pd.DataFrame) -> list[tuple[object, object, str]]:
    """Contiguous sessions with one regime label: (first, last, label)."""
    runs: list[tuple[object, object, str]] = []
    for day, label in zip(frame["trading_date"], frame["regime_label"], strict=True):
        if runs and runs[-1][2] == label:
            runs[-1] = (runs[-1][0], day, label)
        else:
            runs.append((day, day, str(label)))
    return runs


def _formatted(frame: pd.DataFrame, headers: dict[str, str]) -> pd.DataFrame:
    shown = frame.copy()
    for column in shown.columns:
        if column in SIGNED:
            shown[column] = [ui.pct(value) for value in shown[column]]
        elif column in SHARES:
            shown[column] = ["n/a" if pd.isna(value) else f"{value:.1%}" for value in shown[column]]
        elif pd.api.types.is_float_dtype(shown[column]):
            shown[column] = ["-" if pd.isna(value) else f"{value:.3g}" for value in shown[column]]
    return shown.rename(columns=headers)


def render(context: ui.Context) -> None:
    target = context.target
    st.subheader("Out-of-sample forecast skill")
    try:
        accuracy = queries.forecast_accuracy(target)
        ui.static_table(_formatted(accuracy, ACCURACY_HEADERS), key="forecast_accuracy")
        st.caption(
            "Every forecast was made by a model fitted only on what was known at its refit date"
            " (walk-forward); skill is 1 - MSE / the naive baseline's MSE, the Diebold-Mariano"
            " p-value tests the difference. A model without skill says so."
        )
    except data.NoData as exc:
        ui.no_data(exc)

    try:
        timeline = queries.regimes(target, context.start, context.end)
        symbol = str(timeline["symbol"].iloc[0])
        figure = go.Figure()
        for first, last, label in regime_runs(timeline):
            figure.add_vrect(
                x0=first,
                x1=last,
                fillcolor=REGIME_COLOURS.get(label, "#bbbbbb"),
                opacity=0.18,
                line_width=0,
            )
        # The runs from every session; over long ranges the line from weekly points.
        line = timeline
        if data.weekly_grain(context.start, context.end):
            line = data.week_ends(timeline, "trading_date")
        figure.add_trace(
            go.Scatter(
                x=line["trading_date"],
                y=line["adj_close"].astype(float),
                name=symbol,
                line={"color": ui.PRIMARY, "width": 2},
            )
        )
        for label, colour in REGIME_COLOURS.items():  # a legend entry per regime
            figure.add_trace(
                go.Scatter(
                    x=[None],
                    y=[None],
                    mode="markers",
                    marker={"color": colour, "size": 10, "symbol": "square"},
                    name=label,
                )
            )
        ui.chart(figure, f"Market regimes over {symbol} (filtered: each day from data up to it)")
    except data.NoData as exc:
        ui.no_data(exc)

    st.subheader("Backtests")
    try:
        curves = queries.backtest_curves(target)
        figure = go.Figure()
        for index, (name, daily) in enumerate(curves.groupby("strategy", sort=False)):
            is_benchmark = name == "benchmark"
            group = data.week_ends(daily, "trading_date")  # a backtest spans years
            figure.add_trace(
                go.Scatter(
                    x=group["trading_date"],
                    y=group["cumulative_return"].astype(float),
                    name="buy-and-hold benchmark" if is_benchmark else str(name),
                    line={
                        "color": "#444444"
                        if is_benchmark
                        else ui.COLORWAY[index % len(ui.COLORWAY)],
                        "dash": "dash" if is_benchmark else "solid",
                    },
                )
            )
        figure.update_yaxes(tickformat=".0%")
        ui.chart(
            figure,
            "Backtest equity vs buy-and-hold (cumulative return at each week's end, whole period)",
        )
    except data.NoData as exc:
        ui.no_data(exc)
    try:
        results = queries.backtest_results(target)
        ui.static_table(_formatted(results, RESULT_HEADERS), key="backtest_results")
        st.caption(
            "Signals at a session's close trade at the next session's open, with the fee and"
            " slippage of backtests.toml; the whole backtest period, whatever the sidebar's range."
        )
    except data.NoData as exc:
        ui.no_data(exc)
