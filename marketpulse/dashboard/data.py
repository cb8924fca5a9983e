"""The dashboard's only way into the warehouse: every query it runs, against schema `marts` only.

Each function aggregates in SQL, filters by symbol and date range with bound parameters, and is
cached (`st.cache_data`, TTL = the refresh interval). Connections are short-lived and read-only;
on DuckDB a lock held by a writer (ingest or dbt) is retried with backoff.

A mart or column that is not in the warehouse raises `NoData`, which the views show as a
"no data yet: run ..." notice instead of an error.

Every figure comes from the mart that owns it (indicators, risk, rotation, macro, trends,
sentiment, quality); nothing is recomputed here that a mart already holds.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from marketpulse.warehouse import Warehouse

SCHEMA = "marts"
DEFAULT_REFRESH_MINUTES = 30.0


def refresh_minutes() -> float:
    """MARKETPULSE_DASHBOARD_REFRESH_MINUTES (default 30): auto-refresh and cache lifetime."""
    raw = os.environ.get("MARKETPULSE_DASHBOARD_REFRESH_MINUTES", "").strip()
    try:
        value = float(raw) if raw else DEFAULT_REFRESH_MINUTES
    except ValueError:
        value = DEFAULT_REFRESH_MINUTES
    return max(value, 0.1)


CACHE_TTL = timedelta(minutes=refresh_minutes())


class NoData(Exception):
    """A mart or column the view needs is not in the warehouse (yet)."""

    def __init__(self, what: str, hint: str = "make build") -> None:
        super().__init__(f"No data yet: {what}. Run `{hint}` (or `make demo`) to build it.")
        self.what = what
        self.hint = hint


# ---------------------------------------------------------------------------------------------
# Connections and query execution
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Which warehouse to read, as a hashable cache key (never includes the password)."""

    location: str

    @classmethod
    def from_env(cls) -> Target:
        return cls(Warehouse.from_env().describe())


_render = threading.local()


@contextmanager
def render_session() -> Iterator[None]:
    """One read-only session for one page render, opened on the first query, closed at the end.

    Opening a connection costs more than most of the dashboard's queries; a render issues several
    (cold cache) or none (warm). Outside a render each query opens and closes its own.
    """
    with ExitStack() as stack:
        _render.stack, _render.session = stack, None
        try:
            yield
        finally:
            _render.stack, _render.session = None, None


def run_query(target: Target, sql: str, **params: Any) -> pd.DataFrame:
    """Run one query with bound `:name` parameters on a read-only session (the render's, if
    one is open); while a writer holds a DuckDB file the session waits for it."""
    stack = getattr(_render, "stack", None)
    if stack is None:
        return Warehouse.from_env().query(sql, params)
    if _render.session is None:
        _render.session = stack.enter_context(Warehouse.from_env().session(read_only=True))
    return _render.session.query(sql, params)


# ---------------------------------------------------------------------------------------------
# What is in the warehouse
# ---------------------------------------------------------------------------------------------


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def catalog(target: Target) -> dict[str, frozenset[str]]:
    """Every mart and its columns; an unreachable or empty warehouse gives an empty dict."""
    try:
        frame = run_query(
            target,
            "select table_name, column_name from information_schema.columns"
            " where table_schema = :schema",
            schema=SCHEMA,
        )
    except Exception as exc:
        if not Warehouse.from_env().exists():
            return {}
        raise WarehouseError(f"cannot read {target.location}: {exc}") from exc
    tables: dict[str, set[str]] = {}
    for table, column in frame.itertuples(index=False):
        tables.setdefault(str(table), set()).add(str(column))
    return {table: frozenset(columns) for table, columns in tables.items()}


class WarehouseError(Exception):
    """The warehouse exists but cannot be read (down, wrong password, locked for too long)."""


def has(target: Target, mart: str, columns: Iterable[str] = ()) -> bool:
    found = catalog(target).get(mart)
    return found is not None and set(columns) <= found


def require(target: Target, mart: str, columns: Iterable[str] = (), hint: str = "make build"):
    """Raise NoData unless the mart (and those columns) exist."""
    found = catalog(target).get(mart)
    if found is None:
        raise NoData(f"`{SCHEMA}.{mart}` is not in the warehouse", hint)
    missing = sorted(set(columns) - found)
    if missing:
        raise NoData(f"`{SCHEMA}.{mart}` has no column {', '.join(missing)}", hint)


def _nonempty(frame: pd.DataFrame, what: str, hint: str = "make build") -> pd.DataFrame:
    if frame.empty:
        raise NoData(what, hint)
    return frame


