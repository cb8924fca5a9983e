"""Volatility & Risk: candles with indicators, rolling volatility, drawdowns, risk metrics."""

from __future__ import annotations

from datetime import date, timedelta

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

INDICATOR_COLUMNS = (
    "sma_20",
    "sma_50",
    "sma_200",
    "bb_upper",
    "bb_middle",
    "bb_lower",
    "rsi_14",
    "macd",
    "macd_signal",
    "macd_hist",
)


def _week_ends(daily_sql: str, columns: str) -> str:
    """Each symbol's rows on the last trading day of each week."""
    return f"""
        with daily as ({daily_sql}),
        marked as (
            select daily.*,
                row_number() over (
                    partition by symbol, date_trunc('week', trading_date) order by trading_date desc
                ) as from_week_end
            from daily
        )
        select {columns} from marked where from_week_end = 1 order by symbol, trading_date
    """


def _grain(sql: str, start: date, end: date, columns: str, order: str) -> str:
    """The daily rows, or over long ranges each week's last one."""
    return _week_ends(sql, columns) if weekly_grain(start, end) else f"{sql} order by {order}"


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def price_indicators(target: Target, symbol: str, start: date, end: date) -> pd.DataFrame:
    """Adjusted OHLCV (fct_prices_daily) beside SMA 20/50/200, Bollinger (20, 2), RSI 14 and
    MACD (12, 26, 9) from fct_technical_indicators. Over long ranges, the weekly bars of
    fct_prices_weekly of every week the range touches, with the indicators as of each week's
    last session."""
    require(target, "fct_technical_indicators", ("symbol", "trading_date", *INDICATOR_COLUMNS))
    picked = ", ".join(f"indicators.{column}" for column in INDICATOR_COLUMNS)
    if weekly_grain(start, end):
        require(target, "fct_prices_weekly")
        # A bar is plotted at its week's last session, up to 6 days after `end`.
        prices = """
            select last_trading_date as trading_date, adj_open, adj_high, adj_low, adj_close,
                volume
            from marts.fct_prices_weekly
            where symbol = :symbol and last_trading_date >= :start and first_trading_date <= :end
        """
        through = end + timedelta(days=6)
    else:
        require(target, "fct_prices_daily")
        prices = """
            select trading_date, adj_open, adj_high, adj_low, adj_close, volume
            from marts.fct_prices_daily
            where symbol = :symbol and trading_date between :start and :end
        """
        through = end
    # Both sides filtered to the symbol and range before the join: no plan reads either mart whole.
    sql = f"""
        select prices.trading_date, prices.adj_open, prices.adj_high, prices.adj_low,
            prices.adj_close, prices.volume, {picked}
        from ({prices}) as prices
        left join (
            select trading_date, {", ".join(INDICATOR_COLUMNS)}
            from marts.fct_technical_indicators
            where symbol = :symbol and trading_date between :start and :through
        ) as indicators on prices.trading_date = indicators.trading_date
        order by prices.trading_date
    """
    frame = run_query(target, sql, symbol=symbol, start=start, end=end, through=through)
    return in_range(
        frame,
        target,
        f"{symbol}'s prices",
        "select min(trading_date) as first, max(trading_date) as last"
        " from marts.fct_prices_daily where symbol = :symbol",
        start,
        end,
        "make ingest && make build",
        symbol=symbol,
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def rolling_volatility(
    target: Target, symbol_list: tuple[str, ...], start: date, end: date
) -> pd.DataFrame:
    """Annualised rolling 63-session volatility per symbol (fct_rolling_risk)."""
    require(target, "fct_rolling_risk", ("symbol", "trading_date", "volatility_63d"))
    daily = """
        select symbol, trading_date, volatility_63d
        from marts.fct_rolling_risk
        where symbol in :symbols and trading_date between :start and :end
            and volatility_63d is not null
    """
    frame = run_query(
        target,
        _grain(
            daily,
            start,
            end,
            "symbol, trading_date, volatility_63d",
            "symbol, trading_date",
        ),
        symbols=list(symbol_list),
        start=start,
        end=end,
    )
    # Empty: loaded but not yet 63 sessions into the history is a warm-up (OutOfRange, with
    # the range that has a value), not missing data (NoData).
    return in_range(
        frame,
        target,
        "63-day volatility (it needs 63 sessions of history)",
        """
        select min(trading_date) as first, max(trading_date) as last
        from marts.fct_rolling_risk
        where symbol in :symbols and volatility_63d is not null
        """,
        start,
        end,
        symbols=list(symbol_list),
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def drawdowns(target: Target, symbol_list: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """Drawdown from the running peak (all history up to each day) per symbol (fct_drawdowns)."""
    require(target, "fct_drawdowns", ("symbol", "trading_date", "drawdown"))
    daily = """
        select symbol, trading_date, drawdown
        from marts.fct_drawdowns
        where symbol in :symbols and trading_date between :start and :end
    """
    frame = run_query(
        target,
        _grain(daily, start, end, "symbol, trading_date, drawdown", "symbol, trading_date"),
        symbols=list(symbol_list),
        start=start,
        end=end,
    )
    return nonempty(frame, "`marts.fct_drawdowns` has no rows for the selection")


RISK_COLUMNS: tuple[str, ...] = (
    "annual_return",
    "annual_volatility",
    "sharpe_ratio",
    "sortino_ratio",
    "max_drawdown",
    "calmar_ratio",
    "var_95",
    "cvar_95",
    "beta",
    "correlation",
    "risk_free_coverage",
)


def sharpe_note(table: pd.DataFrame, key: str) -> str | None:
    """Why Sharpe and Sortino are empty on some rows of a risk table: a session of the window
    has no risk-free rate (risk_free_coverage below 1); None when no row is so."""
    missing = table[table["sharpe_ratio"].isna() & (table["risk_free_coverage"] < 1)]
    if missing.empty:
        return None
    rows = ", ".join(f"{row[key]} {row['risk_free_coverage']:.0%}" for _, row in missing.iterrows())
    return (
        "Sharpe and Sortino are empty where a session of the window has no risk-free rate"
        f" (FRED DGS3MO, dbt var risk_free_series). Sessions with a rate: {rows}."
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def risk_metrics(target: Target, symbol_list: tuple[str, ...], window_name: str) -> pd.DataFrame:
    """Latest risk metrics per symbol for one window (fct_risk_metrics, issue 3)."""
    mart = "fct_risk_metrics"
    require(target, mart, ("symbol", "window_name", "as_of_date", *RISK_COLUMNS), hint="make build")
    frame = run_query(
        target,
        f"""
        select risk.symbol, risk.as_of_date, risk.n_observations, {", ".join("risk." + c for c in RISK_COLUMNS)},
            risk.benchmark_symbol
        from marts.{mart} as risk
        inner join (
            select symbol, max(as_of_date) as as_of_date from marts.{mart}
            where symbol in :symbols and window_name = :window_name
            group by symbol
        ) as latest on risk.symbol = latest.symbol and risk.as_of_date = latest.as_of_date
        where risk.window_name = :window_name
        order by risk.symbol
        """,
        symbols=list(symbol_list),
        window_name=window_name,
    )
    return nonempty(frame, f"no {window_name} risk metrics for {', '.join(symbol_list)}")
