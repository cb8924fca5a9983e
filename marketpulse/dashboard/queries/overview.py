"""Overview: period returns, the macro tiles and the data-quality line."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from marketpulse.dashboard.data import CACHE_TTL, Target, in_range, nonempty, require, run_query


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def quality_summary(target: Target) -> pd.DataFrame:
    """Quality scores over the 30-day window at the latest as_of_date (fct_data_quality)."""
    require(target, "fct_data_quality", ("quality_score", "window_name", "as_of_date"))
    return nonempty(
        run_query(
            target,
            """
            select
                max(as_of_date) as as_of_date,
                count(*) as entities,
                avg(quality_score) as mean_score,
                min(quality_score) as min_score,
                sum(case when quality_score < 0.7 then 1 else 0 end) as below_threshold
            from marts.fct_data_quality
            where window_name = '30d'
                and as_of_date = (select max(as_of_date) from marts.fct_data_quality)
            """,
        ).dropna(subset=["as_of_date"]),
        "`marts.fct_data_quality` is empty",
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def stale_items(target: Target) -> pd.DataFrame:
    """What the latest ingest run of each source could not refresh (a partial run builds what
    loaded: docs/decisions/0029-partial-runs-build-what-loaded.md); the dashboard marks these as stale."""
    require(target, "fct_pipeline_failures", ("run_id", "source_name", "item_id"))
    require(target, "fct_pipeline_runs", ("run_id", "source_name", "is_latest_run"))
    return run_query(
        target,
        """
        select
            failures.source_name,
            failures.item_id,
            failures.failure_reason
        from marts.fct_pipeline_failures as failures
        inner join marts.fct_pipeline_runs as runs
            on failures.run_id = runs.run_id
            and failures.source_name = runs.source_name
        where runs.is_latest_run
        order by failures.source_name, failures.item_id
        """,
    )


PERIODS: tuple[tuple[str, str], ...] = (
    ("1D", "change_1d"),
    ("1W", "change_1w"),
    ("1M", "change_1m"),
    ("3M", "change_3m"),
    ("YTD", "change_ytd"),
    ("1Y", "change_1y"),
)


def _anchor_dates(as_of: date) -> dict[str, date]:
    """Reference dates for each period: the last trading day on or before each of these."""
    stamp = pd.Timestamp(as_of)
    return {
        "w_anchor": (stamp - pd.DateOffset(weeks=1)).date(),
        "m_anchor": (stamp - pd.DateOffset(months=1)).date(),
        "q_anchor": (stamp - pd.DateOffset(months=3)).date(),
        "y_anchor": (stamp - pd.DateOffset(years=1)).date(),
        "ytd_anchor": date(as_of.year - 1, 12, 31),
    }


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def period_returns(target: Target, symbol_list: tuple[str, ...], as_of: date) -> pd.DataFrame:
    """Last close and 1D/1W/1M/3M/YTD/1Y total-return change per symbol, as of a date."""
    require(target, "fct_prices_daily")
    anchors = _anchor_dates(as_of)
    start = min(anchors["y_anchor"], anchors["ytd_anchor"]) - timedelta(days=10)
    frame = run_query(
        target,
        """
        with prices as (
            select symbol, trading_date, close, adj_close,
                max(trading_date) over (partition by symbol) as d0
            from marts.fct_prices_daily
            where symbol in :symbols and trading_date between :start and :as_of
        ),
        anchors as (
            select
                symbol,
                d0,
                max(case when trading_date < d0 then trading_date end) as d_1d,
                max(case when trading_date <= :w_anchor then trading_date end) as d_1w,
                max(case when trading_date <= :m_anchor then trading_date end) as d_1m,
                max(case when trading_date <= :q_anchor then trading_date end) as d_3m,
                max(case when trading_date <= :ytd_anchor then trading_date end) as d_ytd,
                max(case when trading_date <= :y_anchor then trading_date end) as d_1y
            from prices
            group by symbol, d0
        )
        -- conditional aggregation over one join: no self-joins, whatever the table statistics
        select
            anchors.symbol,
            anchors.d0 as last_date,
            max(case when prices.trading_date = anchors.d0 then prices.close end) as last_close,
            max(case when prices.trading_date = anchors.d0 then prices.adj_close end) as close_0,
            max(case when prices.trading_date = anchors.d_1d then prices.adj_close end) as close_1d,
            max(case when prices.trading_date = anchors.d_1w then prices.adj_close end) as close_1w,
            max(case when prices.trading_date = anchors.d_1m then prices.adj_close end) as close_1m,
            max(case when prices.trading_date = anchors.d_3m then prices.adj_close end) as close_3m,
            max(case when prices.trading_date = anchors.d_ytd then prices.adj_close end) as close_ytd,
            max(case when prices.trading_date = anchors.d_1y then prices.adj_close end) as close_1y
        from anchors
        inner join prices on anchors.symbol = prices.symbol
        group by anchors.symbol, anchors.d0
        order by anchors.symbol
        """,
        symbols=list(symbol_list),
        start=start,
        as_of=as_of,
        **anchors,
    )
    frame = nonempty(frame, f"no prices on or before {as_of} for {', '.join(symbol_list)}")
    for _, column in PERIODS:
        frame[column] = frame["close_0"] / frame["close_" + column.removeprefix("change_")] - 1
    return frame.drop(columns=[c for c in frame.columns if c.startswith("close_")])


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def macro_latest(target: Target, indicator_id: str, as_of: date) -> pd.DataFrame:
    """The value known on as_of (point in time) and the one known a month earlier."""
    require(target, "fct_macro_asof_daily", ("trading_date", "indicator_id", "value"))
    month_ago = (pd.Timestamp(as_of) - pd.DateOffset(months=1)).date()
    return nonempty(
        run_query(
            target,
            """
            with known as (
                select trading_date, observation_date, value
                from marts.fct_macro_asof_daily
                where indicator_id = :indicator_id and trading_date <= :as_of
                    and trading_date >= :since
            )
            select
                max(case when trading_date = (select max(trading_date) from known)
                    then observation_date end) as observation_date,
                max(case when trading_date = (select max(trading_date) from known)
                    then value end) as value,
                max(case when trading_date = (
                    select max(trading_date) from known where trading_date <= :month_ago
                ) then value end) as value_1m_ago
            from known
            """,
            indicator_id=indicator_id,
            as_of=as_of,
            since=as_of - timedelta(days=60),
            month_ago=month_ago,
        ).dropna(subset=["value"]),
        f"no {indicator_id} value known in the 60 days to {as_of}",
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def cpi_yoy_latest(target: Target, as_of: date) -> pd.DataFrame:
    """CPI YoY (fraction) as known at the last two month ends on or before as_of."""
    require(target, "fct_macro_lens_monthly", ("month_end_date", "cpi_yoy_pct"))
    frame = run_query(
        target,
        """
        select month_end_date as month_end, cpi_observation_date,
            cpi_yoy_pct / 100.0 as cpi_yoy
        from marts.fct_macro_lens_monthly
        where month_end_date <= :as_of and cpi_yoy_pct is not null
        order by month_end_date desc
        limit 2
        """,
        as_of=as_of,
    )
    return in_range(
        frame,
        target,
        "CPI YoY (known from the first month end with a CPI a year older)",
        """
        select min(month_end_date) as first, max(month_end_date) as last
        from marts.fct_macro_lens_monthly where cpi_yoy_pct is not null
        """,
        as_of,
        as_of,
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def movers(target: Target, start: date, end: date) -> pd.DataFrame:
    """Total return over the range per equity and ETF (indices excluded): the adjusted close
    of the range's last session over that of its first, for symbols traded on both ends."""
    require(target, "fct_prices_daily")
    require(target, "dim_symbol", ("asset_class",))
    frame = run_query(
        target,
        """
        with ranged as (
            select prices.symbol, prices.trading_date, prices.adj_close
            from marts.fct_prices_daily as prices
            inner join marts.dim_symbol as symbols on prices.symbol = symbols.symbol
            where symbols.asset_class <> 'index'
                and prices.trading_date between :start and :end
        ),
        ends as (
            select symbol, min(trading_date) as first_date, max(trading_date) as last_date
            from ranged
            group by symbol
        )
        select ends.symbol, ends.first_date, ends.last_date,
            max(case when ranged.trading_date = ends.last_date then ranged.adj_close end)
            / max(case when ranged.trading_date = ends.first_date then ranged.adj_close end)
            - 1 as period_return
        from ends
        inner join ranged on ends.symbol = ranged.symbol
        where ends.first_date < ends.last_date
        group by ends.symbol, ends.first_date, ends.last_date
        order by period_return desc, ends.symbol
        """,
        start=start,
        end=end,
    )
    return in_range(
        frame,
        target,
        "two sessions of prices",
        "select min(trading_date) as first, max(trading_date) as last from marts.fct_prices_daily",
        start,
        end,
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def breadth(target: Target, as_of: date) -> pd.DataFrame:
    """Market breadth on the last session on or before as_of, over equities and ETFs:
    advancers and decliners (adjusted close against the session before) and how many close
    above their 200-session SMA (fct_technical_indicators; symbols without one yet are left
    out of that share)."""
    require(target, "fct_technical_indicators", ("sma_200",))
    frame = run_query(
        target,
        """
        with last_session as (
            select max(trading_date) as day
            from marts.fct_prices_daily
            where trading_date <= :as_of
        ),
        two as (
            select prices.symbol, prices.trading_date, prices.adj_close,
                row_number() over (
                    partition by prices.symbol order by prices.trading_date desc
                ) as back
            from marts.fct_prices_daily as prices
            inner join marts.dim_symbol as symbols on prices.symbol = symbols.symbol
            cross join last_session
            where symbols.asset_class <> 'index'
                and prices.trading_date <= last_session.day
                and prices.trading_date >= last_session.day - 10
        ),
        changes as (
            select symbol,
                max(case when back = 1 then trading_date end) as trading_date,
                max(case when back = 1 then adj_close end)
                / max(case when back = 2 then adj_close end) - 1 as change_1d
            from two
            where back <= 2
            group by symbol
        )
        select
            max(last_session.day) as as_of_date,
            count(case when changes.change_1d > 0 then 1 end) as advancers,
            count(case when changes.change_1d < 0 then 1 end) as decliners,
            count(case when changes.change_1d = 0 then 1 end) as unchanged,
            count(case when indicators.sma_200 is not null
                and indicators.close > indicators.sma_200 then 1 end) as above_sma_200,
            count(indicators.sma_200) as with_sma_200
        from changes
        cross join last_session
        left join marts.fct_technical_indicators as indicators
            on changes.symbol = indicators.symbol
            and indicators.trading_date = last_session.day
        where changes.trading_date = last_session.day
        """,
        as_of=as_of,
    )
    return nonempty(frame[frame["as_of_date"].notna()], f"no prices on or before {as_of}")
