"""The dashboard's way into the warehouse: connections, caching, and what the marts hold.

The queries themselves live in `marketpulse/dashboard/queries/<view>.py`, one module per view;
each aggregates in SQL on schema `marts` only, filters by symbol and date range with bound
`:name` parameters, and is cached (`st.cache_data`, TTL = the refresh interval). Sessions are
read-only, one per page render (`render_session`); while a writer (ingest or dbt) holds a
DuckDB file the session waits for it (the warehouse adapter's lock policy).

A mart or column that is not in the warehouse raises `NoData`, which the views show as a
"no data yet: run ..." notice instead of an error. Every figure comes from the mart that owns
it; SQL that is really a model (weekly bars) is a dbt model (fct_prices_weekly).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from marketpulse.warehouse import Session, Warehouse

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


@contextmanager
def _session() -> Iterator[Session]:
    """The render's read-only session if one is open, else one of its own."""
    stack = getattr(_render, "stack", None)
    if stack is None:
        with Warehouse.from_env().session(read_only=True) as session:
            yield session
        return
    if _render.session is None:
        _render.session = stack.enter_context(Warehouse.from_env().session(read_only=True))
    yield _render.session


def run_query(target: Target, sql: str, **params: Any) -> pd.DataFrame:
    """Run one query with bound `:name` parameters on a read-only session (the render's, if
    one is open); while a writer holds a DuckDB file the session waits for it."""
    with _session() as session:
        return session.query(sql, params)


# ---------------------------------------------------------------------------------------------
# What is in the warehouse
# ---------------------------------------------------------------------------------------------


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def catalog(target: Target) -> dict[str, frozenset[str]]:
    """Every mart and its columns; an unreachable or empty warehouse gives an empty dict."""
    try:
        with _session() as session:
            found = session.columns([SCHEMA])  # the warehouse's catalog
    except Exception as exc:
        if not Warehouse.from_env().exists():
            return {}
        raise WarehouseError(f"cannot read {target.location}: {exc}") from exc
    return {str(table): frozenset(map(str, columns)) for (_, table), columns in found.items()}


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


def nonempty(frame: pd.DataFrame, what: str, hint: str = "make build") -> pd.DataFrame:
    if frame.empty:
        raise NoData(what, hint)
    return frame


class OutOfRange(NoData):
    """The data is loaded, only not in the chosen range: say which range it covers."""

    def __init__(self, what: str, start: date, end: date, first: date, last: date) -> None:
        when = f"on {start}" if start == end else f"in {start}..{end}"
        Exception.__init__(
            self, f"Nothing {when}: {what} covers {first}..{last}. Pick a range inside it."
        )
        self.what = what
        self.hint = ""


def in_range(
    frame: pd.DataFrame,
    target: Target,
    what: str,
    extent: str,
    start: date,
    end: date,
    hint: str = "make build",
    **params: Any,
) -> pd.DataFrame:
    """`frame` unless it is empty. Then tell apart nothing loaded (NoData, with the command
    that loads it) from data outside the range (OutOfRange, with the range that exists):
    `extent` selects the min and max date (or UTC instant) of what the query would have read,
    unfiltered by the range, as `first` and `last`."""
    if not frame.empty:
        return frame
    first, last = run_query(target, extent, **params).iloc[0][["first", "last"]]
    if first is None or pd.isna(first):
        raise NoData(f"{what} is empty", hint)
    raise OutOfRange(what, start, end, _utc_day(first), _utc_day(last))


def _utc_day(value: Any) -> date:
    stamp = pd.Timestamp(value)
    return (stamp.tz_convert(UTC) if stamp.tzinfo is not None else stamp).date()


WEEKLY_AFTER_DAYS = 550  # longer ranges are drawn from weekly points, aggregated in SQL


def weekly_grain(start: date, end: date) -> bool:
    """Over ~18 months a daily chart has more points than pixels: draw weekly bars instead."""
    return (end - start).days > WEEKLY_AFTER_DAYS


def week_ends(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """One series' rows (sorted by the date `column`) on the last row of each week: a long
    range drawn from weekly points, as the SQL grain of weekly_grain does for the marts."""
    weeks = pd.to_datetime(frame[column]).dt.to_period("W")
    return frame[~weeks.duplicated(keep="last")]


def as_tuple(values: Sequence[str]) -> tuple[str, ...]:
    """Cache keys must be hashable and order-stable."""
    return tuple(dict.fromkeys(values))
