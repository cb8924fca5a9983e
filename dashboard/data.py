"""The dashboard's only way into the warehouse: every query it runs, against schema `marts` only.

Each function aggregates in SQL, filters by symbol and date range with bound parameters, and is
cached (`st.cache_data`, TTL = the refresh interval). Connections are short-lived and read-only;
on DuckDB a lock held by a writer (ingest or dbt) is retried with backoff.

A mart or column that is not in the warehouse raises `NoData`, which the views show as a
"no data yet: run ..." notice instead of an error.

Marts still being built on other branches (indicators, risk, rotation, quality) are read when
present. Until they land, a few views fall back to figures computed here from
`fct_prices_daily`; every such query is marked FALLBACK below and is used only when the real
mart is missing. `pick()` accepts the plausible spellings of those marts' columns.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from ingest.warehouse import Warehouse

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

    kind: str
    location: str

    @classmethod
    def from_env(cls) -> Target:
        warehouse = Warehouse.from_env()
        return cls(warehouse.kind, warehouse.describe())


_PARAM = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


def _bind(kind: str, sql: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """`:name` placeholders to the driver's style; a list/tuple expands to `(:n_0, :n_1, ...)`."""
    bound: dict[str, Any] = {}

    def placeholder(name: str) -> str:
        return f"${name}" if kind == "duckdb" else f"%({name})s"

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        value = params[name]
        if isinstance(value, list | tuple):
            if not value:
                return "(null)"
            names = [f"{name}_{i}" for i in range(len(value))]
            bound.update(zip(names, value, strict=True))
            return "(" + ", ".join(placeholder(n) for n in names) + ")"
        bound[name] = value
        return placeholder(name)

    return _PARAM.sub(replace, sql), bound


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflict" in text or "could not set" in text)


_render = threading.local()


@contextmanager
def render_session() -> Iterator[None]:
    """One read-only connection for one page render, opened on the first query, closed at the end.

    Opening a connection costs more than most of the dashboard's queries; a render issues several
    (cold cache) or none (warm). Outside a render each query opens and closes its own.
    """
    _render.active, _render.connection = True, None
    try:
        yield
    finally:
        connection, _render.active, _render.connection = _render.connection, False, None
        if connection is not None:
            connection.close()


def _connect(target: Target) -> Any:
    """A read-only connection; while a writer holds the DuckDB file, retry with backoff (~10 s)."""
    warehouse = Warehouse.from_env()
    delay = 0.2
    for attempt in range(8):
        try:
            connection = warehouse.connect(read_only=True, timeout=10)
            if target.kind == "postgres":
                connection.set_session(readonly=True, autocommit=True)
            return connection
        except Exception as exc:
            if target.kind == "duckdb" and _is_lock_error(exc) and attempt < 7:
                time.sleep(delay)
                delay = min(delay * 2, 3.0)
                continue
            raise
    raise AssertionError("unreachable")


def run_query(target: Target, sql: str, **params: Any) -> pd.DataFrame:
    """Run one query with bound parameters on a short-lived read-only connection."""
    text, bound = _bind(target.kind, sql, params)
    shared = getattr(_render, "active", False)
    if shared and _render.connection is None:
        _render.connection = _connect(target)
    connection = _render.connection if shared else _connect(target)
    try:
        cursor = connection.cursor()
        cursor.execute(text, bound)
        rows = cursor.fetchall()
        columns = [column[0] for column in cursor.description]
        cursor.close()
    finally:
        if not shared:
            connection.close()
    return pd.DataFrame.from_records(rows, columns=columns)


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
        if target.kind == "duckdb" and not Warehouse.from_env().duckdb_path.exists():
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


def pick(target: Target, mart: str, *candidates: str) -> str:
    """The first of several spellings a column of a newly landing mart may have."""
    found = catalog(target).get(mart, frozenset())
    for name in candidates:
        if name in found:
            return name
    raise NoData(f"`{SCHEMA}.{mart}` has none of the columns {', '.join(candidates)}")


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


