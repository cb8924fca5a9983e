"""FRED: observations and series metadata for a configured list of series.

Per-series cursors with a lag: every run re-pulls the last `lag_days` of each series, so
revisions to recent observations replace what was loaded (merge on the natural key).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import dlt
import pandas as pd
from dlt.sources import DltResource

from ingest.circuit import CircuitBreaker, CircuitOpenError
from ingest.errors import NoNetworkError, SourceError
from ingest.fred import settings
from ingest.fred.client import FredClient
from ingest.loading import MERGE, resume_from, to_arrow
from ingest.origin import check_origin
from ingest.report import Progress, SourceReport
from ingest.retry import RetryPolicy, call_with_retry

OBSERVATIONS_KEY = ("series_id", "observation_date")

OBSERVATION_HINTS = {
    "series_id": {"data_type": "text"},
    "observation_date": {"data_type": "date"},
    "value": {"data_type": "double", "nullable": True},
    "data_origin": {"data_type": "text"},
    "_loaded_at": {"data_type": "timestamp", "timezone": True},
}
REJECTED_TABLE = "observations_rejected"
REJECTED_HINTS = {
    "series_id": {"data_type": "text"},
    "observation_date": {"data_type": "date", "nullable": True},
    "reason": {"data_type": "text"},
    "raw_value": {"data_type": "text"},
    "data_origin": {"data_type": "text"},
    "_loaded_at": {"data_type": "timestamp", "timezone": True},
}
SERIES_HINTS = {
    "series_id": {"data_type": "text"},
    **{field: {"data_type": "text"} for field in settings.SERIES_FIELDS},
    "last_updated_at": {"data_type": "timestamp", "timezone": True, "nullable": True},
    "observation_start": {"data_type": "date", "nullable": True},
    "observation_end": {"data_type": "date", "nullable": True},
    "data_origin": {"data_type": "text"},
    "_loaded_at": {"data_type": "timestamp", "timezone": True},
}


def fred_source(
    series_ids: Sequence[str],
    client: FredClient,
    report: SourceReport,
    progress: Progress,
    start_date: date = settings.DEFAULT_START_DATE,
    lag_days: int = settings.DEFAULT_LAG_DAYS,
    retry: RetryPolicy | None = None,
) -> list[DltResource]:
    retry = retry or RetryPolicy()
    breaker = CircuitBreaker("fred")
    observations = dlt.resource(
        _observations(series_ids, client, report, progress, start_date, lag_days, retry, breaker),
        name=settings.OBSERVATIONS_TABLE,
        write_disposition=MERGE,
        primary_key=OBSERVATIONS_KEY,
        columns=OBSERVATION_HINTS,
    )
    series = dlt.resource(
        _series(series_ids, client, report, retry, breaker),
        name=settings.SERIES_TABLE,
        write_disposition=MERGE,
        primary_key="series_id",
        columns=SERIES_HINTS,
    )
    return [observations, series]


def _observations(
    series_ids: Sequence[str],
    client: FredClient,
    report: SourceReport,
    progress: Progress,
    start_date: date,
    lag_days: int,
    retry: RetryPolicy,
    breaker: CircuitBreaker,
) -> Iterator[Any]:
    state = dlt.current.resource_state()
    check_origin(state, "FRED", client.origin)
    cursors: dict[str, str] = state.setdefault("cursors", {})
    loaded_at = datetime.now(UTC)
    rejected_hints = dlt.mark.make_hints(
        table_name=REJECTED_TABLE, write_disposition="append", columns=REJECTED_HINTS
    )
    for series_id in series_ids:
        cursor = cursors.get(series_id)
        start = resume_from(cursor, start_date, lag_days)
        try:
            breaker.check(series_id)
            try:
                series = call_with_retry(
                    lambda s=series_id, d=start: client.observations(s, d),
                    retry,
                    what=f"fred {series_id}",
                )
            except SourceError as exc:
                breaker.record(exc)
                raise
            breaker.record(None)
        except NoNetworkError:
            raise
        except SourceError as exc:
            progress("fred", series_id, f"FAILED: {report.fail(series_id, exc)}")
            continue
        origin = client.origin_of(series_id)
        rejected = rejected_observation_rows(series_id, series, origin, loaded_at)
        if len(rejected):
            report.add_rows(REJECTED_TABLE, len(rejected))
            report.notes.append(
                f"{series_id}: {len(rejected)} observation(s) rejected into "
                f"raw_fred.{REJECTED_TABLE} (not a number)"
            )
            yield dlt.mark.with_hints(
                to_arrow(rejected, ()), rejected_hints, create_table_variant=True
            )
        rows = observation_rows(series_id, series, origin, loaded_at)
        report.add_rows(settings.OBSERVATIONS_TABLE, len(rows))
        report.loaded.append(series_id)
        if rows.empty:
            progress("fred", series_id, f"no observations since {start}")
            continue
        first, last = rows["observation_date"].min(), rows["observation_date"].max()
        missing = int(rows["value"].isna().sum())
        progress("fred", series_id, f"{len(rows):>6,} obs {first}..{last}, {missing} missing")
        cursors[series_id] = last.isoformat()
        yield to_arrow(rows, OBSERVATIONS_KEY)


def _series(
    series_ids: Sequence[str],
    client: FredClient,
    report: SourceReport,
    retry: RetryPolicy,
    breaker: CircuitBreaker,
) -> Iterator[dict[str, Any]]:
    loaded_at = datetime.now(UTC)
    for series_id in series_ids:
        try:
            breaker.check(series_id)
            info = call_with_retry(
                lambda s=series_id: client.series_info(s), retry, what=f"fred {series_id}"
            )
            breaker.record(None)
        except NoNetworkError:
            raise
        except CircuitOpenError as exc:
            report.fail(series_id, exc, "metadata: ", secondary=True)
            continue
        except SourceError as exc:
            breaker.record(exc)
            report.fail(series_id, exc, "metadata: ", secondary=True)
            continue
        report.add_rows(settings.SERIES_TABLE, 1)
        yield series_row(series_id, info, client.origin_of(series_id), loaded_at)


def observation_rows(
    series_id: str, series: pd.Series, origin: str, loaded_at: datetime
) -> pd.DataFrame:
    """Observations -> rows of raw_fred.observations. Missing values ('.') stay, as NULL;
    values that are not numbers go to rejected_observation_rows instead."""
    series = series[~series.index.duplicated(keep="last")].sort_index()
    series = series[~_garbled(series)]
    return pd.DataFrame(
        {
            "series_id": series_id,
            "observation_date": pd.DatetimeIndex(series.index).date,
            "value": series.to_numpy(dtype="float64"),
            "data_origin": origin,
            "_loaded_at": loaded_at,
        }
    )


def _garbled(series: pd.Series) -> pd.Series:
    return series.notna() & pd.to_numeric(series, errors="coerce").isna()


def rejected_observation_rows(
    series_id: str, series: pd.Series, origin: str, loaded_at: datetime
) -> pd.DataFrame:
    """Observations whose value is not a number: kept as text, with the reason."""
    series = series[~series.index.duplicated(keep="last")].sort_index()
    bad = series[_garbled(series)]
    return pd.DataFrame(
        {
            "series_id": series_id,
            "observation_date": pd.DatetimeIndex(bad.index).date,
            "reason": "not a number",
            "raw_value": bad.astype(str).to_numpy(dtype=object),
            "data_origin": origin,
            "_loaded_at": loaded_at,
        },
        columns=list(REJECTED_HINTS),
    )


def series_row(
    series_id: str, info: dict[str, Any], origin: str, loaded_at: datetime
) -> dict[str, Any]:
    """FRED `series` metadata -> one row of raw_fred.series."""
    return {
        "series_id": series_id,
        **{field: info.get(field) for field in settings.SERIES_FIELDS},
        "last_updated_at": _timestamp(info.get("last_updated")),
        "observation_start": _date(info.get("observation_start")),
        "observation_end": _date(info.get("observation_end")),
        "data_origin": origin,
        "_loaded_at": loaded_at,
    }


def _timestamp(value: str | None) -> datetime | None:
    """FRED writes `2019-01-11 07:51:04-06`; store it in UTC."""
    if not value:
        return None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.tz_convert("UTC").to_pydatetime()


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