# ---------------------------------------------------------------------------------------------
# Shared: universe, date range, freshness
# ---------------------------------------------------------------------------------------------


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def symbols(target: Target) -> pd.DataFrame:
    """The universe (dim_symbol holds only symbols the ingest loaded)."""
    require(target, "dim_symbol")
    return _nonempty(
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
def quality_summary(target: Target) -> pd.DataFrame:
    """Quality scores over the 30-day window at the latest as_of_date (fct_data_quality)."""
    require(target, "fct_data_quality", ("quality_score", "window_name", "as_of_date"))
    return _nonempty(
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


# ---------------------------------------------------------------------------------------------
# Overview
# ---------------------------------------------------------------------------------------------

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
    frame = _nonempty(frame, f"no prices on or before {as_of} for {', '.join(symbol_list)}")
    for _, column in PERIODS:
        frame[column] = frame["close_0"] / frame["close_" + column.removeprefix("change_")] - 1
    return frame.drop(columns=[c for c in frame.columns if c.startswith("close_")])


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def macro_latest(target: Target, indicator_id: str, as_of: date) -> pd.DataFrame:
    """The value known on as_of (point in time) and the one known a month earlier."""
    require(target, "fct_macro_asof_daily", ("trading_date", "indicator_id", "value"))
    month_ago = (pd.Timestamp(as_of) - pd.DateOffset(months=1)).date()
    return _nonempty(
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
    return _nonempty(
        run_query(
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
        ),
        f"no CPI YoY known on {as_of}",
    )


# ---------------------------------------------------------------------------------------------
# Sector rotation
# ---------------------------------------------------------------------------------------------


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def sector_etfs(target: Target) -> pd.DataFrame:
    require(target, "dim_symbol")
    return _nonempty(
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
    return _nonempty(
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
    return _nonempty(frame, f"`marts.fct_sector_rotation` has no rows in {start}..{end}")


# ---------------------------------------------------------------------------------------------
# Macro lens
# ---------------------------------------------------------------------------------------------


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
    return _nonempty(frame, f"`marts.{mart}` has no rows in {start}..{end}")


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
    return _nonempty(frame, f"`marts.{mart}` has no rows in {start}..{end}")


# ---------------------------------------------------------------------------------------------
# Trends and sentiment
# ---------------------------------------------------------------------------------------------


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def trends(target: Target, start: date, end: date) -> pd.DataFrame:
    """Weekly mean search interest per keyword (all geos averaged)."""
    require(target, "fct_trends", ("keyword", "observed_date", "interest_score"), "make ingest")
    frame = run_query(
        target,
        """
        select keyword, min(observed_date) as observed_date, avg(interest_score) as interest_score
        from marts.fct_trends
        where observed_date between :start and :end
        group by keyword, date_trunc('week', observed_date)
        order by keyword, observed_date
        """,
        start=start,
        end=end,
    )
    return _nonempty(frame, f"`marts.fct_trends` has no rows in {start}..{end}", "make ingest")


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def daily_closes(target: Target, symbol: str, start: date, end: date) -> pd.DataFrame:
    require(target, "fct_prices_daily")
    return _nonempty(
        run_query(
            target,
            """
            select trading_date, adj_close from marts.fct_prices_daily
            where symbol = :symbol and trading_date between :start and :end
            order by trading_date
            """,
            symbol=symbol,
            start=start,
            end=end,
        ),
        f"no {symbol} prices in {start}..{end}",
    )


SENTIMENT_COLUMNS = (
    "symbol",
    "published_date",
    "article_count",
    "mean_vader_compound",
    "positive_share",
    "negative_share",
)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def sentiment_daily(
    target: Target, symbol_list: tuple[str, ...], start: date, end: date
) -> pd.DataFrame:
    require(target, "fct_sentiment_daily", SENTIMENT_COLUMNS, "make ingest && make build")
    frame = run_query(
        target,
        """
        select symbol, published_date as sentiment_date, article_count,
            mean_vader_compound as mean_compound, positive_share, negative_share
        from marts.fct_sentiment_daily
        where symbol in :symbols and published_date between :start and :end
        order by symbol, sentiment_date
        """,
        symbols=list(symbol_list),
        start=start,
        end=end,
    )
    return _nonempty(
        frame, f"no news sentiment for {', '.join(symbol_list)} in {start}..{end}", "make ingest"
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def sentiment_divergence(
    target: Target, symbol_list: tuple[str, ...], start: date, end: date
) -> pd.DataFrame:
    """Flagged days (at most 200, latest first): 5-day sentiment against the 5-day return."""
    require(
        target,
        "fct_sentiment_divergence",
        ("symbol", "trading_date", "sentiment_5d", "return_5d", "is_divergent"),
    )
    return run_query(
        target,
        """
        select symbol, trading_date as divergence_date, sentiment_5d, return_5d
        from marts.fct_sentiment_divergence
        where symbol in :symbols and trading_date between :start and :end and is_divergent
        order by trading_date desc, symbol
        limit 200
        """,
        symbols=list(symbol_list),
        start=start,
        end=end,
    )


# ---------------------------------------------------------------------------------------------
# Volatility and risk
# ---------------------------------------------------------------------------------------------

WEEKLY_AFTER_DAYS = 550  # longer ranges are drawn from weekly points, aggregated in SQL
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


def weekly_grain(start: date, end: date) -> bool:
    """Over ~18 months a daily chart has more points than pixels: draw weekly bars instead."""
    return (end - start).days > WEEKLY_AFTER_DAYS


def _weekly_bars(daily_sql: str, columns: str) -> str:
    """Weekly OHLCV bars from one symbol's daily rows; `columns` as of each week's last day."""
    week = "date_trunc('week', trading_date)"
    return f"""
        with daily as ({daily_sql}),
        marked as (
            select daily.*,
                row_number() over (partition by {week} order by trading_date desc) as from_week_end,
                first_value(adj_open) over (partition by {week} order by trading_date) as week_open,
                max(adj_high) over (partition by {week}) as week_high,
                min(adj_low) over (partition by {week}) as week_low,
                cast(sum(volume) over (partition by {week}) as bigint) as week_volume
            from daily
        )
        select trading_date, week_open as adj_open, week_high as adj_high, week_low as adj_low,
            adj_close, week_volume as volume, {columns}
        from marked
        where from_week_end = 1
        order by trading_date
    """


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


def _grain(sql: str, start: date, end: date, weekly, columns: str, order: str) -> str:  # type: ignore[no-untyped-def]
    return weekly(sql, columns) if weekly_grain(start, end) else f"{sql} order by {order}"


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def price_indicators(target: Target, symbol: str, start: date, end: date) -> pd.DataFrame:
    """Adjusted OHLCV (fct_prices_daily) beside SMA 20/50/200, Bollinger (20, 2), RSI 14 and
    MACD (12, 26, 9) from fct_technical_indicators; weekly bars over long ranges."""
    require(target, "fct_prices_daily")
    require(target, "fct_technical_indicators", ("symbol", "trading_date", *INDICATOR_COLUMNS))
    picked = ", ".join(f"indicators.{column}" for column in INDICATOR_COLUMNS)
    # Both sides filtered to the symbol and range before the join: no plan reads either mart whole.
    daily = f"""
        select prices.trading_date, prices.adj_open, prices.adj_high, prices.adj_low,
            prices.adj_close, prices.volume, {picked}
        from (
            select trading_date, adj_open, adj_high, adj_low, adj_close, volume
            from marts.fct_prices_daily
            where symbol = :symbol and trading_date between :start and :end
        ) as prices
        left join (
            select trading_date, {", ".join(INDICATOR_COLUMNS)}
            from marts.fct_technical_indicators
            where symbol = :symbol and trading_date between :start and :end
        ) as indicators on prices.trading_date = indicators.trading_date
    """
    frame = run_query(
        target,
        _grain(daily, start, end, _weekly_bars, ", ".join(INDICATOR_COLUMNS), "trading_date"),
        symbol=symbol,
        start=start,
        end=end,
    )
    return _nonempty(frame, f"no {symbol} prices in {start}..{end}")


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
            _week_ends,
            "symbol, trading_date, volatility_63d",
            "symbol, trading_date",
        ),
        symbols=list(symbol_list),
        start=start,
        end=end,
    )
    return _nonempty(frame, "`marts.fct_rolling_risk` has no 63-day volatility for the selection")


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
        _grain(
            daily, start, end, _week_ends, "symbol, trading_date, drawdown", "symbol, trading_date"
        ),
        symbols=list(symbol_list),
        start=start,
        end=end,
    )
    return _nonempty(frame, "`marts.fct_drawdowns` has no rows for the selection")


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
    return _nonempty(frame, f"no {window_name} risk metrics for {', '.join(symbol_list)}")


def as_tuple(values: Sequence[str]) -> tuple[str, ...]:
    """Cache keys must be hashable and order-stable."""
    return tuple(dict.fromkeys(values))


# ---------------------------------------------------------------------------------------------
# Portfolio (issue 8, docs/decisions/0013)
# ---------------------------------------------------------------------------------------------

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
    return _nonempty(frame, "no portfolio has been imported", IMPORT_HINT)


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
    return _nonempty(frame, f"`marts.{mart}` has no rows for {portfolio_id} on or before {as_of}")


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
    return _nonempty(frame, f"`marts.{mart}` has no rows for {portfolio_id} in {start}..{end}")


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
    return _nonempty(frame, f"`marts.{mart}` has no rows for {portfolio_id} on or before {as_of}")


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
    frame = _nonempty(frame, f"`marts.{mart}` has no rows for {portfolio_id}")
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
    return _nonempty(frame, f"no optimization run yet for {portfolio_id}", hint)


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
    return _nonempty(frame, f"`marts.{mart}` has no weights for run {run_id}")
