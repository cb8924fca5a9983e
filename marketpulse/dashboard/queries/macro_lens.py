"""Macro Lens: month-end S&P 500 beside inflation, jobs and rates; the yield curve."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from marketpulse.dashboard.data import CACHE_TTL, Target, in_range, require, run_query


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def macro_monthly(target: Target, start: date, end: date) -> pd.DataFrame:
    """Month-end S&P 500 beside CPI and core CPI YoY (fractions), unemployment and fed funds,
    all as known at each month end (fct_macro_lens_monthly)."""
    mart = "fct_macro_lens_monthly"
    require(target, mart, ("month_end_date", "sp500_close", "cpi_yoy_pct", "core_cpi_yoy_pct"))
    frame = run_query(
        target,
        """
        select month_end_date as month_end, sp500_close as gspc_close,
            sp500_return_1m as gspc_return_1m,
            cpi_yoy_pct / 100.0 as cpi_yoy, core_cpi_yoy_pct / 100.0 as core_cpi_yoy,
            unemployment_rate, fed_funds_rate
        from marts.fct_macro_lens_monthly
        where month_end_date between :start and :end
        order by month_end_date
        """,
        start=start,
        end=end,
    )
    return in_range(
        frame,
        target,
        f"`marts.{mart}`",
        f"select min(month_end_date) as first, max(month_end_date) as last from marts.{mart}",
        start,
        end,
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def yield_spreads(target: Target, start: date, end: date) -> pd.DataFrame:
    """Daily 10Y-2Y and 10Y-3M spreads (percentage points) and the 10Y-2Y inversion flag."""
    mart = "fct_yield_curve_daily"
    require(target, mart, ("trading_date", "spread_10y2y", "spread_10y3m", "is_inverted_10y2y"))
    frame = run_query(
        target,
        """
        select trading_date as observation_date, spread_10y2y as spread_10y_2y,
            spread_10y3m as spread_10y_3m, is_inverted_10y2y
        from marts.fct_yield_curve_daily
        where trading_date between :start and :end
        order by trading_date
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
