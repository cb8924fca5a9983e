"""FRED: observations (every vintage) and series metadata for a configured list of series.

Raw observations are vintages, keyed (series_id, observation_date, realtime_start): a revision
is a new row, never an overwrite (docs/decisions/0007-point-in-time-macro.md).

Per-series cursors with a lag: every run re-pulls the last `lag_days` of observation dates.
With an API key that re-pull returns every vintage of those dates, so revisions add rows and
the superseded vintage's `realtime_end` closes (merge on the natural key). Keyless, fredgraph.csv
only has the latest values: a value is stamped `realtime_start` = the UTC date this pipeline
first saw it, a true "known by" date; values already seen are not re-stamped (resource state
remembers the lag window's values), so a revision found keyless also adds a row.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dlt
import numpy as np
import pandas as pd
from dlt.sources import DltResource

from marketpulse.errors import NoNetworkError, PayloadError, SourceError
from marketpulse.ingest.circuit import CircuitBreaker, CircuitOpenError
from marketpulse.ingest.loading import (
    MERGE,
    SCHEMA_CONTRACT,
    resume_from,
    text_or_none,
    to_arrow,
)
from marketpulse.ingest.origin import check_origin
from marketpulse.ingest.report import Progress, SourceReport
from marketpulse.retry import RetryPolicy, call_with_retry
from marketpulse.sources.fred import settings
from marketpulse.sources.fred.client import UNREADABLE, VINTAGE_COLUMNS, FredClient

OBSERVATIONS_KEY = ("series_id", "observation_date", "realtime_start")
OPEN = date.fromisoformat(settings.REALTIME_OPEN)

OBSERVATION_HINTS = {
    "series_id": {"data_type": "text"},
    "observation_date": {"data_type": "date"},
    "realtime_start": {"data_type": "date"},
    "realtime_end": {"data_type": "date"},
    "is_first_seen_stamp": {"data_type": "bool"},
    "value": {"data_type": "double", "nullable": True},
    "data_origin": {"data_type": "text"},
    "_loaded_at": {"data_type": "timestamp", "timezone": True},
}
# Vintages that cannot be keyed (no observation date): kept with every raw value as text.
REJECTED_TABLE = "observations_rejected"
REJECTED_HINTS = {
    "series_id": {"data_type": "text"},
    "reason": {"data_type": "text"},
    "raw_values": {"data_type": "text"},
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
    seen_on: date | None = None,
) -> list[DltResource]:
    """`seen_on` (default: today, UTC) stamps values whose vintage the client cannot tell."""
    retry = retry or RetryPolicy()
    breaker = CircuitBreaker("fred")
    observations = dlt.resource(
        _observations(
            series_ids, client, report, progress, start_date, lag_days, retry, seen_on, breaker
        ),
        name=settings.OBSERVATIONS_TABLE,
        write_disposition=MERGE,
        schema_contract=SCHEMA_CONTRACT,
    )
    series = dlt.resource(
        _series(series_ids, client, report, retry, breaker),
        name=settings.SERIES_TABLE,
        write_disposition=MERGE,
        schema_contract=SCHEMA_CONTRACT,
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
    seen_on: date | None,
    breaker: CircuitBreaker,
) -> Iterator[pd.DataFrame]:
    state = dlt.current.resource_state()
    check_origin(state, "FRED", client.origin)
    cursors: dict[str, str] = state.setdefault("cursors", {})
    seen: dict[str, dict[str, float | None]] = state.setdefault("seen", {})
    loaded_at = datetime.now(UTC)
    seen_on = seen_on or loaded_at.date()
    # Two tables (the vintages and their quarantine): every item carries its table's hints.
    observation_hints = dlt.mark.make_hints(
        table_name=settings.OBSERVATIONS_TABLE,
        write_disposition=MERGE,
        primary_key=OBSERVATIONS_KEY,
        columns=OBSERVATION_HINTS,
    )
    rejected_hints = dlt.mark.make_hints(
        table_name=REJECTED_TABLE, write_disposition="append", columns=REJECTED_HINTS
    )
    for series_id in series_ids:
        cursor = cursors.get(series_id)
        start = resume_from(cursor, start_date, lag_days)
        try:
            breaker.check(series_id)
            try:
                vintages = call_with_retry(
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
        report.loaded.append(series_id)
        vintages, rejected = split_rejected(
            series_id, vintages, client.origin_of(series_id), loaded_at
        )
        if len(rejected):
            report.add_rows(REJECTED_TABLE, len(rejected))
            for code, count in rejected["code"].value_counts(sort=False).items():
                report.quarantine(REJECTED_TABLE, str(code), int(count))
            report.notes.append(
                f"{series_id}: {len(rejected)} value(s) quarantined into"
                f" raw_fred.{REJECTED_TABLE} ({rejected['reason'].iloc[0]})"
            )
            yield dlt.mark.with_hints(
                to_arrow(rejected.drop(columns="code"), (), REJECTED_HINTS),
                rejected_hints,
                create_table_variant=True,
            )
        if vintages.empty:
            progress("fred", series_id, f"no observations since {start}")
            continue
        last = vintages["observation_date"].max()
        rows = observation_rows(
            series_id, vintages, client.origin_of(series_id), loaded_at, seen_on, seen
        )
        # Keyless: remember the values of the next run's window, to stamp only new values.
        window_start = (last - timedelta(days=lag_days)).isoformat()
        seen[series_id] = {
            day.isoformat(): (None if pd.isna(value) else float(value))
            for day, value, stamped in zip(
                vintages["observation_date"],
                vintages["value"],
                vintages["realtime_start"].isna(),
                strict=True,
            )
            if stamped and day.isoformat() >= window_start
        }
        cursors[series_id] = last.isoformat()
        report.add_rows(settings.OBSERVATIONS_TABLE, len(rows))
        first = vintages["observation_date"].min()
        missing = int(vintages["value"].isna().sum())
        progress(
            "fred",
            series_id,
            f"{len(vintages):>6,} vintages {first}..{last}, {missing} missing,"
            f" {len(rows):,} rows new or changed",
        )
        if not rows.empty:
            yield dlt.mark.with_hints(
                to_arrow(rows, OBSERVATIONS_KEY, OBSERVATION_HINTS),
                observation_hints,
                create_table_variant=True,
            )


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
        try:
            row = series_row(series_id, info, client.origin_of(series_id), loaded_at)
        except PayloadError as exc:
            report.fail(series_id, exc, "metadata: ", secondary=True)
            continue
        report.add_rows(settings.SERIES_TABLE, 1)
        yield row


def observation_rows(
    series_id: str,
    vintages: pd.DataFrame,
    origin: str,
    loaded_at: datetime,
    seen_on: date,
    seen: dict[str, dict[str, float | None]] | None = None,
) -> pd.DataFrame:
    """Vintages -> rows of raw_fred.observations. Missing values ('.') stay, as NULL.

    Rows without a real-time period (keyless: latest values only) are stamped
    realtime_start = `seen_on`, realtime_end open, is_first_seen_stamp = true, unless
    `seen[series_id]` shows the same value was already recorded on an earlier run."""
    frame = vintages.loc[:, list(VINTAGE_COLUMNS)].copy()
    if "data_origin" in vintages:
        frame["data_origin"] = vintages["data_origin"].fillna(origin)
    else:
        frame["data_origin"] = origin
    stamped = frame["realtime_start"].isna()
    if stamped.any():
        known = (seen or {}).get(series_id, {})
        unchanged = pd.Series(
            [
                stamp and day.isoformat() in known and _same(known[day.isoformat()], value)
                for day, value, stamp in zip(
                    frame["observation_date"], frame["value"], stamped, strict=True
                )
            ],
            index=frame.index,
            dtype=bool,
        )
        frame = frame[~unchanged]
        stamped = stamped[~unchanged]
        frame.loc[stamped, "realtime_start"] = seen_on
        frame.loc[stamped, "realtime_end"] = OPEN
    frame = frame.drop_duplicates(["observation_date", "realtime_start"], keep="last")
    frame.insert(0, "series_id", series_id)
    frame["is_first_seen_stamp"] = stamped.to_numpy(dtype=bool)
    frame["_loaded_at"] = loaded_at
    return frame.sort_values(["observation_date", "realtime_start"]).reset_index(drop=True)


def split_rejected(
    series_id: str, vintages: pd.DataFrame, origin: str, loaded_at: datetime
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Vintages that can be stored, and rows of raw_fred.observations_rejected for those that
    cannot (no observation date; a value that is not a number), with every raw value as text
    and an audit `code`."""
    undated = vintages["observation_date"].isna().to_numpy()
    unreadable = (
        vintages[UNREADABLE].notna().to_numpy() & ~undated
        if UNREADABLE in vintages
        else np.zeros(len(vintages), dtype=bool)
    )
    hits = undated | unreadable
    kept = vintages[~hits].drop(columns=[UNREADABLE], errors="ignore").reset_index(drop=True)
    bad = vintages[hits]
    reasons = [
        "no observation date" if no_date else f"not a number: {raw!r}"
        for no_date, raw in zip(
            undated[hits],
            bad[UNREADABLE] if UNREADABLE in bad else [None] * len(bad),
            strict=True,
        )
    ]
    records = bad.drop(columns=[UNREADABLE], errors="ignore").to_dict(orient="records")
    for record, raw in zip(
        records, bad[UNREADABLE] if UNREADABLE in bad else [None] * len(bad), strict=True
    ):
        if raw is not None and not _missing(raw):
            record["value"] = raw  # the text FRED sent, not the NaN it was read as
    rejected = pd.DataFrame(
        {
            "series_id": series_id,
            "reason": reasons,
            "raw_values": [
                json.dumps({str(k): None if _missing(v) else str(v) for k, v in record.items()})
                for record in records
            ],
            "data_origin": origin,
            "_loaded_at": loaded_at,
            "code": [
                "no_observation_date" if no_date else "not_a_number" for no_date in undated[hits]
            ],
        },
        index=range(len(bad)),
    )
    return kept, rejected


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value))