def _rotation_columns(target: Target) -> dict[str, str]:
    mart = "fct_sector_rotation"
    return {
        "symbol": pick(target, mart, "symbol", "sector_symbol"),
        "date": pick(target, mart, "trading_date", "as_of_date", "rotation_date", "date_day"),
        "rs_ratio": pick(target, mart, "rs_ratio"),
        "rs_momentum": pick(target, mart, "rs_momentum"),
        "rank": pick(
            target, mart, "momentum_rank", "rank_return_3m", "rank", "sector_rank", "rank_3m"
        ),
        "return_3m": pick(target, mart, "return_3m", "return_63d"),
    }


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def rotation(target: Target, benchmark: str, start: date, end: date) -> tuple[pd.DataFrame, bool]:
    """Weekly RS ratio, RS momentum, 3-month return and its rank among sectors per sector ETF.

    Returns (frame, from_mart). From fct_sector_rotation when present (sampled weekly).
    """
    if has(target, "fct_sector_rotation"):
        cols = _rotation_columns(target)
        frame = run_query(
            target,
            f"""
            with rotation as (
                select {cols["symbol"]} as symbol, {cols["date"]} as trading_date,
                    rs_ratio, rs_momentum, {cols["rank"]} as momentum_rank,
                    {cols["return_3m"]} as return_3m,
                    row_number() over (
                        partition by {cols["symbol"]}, date_trunc('week', {cols["date"]})
                        order by {cols["date"]} desc
                    ) as from_week_end
                from marts.fct_sector_rotation
                where {cols["date"]} between :start and :end
            )
            select symbol, trading_date, rs_ratio, rs_momentum, momentum_rank, return_3m
            from rotation
            where from_week_end = 1
            order by trading_date, symbol
            """,
            start=start,
            end=end,
        )
        return _nonempty(frame, f"`marts.fct_sector_rotation` has no rows in {start}..{end}"), True
    # FALLBACK until fct_sector_rotation lands: weekly relative strength vs the benchmark.
    # rs = sector / benchmark (adjusted closes); rs_ratio = 100 * rs / its 10-week mean;
    # rs_momentum = 100 * rs_ratio / rs_ratio a week earlier; rank by 13-week (3-month) return.
    require(target, "fct_prices_daily")
    frame = run_query(
        target,
        """
        with sectors as (
            select symbol from marts.dim_symbol where asset_class = 'etf' and sector is not null
        ),
        prices as (
            select symbol, trading_date, adj_close,
                row_number() over (
                    partition by symbol, date_trunc('week', trading_date)
                    order by trading_date desc
                ) as from_week_end
            from marts.fct_prices_daily
            where (symbol in (select symbol from sectors) or symbol = :benchmark)
                and trading_date between :warmup and :end
        ),
        weekly as (
            select symbol, trading_date, adj_close,
                max(case when symbol = :benchmark then adj_close end) over (
                    partition by trading_date
                ) as benchmark_close
            from prices
            where from_week_end = 1
        ),
        relative as (
            select symbol, trading_date,
                adj_close / benchmark_close as rs,
                adj_close / lag(adj_close, 13) over (
                    partition by symbol order by trading_date
                ) - 1 as return_3m
            from weekly
            where symbol <> :benchmark and benchmark_close is not null
        ),
        ratio as (
            select symbol, trading_date, return_3m,
                100 * rs / avg(rs) over (
                    partition by symbol order by trading_date rows between 9 preceding and current row
                ) as rs_ratio
            from relative
        ),
        momentum as (
            select symbol, trading_date, return_3m, rs_ratio,
                100 * rs_ratio / lag(rs_ratio) over (partition by symbol order by trading_date)
                    as rs_momentum
            from ratio
        )
        select symbol, trading_date, rs_ratio, rs_momentum,
            rank() over (partition by trading_date order by return_3m desc) as momentum_rank,
            return_3m
        from momentum
        where trading_date between :start and :end and return_3m is not null
        order by trading_date, symbol
        """,
        benchmark=benchmark,
        warmup=start - timedelta(days=140),
        start=start,
        end=end,
    )
    return _nonempty(frame, f"no sector ETF and {benchmark} prices in {start}..{end}"), False


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
    require(target, "fct_trends", ("keyword", "interest_score"))
    day = pick(target, "fct_trends", "observed_date", "observation_date", "trend_date")
    frame = run_query(
        target,
        f"""
        select keyword, min({day}) as observed_date, avg(interest_score) as interest_score
        from marts.fct_trends
        where {day} between :start and :end
        group by keyword, date_trunc('week', {day})
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


def _sentiment_columns(target: Target) -> dict[str, str]:
    mart = "fct_sentiment_daily"
    return {
        "date": pick(target, mart, "sentiment_date", "published_date", "date_day", "trading_date"),
        "count": pick(target, mart, "article_count"),
        "compound": pick(target, mart, "mean_compound", "avg_compound", "mean_vader_compound"),
        "positive": pick(target, mart, "positive_share", "pct_positive", "share_positive"),
        "negative": pick(target, mart, "negative_share", "pct_negative", "share_negative"),
    }


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def sentiment_daily(
    target: Target, symbol_list: tuple[str, ...], start: date, end: date
) -> pd.DataFrame:
    require(target, "fct_sentiment_daily", ("symbol",))
    cols = _sentiment_columns(target)
    frame = run_query(
        target,
        f"""
        select symbol, {cols["date"]} as sentiment_date, {cols["count"]} as article_count,
            {cols["compound"]} as mean_compound, {cols["positive"]} as positive_share,
            {cols["negative"]} as negative_share
        from marts.fct_sentiment_daily
        where symbol in :symbols and {cols["date"]} between :start and :end
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
    mart = "fct_sentiment_divergence"
    require(target, mart, ("symbol",))
    day = pick(target, mart, "sentiment_date", "trading_date", "date_day", "divergence_date")
    sent = pick(target, mart, "sentiment_5d", "mean_compound_5d", "compound_5d")
    ret = pick(target, mart, "return_5d", "price_return_5d")
    flag = pick(target, mart, "is_divergent", "is_divergence", "has_divergence")
    frame = run_query(
        target,
        f"""
        select symbol, {day} as divergence_date, {sent} as sentiment_5d, {ret} as return_5d
        from marts.{mart}
        where symbol in :symbols and {day} between :start and :end and {flag}
        order by {day} desc, symbol
        limit 200
        """,
        symbols=list(symbol_list),
        start=start,
        end=end,
    )
    return frame


# ---------------------------------------------------------------------------------------------
# Volatility and risk
# ---------------------------------------------------------------------------------------------

WARMUP_DAYS = 420  # calendar days before the range: covers the 252-day windows and SMA 200
WEEKLY_AFTER_DAYS = 550  # longer ranges are drawn from weekly points, aggregated in SQL
INDICATOR_COLUMNS = (
    "sma_20, sma_50, sma_200, bb_upper, bb_middle, bb_lower, rsi_14, macd, macd_signal, macd_hist"
)
FALLBACK_INDICATOR_COLUMNS = "sma_20, sma_50, sma_200, bb_upper, bb_middle, bb_lower"


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
def price_indicators(
    target: Target, symbol: str, start: date, end: date
) -> tuple[pd.DataFrame, bool]:
    """Adjusted OHLCV with SMA 20/50/200 and Bollinger (20, 2); RSI and MACD when the mart has them."""
    if has(target, "fct_technical_indicators"):
        daily = """
            select prices.trading_date, prices.adj_open, prices.adj_high, prices.adj_low,
                prices.adj_close, prices.volume,
                indicators.sma_20, indicators.sma_50, indicators.sma_200,
                indicators.bb_upper, indicators.bb_middle, indicators.bb_lower,
                indicators.rsi_14, indicators.macd, indicators.macd_signal, indicators.macd_hist
            from marts.fct_prices_daily as prices
            left join marts.fct_technical_indicators as indicators
                on prices.symbol = indicators.symbol and prices.trading_date = indicators.trading_date
            where prices.symbol = :symbol and prices.trading_date between :start and :end
        """
        frame = run_query(
            target,
            _grain(daily, start, end, _weekly_bars, INDICATOR_COLUMNS, "trading_date"),
            symbol=symbol,
            start=start,
            end=end,
        )
        return _nonempty(frame, f"no {symbol} prices in {start}..{end}"), True
    # FALLBACK until fct_technical_indicators lands: SMA and Bollinger (population stddev, as
    # TA-Lib) over window functions; RSI and MACD (recursive) only come from the mart.
    require(target, "fct_prices_daily")
    daily = """
        with prices as (
            select trading_date, adj_open, adj_high, adj_low, adj_close, volume
            from marts.fct_prices_daily
            where symbol = :symbol and trading_date between :warmup and :end
        ),
        windows as (
            select *,
                count(*) over last_20 as n_20,
                avg(adj_close) over last_20 as mean_20,
                stddev_pop(adj_close) over last_20 as sd_20,
                count(*) over last_50 as n_50,
                avg(adj_close) over last_50 as mean_50,
                count(*) over last_200 as n_200,
                avg(adj_close) over last_200 as mean_200
            from prices
            window
                last_20 as (order by trading_date rows between 19 preceding and current row),
                last_50 as (order by trading_date rows between 49 preceding and current row),
                last_200 as (order by trading_date rows between 199 preceding and current row)
        )
        select trading_date, adj_open, adj_high, adj_low, adj_close, volume,
            case when n_20 = 20 then mean_20 end as sma_20,
            case when n_50 = 50 then mean_50 end as sma_50,
            case when n_200 = 200 then mean_200 end as sma_200,
            case when n_20 = 20 then mean_20 + 2 * sd_20 end as bb_upper,
            case when n_20 = 20 then mean_20 end as bb_middle,
            case when n_20 = 20 then mean_20 - 2 * sd_20 end as bb_lower
        from windows
        where trading_date between :start and :end
    """
    frame = run_query(
        target,
        _grain(daily, start, end, _weekly_bars, FALLBACK_INDICATOR_COLUMNS, "trading_date"),
        symbol=symbol,
        warmup=start - timedelta(days=WARMUP_DAYS),
        start=start,
        end=end,
    )
    return _nonempty(frame, f"no {symbol} prices in {start}..{end}"), False


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def rolling_volatility(
    target: Target, symbol_list: tuple[str, ...], start: date, end: date
) -> tuple[pd.DataFrame, bool]:
    """Annualised rolling 63-day volatility of daily simple returns per symbol."""
    if has(target, "fct_rolling_risk"):
        mart = "fct_rolling_risk"
        day = pick(target, mart, "trading_date", "as_of_date", "date_day")
        vol = pick(
            target, mart, "volatility_63d", "rolling_volatility_63d", "annual_volatility_63d"
        )
        daily = f"""
            select symbol, {day} as trading_date, {vol} as volatility_63d
            from marts.{mart}
            where symbol in :symbols and {day} between :start and :end
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
        return _nonempty(frame, f"`marts.{mart}` has no rows for the selection"), True
    # FALLBACK until fct_rolling_risk lands: sample stddev of 63 daily returns x sqrt(252).
    require(target, "fct_prices_daily")
    daily = """
        with prices as (
            select symbol, trading_date, adj_close
            from marts.fct_prices_daily
            where symbol in :symbols and trading_date between :warmup and :end
        ),
        returns as (
            select symbol, trading_date,
                adj_close / lag(adj_close) over (partition by symbol order by trading_date) - 1
                    as return_1d
            from prices
        ),
        rolling as (
            select symbol, trading_date,
                count(return_1d) over last_63 as n_63,
                stddev_samp(return_1d) over last_63 as sd_63
            from returns
            window last_63 as (
                partition by symbol order by trading_date rows between 62 preceding and current row
            )
        )
        select symbol, trading_date, sd_63 * sqrt(252) as volatility_63d
        from rolling
        where trading_date between :start and :end and n_63 = 63
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
        warmup=start - timedelta(days=WARMUP_DAYS),
        start=start,
        end=end,
    )
    return _nonempty(frame, "not enough history for a 63-day volatility"), False


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def drawdowns(
    target: Target, symbol_list: tuple[str, ...], start: date, end: date
) -> tuple[pd.DataFrame, bool]:
    """Daily drawdown from the running peak (all history up to each day) per symbol."""
    if has(target, "fct_drawdowns"):
        mart = "fct_drawdowns"
        day = pick(target, mart, "trading_date", "date_day")
        depth = pick(target, mart, "drawdown", "drawdown_pct", "drawdown_ratio")
        daily = f"""
            select symbol, {day} as trading_date, {depth} as drawdown
            from marts.{mart}
            where symbol in :symbols and {day} between :start and :end
        """
        frame = run_query(
            target,
            _grain(
                daily,
                start,
                end,
                _week_ends,
                "symbol, trading_date, drawdown",
                "symbol, trading_date",
            ),
            symbols=list(symbol_list),
            start=start,
            end=end,
        )
        return _nonempty(frame, f"`marts.{mart}` has no rows for the selection"), True
    # FALLBACK until fct_drawdowns lands.
    require(target, "fct_prices_daily")
    daily = """
        with prices as (
            select symbol, trading_date, adj_close
            from marts.fct_prices_daily
            where symbol in :symbols and trading_date <= :end
        ),
        peaks as (
            select symbol, trading_date, adj_close,
                max(adj_close) over (
                    partition by symbol order by trading_date
                    rows between unbounded preceding and current row
                ) as running_peak
            from prices
        )
        select symbol, trading_date, adj_close / running_peak - 1 as drawdown
        from peaks
        where trading_date between :start and :end
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
    return _nonempty(frame, "no prices for the selection"), False


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
