"""Sector Rotation: sector ETFs, weekly performance and the rotation quadrants."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from marketpulse.dashboard.data import CACHE_TTL, Target, in_range, nonempty, require, run_query


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def sector_etfs(target: Target) -> pd.DataFrame:
    require(target, "dim_symbol")
    return nonempty(
        run_query(
            target,
            """
            select symbol, sector from marts.dim_symbol
            where asset_class = 'etf' and sector is not null
                and symbol in (select distinct symbol from marts.fct_prices_daily)
            order by sector
            """,
        ),
        "no sector ETFs in `marts.dim_symbol`",
        "make ingest && make build",
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def weekly_performance(
    target: Target, symbol_list: tuple[str, ...], start: date, end: date
) -> pd.DataFrame:
    """Cumulative total return since `start`, sampled at each week's last trading day."""
    require(target, "fct_prices_daily")
    return nonempty(
        run_query(
            target,
            """
            with prices as (
                select symbol, trading_date, adj_close,
                    first_value(adj_close) over (
                        partition by symbol order by trading_date
                    ) as base,
                    row_number() over (
                        partition by symbol, date_trunc('week', trading_date)
                        order by trading_date desc
                    ) as from_week_end
                from marts.fct_prices_daily
                where symbol in :symbols and trading_date between :start and :end
            )
            select symbol, trading_date, adj_close / base - 1 as cumulative_return
            from prices
            where from_week_end = 1
            order by symbol, trading_date
            """,
            symbols=list(symbol_list),
            start=start,
            end=end,
        ),
        f"no prices between {start} and {end}",
    )


ROTATION_COLUMNS = (
    "symbol",
    "trading_date",
    "rs_ratio",
    "rs_momentum",
    "rank_return_3m",
    "return_3m",
    "quadrant",
    "benchmark_symbol",
)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def rotation(target: Target, start: date, end: date) -> pd.DataFrame:
    """Per sector ETF at each week's last session: RS ratio, RS momentum, quadrant, 3-month
    return and its rank among sectors (fct_sector_rotation, against its benchmark_symbol)."""
    require(target, "fct_sector_rotation", ROTATION_COLUMNS)
    frame = run_query(
        target,
        """
        with rotation as (
            select symbol, trading_date, rs_ratio, rs_momentum, quadrant,
                rank_return_3m as momentum_rank, return_3m, benchmark_symbol,
                row_number() over (
                    partition by symbol, date_trunc('week', trading_date)
                    order by trading_date desc
                ) as from_week_end
            from marts.fct_sector_rotation
            where trading_date between :start and :end
        )
        select symbol, trading_date, rs_ratio, rs_momentum, quadrant, momentum_rank, return_3m,
            benchmark_symbol
        from rotation
        where from_week_end = 1
        order by trading_date, symbol
        """,
        start=start,
        end=end,
    )
    return in_range(
        frame,
        target,
        "`marts.fct_sector_rotation`",
        "select min(trading_date) as first, max(trading_date) as last"
        " from marts.fct_sector_rotation",
        start,
        end,
    )