def _same(recorded: float | None, value: float) -> bool:
    if recorded is None or pd.isna(value):
        return recorded is None and pd.isna(value)
    return recorded == float(value)


def series_row(
    series_id: str, info: dict[str, Any], origin: str, loaded_at: datetime
) -> dict[str, Any]:
    """FRED `series` metadata -> one row of raw_fred.series."""
    return {
        "series_id": series_id,
        **{field: text_or_none(info.get(field)) for field in settings.SERIES_FIELDS},
        "last_updated_at": _timestamp(text_or_none(info.get("last_updated"))),
        "observation_start": _date(text_or_none(info.get("observation_start"))),
        "observation_end": _date(text_or_none(info.get("observation_end"))),
        "data_origin": origin,
        "_loaded_at": loaded_at,
    }


def _timestamp(value: str | None) -> datetime | None:
    """FRED writes `2019-01-11 07:51:04-06`; store it in UTC."""
    if not value:
        return None
    try:
        stamp = pd.Timestamp(value)
    except ValueError as exc:
        raise PayloadError(f"FRED last_updated {value!r} is not a timestamp") from exc
    if pd.isna(stamp):
        return None
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.tz_convert("UTC").to_pydatetime()


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise PayloadError(f"FRED date {value!r} is not YYYY-MM-DD") from exc
