"""Forecasts & Backtests: out-of-sample skill, the regime timeline, backtest equity curves."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from marketpulse.dashboard.data import CACHE_TTL, Target, in_range, nonempty, require, run_query

ACCURACY_COLUMNS = (
    "model",
    "horizon",
    "target",
    "n_forecasts",
    "rmse",
    "skill",
    "directional_hit_rate",
    "dm_p_value",
    "verdict",
)
RESULT_COLUMNS = (
    "strategy",
    "kind",
    "start_date",
    "end_date",
    "total_return",
    "annual_return",
    "annual_volatility",
    "sharpe_ratio",
    "max_drawdown",
    "annual_turnover",
    "n_fills",
    "excess_annual_return",
)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def forecast_accuracy(target: Target) -> pd.DataFrame:
    """Every model x horizon x target's out-of-sample accuracy against its naive baseline
    (fct_forecast_accuracy), baselines first."""
    mart = "fct_forecast_accuracy"
    require(target, mart, ACCURACY_COLUMNS, hint="make forecast")
    frame = run_query(
        target,
        f"""
        select {", ".join(ACCURACY_COLUMNS)}
        from marts.{mart}
        order by target, horizon, is_baseline desc, model
        """,
    )
    return nonempty(frame, f"`marts.{mart}` has no rows", hint="make forecast")


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def regimes(target: Target, start: date, end: date) -> pd.DataFrame:
    """The benchmark's filtered regime per session (fct_market_regimes) beside its adj_close."""
    mart = "fct_market_regimes"
    require(
        target,
        mart,
        ("symbol", "trading_date", "regime_label", "filtered_probability"),
        hint="make forecast",
    )
    frame = run_query(
        target,
        f"""
        select regimes.symbol, regimes.trading_date, regimes.regime_label,
            regimes.filtered_probability, prices.adj_close
        from marts.{mart} as regimes
        inner join marts.fct_prices_daily as prices
            on regimes.symbol = prices.symbol and regimes.trading_date = prices.trading_date
        where regimes.trading_date between :start and :end
        order by regimes.trading_date
        """,
        start=start,
        end=end,
    )
    return in_range(
        frame,
        target,
        f"`marts.{mart}`",
        f"select min(trading_date) as first, max(trading_date) as last from marts.{mart}",
        start,
        end,
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def backtest_curves(target: Target) -> pd.DataFrame:
    """Every strategy's cumulative return over its whole backtest (fct_backtest_equity_daily),
    the benchmark's `benchmark` strategy among them."""
    mart = "fct_backtest_equity_daily"
    require(target, mart, ("strategy", "trading_date", "cumulative_return"), hint="make backtest")
    frame = run_query(
        target,
        f"""
        select strategy, trading_date, cumulative_return
        from marts.{mart}
        order by strategy = 'benchmark', strategy, trading_date
        """,
    )
    return nonempty(frame, f"`marts.{mart}` has no rows", hint="make backtest")


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def backtest_results(target: Target) -> pd.DataFrame:
    """One row per strategy (fct_backtest_results), the benchmark last."""
    mart = "fct_backtest_results"
    require(target, mart, RESULT_COLUMNS, hint="make backtest")
    frame = run_query(
        target,
        f"""
        select {", ".join(RESULT_COLUMNS)}
        from marts.{mart}
        order by is_benchmark, strategy
        """,
    )
    return nonempty(frame, f"`marts.{mart}` has no rows", hint="make backtest")
