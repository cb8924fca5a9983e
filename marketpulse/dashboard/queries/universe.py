"""Every view's frame: the universe, the data's date range, how fresh it is."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import streamlit as st

from marketpulse.dashboard.data import CACHE_TTL, NoData, Target, has, nonempty, require, run_query


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def symbols(target: Target) -> pd.DataFrame:
    """The universe (dim_symbol holds only symbols the ingest loaded)."""
    require(target, "dim_symbol")
    return nonempty(
        run_query(
            target,
            """
            select symbol, name, asset_class, sector, is_benchmark
            from marts.dim_symbol
            order by is_benchmark desc, asset_class, symbol
            """,
        ),
        "`marts.dim_symbol` is empty",
        "make ingest && make build",
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def freshness(target: Target) -> dict[str, Any]:
    """First and last trading date, last macro observation, and when we looked: one scan."""
    require(target, "fct_prices_daily")
    macro = (
        "(select max(observation_date) from marts.fct_macro_observations)"
        if has(target, "fct_macro_observations")
        else "null"
    )
    frame = run_query(
        target,
        f"""
        select min(trading_date) as first_date, max(trading_date) as last_date,
            {macro} as macro_date
        from marts.fct_prices_daily
        """,
    )
    first, last, macro_date = frame.iloc[0]
    return {
        "prices_from": _as_date(first),
        "prices_as_of": _as_date(last),
        "macro_as_of": _as_date(macro_date),
        "checked_at": datetime.now(UTC).replace(microsecond=0),
    }


def data_range(target: Target) -> tuple[date, date]:
    fresh = freshness(target)
    if fresh["prices_from"] is None:
        raise NoData("`marts.fct_prices_daily` is empty", "make ingest && make build")
    return fresh["prices_from"], fresh["prices_as_of"]


def _as_date(value: Any) -> date | None:
    if value is None or (not isinstance(value, date) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date()


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def sample_origin(target: Target) -> dict[str, int] | None:
    """What of the warehouse is the bundled offline sample, or None when nothing is: symbols
    whose prices are simulated (dim_symbol.is_simulated) and the latest ingest runs that
    loaded the sample (fct_pipeline_runs.data_origin)."""
    facts = {"simulated": 0, "symbols": 0, "sample_runs": 0}
    if has(target, "dim_symbol", ("is_simulated",)):
        row = run_query(
            target,
            """
            select count(*) as symbols,
                count(case when is_simulated then 1 end) as simulated
            from marts.dim_symbol
            """,
        ).iloc[0]
        facts["symbols"], facts["simulated"] = int(row["symbols"]), int(row["simulated"])
    if has(target, "fct_pipeline_runs", ("data_origin", "is_latest_run")):
        facts["sample_runs"] = int(
            run_query(
                target,
                """
                select count(*) as runs from marts.fct_pipeline_runs
                where is_latest_run and data_origin = 'sample'
                """,
            ).iloc[0]["runs"]
        )
    return facts if facts["simulated"] or facts["sample_runs"] else None
