"""Which alert conditions hold: from a run's reports, a build's exit code, the warehouse."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import pandas as pd

from marketpulse.build.results import NodeFailure
from marketpulse.ingest.report import SourceReport
from marketpulse.ops.alerts import Alert
from marketpulse.warehouse import Warehouse

# The raw table whose newest live row says when each source last delivered data: every source
# `make ingest` loads.
FRESHNESS_TABLES = {
    "yahoo": "raw_yahoo.prices_daily",
    "fred": "raw_fred.observations",
    "trends": "raw_trends.interest_over_time",
    "news": "raw_news.headlines",
}
QUALITY_SQL = (
    "select entity_type, entity_id, quality_score, quality_grade, as_of_date"
    " from marts.fct_data_quality where window_name = '30d'"
    " and as_of_date = (select max(as_of_date) from marts.fct_data_quality"
    " where window_name = '30d')"
    " order by quality_score, entity_type, entity_id"
)


@lru_cache(maxsize=1)
def _xnys() -> Any:
    import exchange_calendars

    return exchange_calendars.get_calendar("XNYS")


def market_time_between(start: datetime, end: datetime) -> timedelta:
    """NYSE regular-session time between two instants (holidays and early closes honoured)."""
    if end <= start:
        return timedelta(0)
    calendar = _xnys()
    first = pd.Timestamp(start.astimezone(UTC).date()) - pd.Timedelta(days=1)
    last = pd.Timestamp(end.astimezone(UTC).date())
    first = max(first, calendar.first_session)
    last = min(last, calendar.last_session)
    total = timedelta(0)
    for session in calendar.sessions_in_range(first, last):
        opens = calendar.session_open(session).to_pydatetime()
        closes = calendar.session_close(session).to_pydatetime()
        overlap = min(closes, end) - max(opens, start)
        if overlap > timedelta(0):
            total += overlap
    return total


def from_reports(reports: Iterable[SourceReport]) -> list[Alert]:
    """A source that failed as a whole, or lost symbols/series: the title names the source
    and the items (a refusal is not a failure: the run's own exit code and line say it,
    ADR 0003)."""
    alerts = []
    for report in reports:
        if report.fatal:
            alerts.append(
                Alert(
                    f"source_failed:{report.source}",
                    f"{report.source} failed: {_first(report.fatal)}",
                    report.fatal,
                )
            )
        elif report.failed:
            items = sorted(report.failed.items())
            details = "\n".join(f"{item}: {reason}" for item, reason in items[:20])
            more = f"\n... and {len(items) - 20} more" if len(items) > 20 else ""
            alerts.append(
                Alert(
                    f"source_failed:{report.source}",
                    f"{report.source}: {len(items)} item(s) failed: "
                    + _listed([item for item, _ in items]),
                    details + more,
                )
            )
    return alerts


def _listed(names: list[str], shown: int = 5) -> str:
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


def _first(text: str, width: int = 120) -> str:
    line = text.strip().splitlines()[0] if text.strip() else text
    return line if len(line) <= width else line[: width - 3] + "..."


def build_failed(
    command: str, exit_code: int, failed: list[NodeFailure] | None = None
) -> list[Alert]:
    """A failed dbt build, naming the tests and models that failed (from run_results.json)."""
    if exit_code == 0:
        return []
    if not failed:
        return [
            Alert(
                "build_failed",
                f"dbt {command} failed (exit code {exit_code})",
                "dbt stopped before running the models (see its output): "
                "a project, profile or connection error.",
            )
        ]
    details = "\n".join(failure.line() for failure in failed[:20])
    more = f"\n... and {len(failed) - 20} more" if len(failed) > 20 else ""
    return [
        Alert(
            "build_failed",
            f"dbt {command} failed: " + _listed([failure.label() for failure in failed], 3),
            details + more,
        )
    ]


def warehouse_unreachable(message: str) -> list[Alert]:
    return [Alert("warehouse_unreachable", "the warehouse is unreachable", message)]


def _query(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]] | None:
    """Rows, or None when the table does not exist (yet)."""
    try:
        with closing(warehouse.connect(read_only=True)) as connection:
            cursor = connection.cursor()
            cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()]
    except Exception as exc:  # duckdb CatalogException / psycopg2 UndefinedTable
        if "does not exist" in str(exc) or "not found" in str(exc).lower():
            return None
        raise


def quality_rows(warehouse: Warehouse) -> list[tuple[Any, ...]] | None:
    """The latest 30-day quality rows, worst first; None when fct_data_quality is missing."""
    return _query(warehouse, QUALITY_SQL)


def low_quality(rows: list[tuple[Any, ...]] | None, threshold: float) -> list[Alert]:
    alerts = []
    for entity_type, entity_id, score, grade, as_of in rows or []:
        if score is not None and float(score) < threshold:
            alerts.append(
                Alert(
                    f"quality:{entity_type}:{entity_id}",
                    f"data quality of {entity_type} {entity_id} is {float(score):.2f} ({grade})",
                    f"30-day quality score {float(score):.3f} < {threshold} as of {as_of}; "
                    "see marts.fct_data_quality.",
                )
            )
    return alerts


def last_live_loads(warehouse: Warehouse) -> dict[str, datetime | None]:
    """Newest `_loaded_at` of live rows per source (None: no live data, or no table)."""
    loads: dict[str, datetime | None] = {}
    for source, table in FRESHNESS_TABLES.items():
        rows = _query(
            warehouse, f"select max(_loaded_at) from {table} where data_origin = 'live'"
        )  # table names from the constant above
        value = rows[0][0] if rows else None
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        loads[source] = value
    return loads


def stale(loads: dict[str, datetime | None], now: datetime, market_hours: float) -> list[Alert]:
    """Live data not refreshed for more than `market_hours` of NYSE session time."""
    alerts = []
    limit = timedelta(hours=market_hours)
    for source, loaded_at in loads.items():
        if loaded_at is None:
            continue
        elapsed = market_time_between(loaded_at, now)
        if elapsed > limit:
            alerts.append(
                Alert(
                    f"stale:{source}",
                    f"{source} data missing for {elapsed.total_seconds() / 3600:.1f} market hours",
                    f"last live load {loaded_at:%Y-%m-%d %H:%M} UTC; more than {market_hours:g} "
                    "hours of NYSE trading since. Run `make ingest`.",
                )
            )
    return alerts
