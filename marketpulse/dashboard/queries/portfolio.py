"""Portfolio: holdings, performance against the benchmark, risk, optimization (docs/decisions/0013)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from marketpulse.dashboard.data import (
    CACHE_TTL,
    Target,
    in_range,
    nonempty,
    require,
    run_query,
    weekly_grain,
)
from marketpulse.dashboard.queries.volatility_risk import RISK_COLUMNS

IMPORT_HINT = "make import-portfolio FILE=..."
PORTFOLIO_COLUMNS = (
    "portfolio_id",
    "portfolio_name",
    "base_currency",
    "inception_date",
    "latest_as_of_date",
    "holding_count",
    "weighting",
    "benchmark_symbol",
)
HOLDING_COLUMNS = (
    "symbol",
    "snapshot_as_of_date",
    "quantity",
    "close",
    "market_value",
    "weight",
    "target_weight",
    "weight_drift",
    "cost_basis",
    "unrealized_pnl",
)
PERFORMANCE_COLUMNS = (
    "market_value",
    "daily_return",
    "cumulative_return",
    "benchmark_return",
    "benchmark_cumulative_return",
    "active_return",
)
OPTIMIZATION_COLUMNS = (
    "run_id",
    "portfolio_id",
    "method",
    "point_index",
    "expected_return",
    "volatility",
    "sharpe_ratio",
    "risk_free_rate",
    "lookback_start_date",
    "lookback_end_date",
    "n_observations",
    "max_weight",
    "is_long_only",
    "created_at",
    "is_latest_run",
)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def portfolios(target: Target) -> pd.DataFrame:
    """Every imported portfolio (dim_portfolio), by name."""
    require(target, "dim_portfolio", PORTFOLIO_COLUMNS, IMPORT_HINT)
    frame = run_query(
        target,
        f"""
        select {", ".join(PORTFOLIO_COLUMNS)}
        from marts.dim_portfolio
        order by portfolio_name, portfolio_id
        """,
    )
    return nonempty(frame, "no portfolio has been imported", IMPORT_HINT)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def portfolio_holdings(target: Target, portfolio_id: str, as_of: date) -> pd.DataFrame:
    """The portfolio's positions on its last session on or before as_of, largest first
    (fct_portfolio_holdings_daily: quantity, close, market value, weight, target, drift)."""
    mart = "fct_portfolio_holdings_daily"
    require(target, mart, ("portfolio_id", "trading_date", *HOLDING_COLUMNS))
    frame = run_query(
        target,
        f"""
        with latest as (
            select max(trading_date) as trading_date
            from marts.{mart}
            where portfolio_id = :portfolio_id and trading_date <= :as_of
        )
        select holdings.trading_date, {", ".join("holdings." + c for c in HOLDING_COLUMNS)}
        from marts.{mart} as holdings
        inner join latest on holdings.trading_date = latest.trading_date
        where holdings.portfolio_id = :portfolio_id
        order by holdings.market_value desc, holdings.symbol
        """,
        portfolio_id=portfolio_id,
        as_of=as_of,
    )
    return nonempty(frame, f"`marts.{mart}` has no rows for {portfolio_id} on or before {as_of}")


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def portfolio_performance(
    target: Target, portfolio_id: str, start: date, end: date
) -> pd.DataFrame:
    """Value and cumulative return of the portfolio and its benchmark since inception, and
    their gap (cumulative active return), daily or at week ends over long ranges
    (fct_portfolio_performance_daily)."""
    mart = "fct_portfolio_performance_daily"
    require(target, mart, ("portfolio_id", "trading_date", *PERFORMANCE_COLUMNS))
    daily = f"""
        select trading_date, market_value, cumulative_return, benchmark_cumulative_return,
            cumulative_return - benchmark_cumulative_return as active_cumulative_return
        from marts.{mart}
        where portfolio_id = :portfolio_id and trading_date between :start and :end
    """
    if weekly_grain(start, end):
        sql = f"""
            with daily as ({daily}),
            marked as (
                select daily.*,
                    row_number() over (
                        partition by date_trunc('week', trading_date) order by trading_date desc
                    ) as from_week_end
                from daily
            )
            select trading_date, market_value, cumulative_return, benchmark_cumulative_return,
                active_cumulative_return
            from marked
            where from_week_end = 1
            order by trading_date
        """
    else:
        sql = f"{daily} order by trading_date"
    frame = run_query(target, sql, portfolio_id=portfolio_id, start=start, end=end)
    return in_range(
        frame,
        target,
        f"portfolio {portfolio_id}",
        f"select min(trading_date) as first, max(trading_date) as last from marts.{mart}"
        " where portfolio_id = :portfolio_id",
        start,
        end,
        portfolio_id=portfolio_id,
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def portfolio_latest_performance(target: Target, portfolio_id: str, as_of: date) -> pd.DataFrame:
    """The last session on or before as_of, and the one before it (for the 1-day change)."""
    mart = "fct_portfolio_performance_daily"
    require(target, mart, ("portfolio_id", "trading_date", *PERFORMANCE_COLUMNS))
    frame = run_query(
        target,
        f"""
        select trading_date, {", ".join(PERFORMANCE_COLUMNS)}
        from marts.{mart}
        where portfolio_id = :portfolio_id and trading_date <= :as_of
        order by trading_date desc
        limit 2
        """,
        portfolio_id=portfolio_id,
        as_of=as_of,
    )
    return nonempty(frame, f"`marts.{mart}` has no rows for {portfolio_id} on or before {as_of}")


PORTFOLIO_RISK_WINDOWS = ("1y", "3y", "5y", "full")


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def portfolio_risk(target: Target, portfolio_id: str) -> pd.DataFrame:
    """The latest risk metrics of the portfolio for every window (fct_portfolio_risk)."""
    mart = "fct_portfolio_risk"
    require(target, mart, ("portfolio_id", "window_name", "as_of_date", *RISK_COLUMNS))
    frame = run_query(
        target,
        f"""
        with ranked as (
            select window_name, as_of_date, n_observations,
                {", ".join(RISK_COLUMNS)}, benchmark_symbol,
                row_number() over (partition by window_name order by as_of_date desc) as from_latest
            from marts.{mart}
            where portfolio_id = :portfolio_id
        )
        select window_name, as_of_date, n_observations, {", ".join(RISK_COLUMNS)},
            benchmark_symbol
        from ranked
        where from_latest = 1
        """,
        portfolio_id=portfolio_id,
    )
    frame = nonempty(frame, f"`marts.{mart}` has no rows for {portfolio_id}")
    order = {name: i for i, name in enumerate(PORTFOLIO_RISK_WINDOWS)}
    frame = frame.assign(_order=frame["window_name"].map(order).fillna(len(order)))
    return frame.sort_values(["_order", "window_name"]).drop(columns="_order")


OPTIMIZE_HINT = "make optimize PORTFOLIO={portfolio_id}"


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def optimization_run(target: Target, portfolio_id: str) -> pd.DataFrame:
    """The portfolio's latest optimization run: every frontier point, max Sharpe, min volatility
    and the current portfolio, in the same risk/return terms (fct_optimization_results)."""
    mart = "fct_optimization_results"
    hint = OPTIMIZE_HINT.format(portfolio_id=portfolio_id)
    require(target, mart, OPTIMIZATION_COLUMNS, hint)
    frame = run_query(
        target,
        f"""
        select run_id, method, point_index, expected_return, volatility, sharpe_ratio,
            risk_free_rate, lookback_start_date, lookback_end_date, n_observations, max_weight,
            is_long_only, created_at
        from marts.{mart}
        where portfolio_id = :portfolio_id and is_latest_run
        order by method, point_index
        """,
        portfolio_id=portfolio_id,
    )
    return nonempty(frame, f"no optimization run yet for {portfolio_id}", hint)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def optimization_weights(target: Target, run_id: str) -> pd.DataFrame:
    """Per symbol, the weights of the current, max-Sharpe and min-volatility portfolios of one
    run (fct_optimization_weights, pivoted in SQL)."""
    mart = "fct_optimization_weights"
    require(target, mart, ("run_id", "method", "point_index", "symbol", "weight"))
    frame = run_query(
        target,
        f"""
        select symbol,
            max(case when method = 'current' then weight end) as current_weight,
            max(case when method = 'max_sharpe' then weight end) as max_sharpe_weight,
            max(case when method = 'min_volatility' then weight end) as min_volatility_weight
        from marts.{mart}
        where run_id = :run_id and method in ('current', 'max_sharpe', 'min_volatility')
        group by symbol
        order by symbol
        """,
        run_id=run_id,
    )
    return nonempty(frame, f"`marts.{mart}` has no weights for run {run_id}")
