"""Yahoo 30-minute bars into raw_yahoo.prices_intraday, incrementally per symbol.

Yahoo keeps about 60 days of 30-minute bars, so the warehouse is the long-term store: every
run re-pulls only from the session of each symbol's last complete bar and merges on
(symbol, bar_start_at). The bar still forming is kept, flagged `is_complete = false`, and
replaced by the complete one on a later run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dlt
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from dlt.sources import DltResource

from marketpulse.errors import NoNetworkError, PayloadError, SourceError
from marketpulse.ingest.loading import (
    MERGE,
    UTC_MICROS,
    arrow_schema,
    local_dates,
    nullable_floats,
    numbers,
    repeated,
    whole_numbers,
)
from marketpulse.ingest.origin import check_origin
from marketpulse.ingest.report import Progress, SourceReport
from marketpulse.retry import RetryPolicy, call_with_retry
from marketpulse.sources.yahoo import settings
from marketpulse.sources.yahoo.client import YahooClient
from marketpulse.sources.yahoo.timezone import exchange_timezone, localised

INTRADAY_KEY = ("symbol", "bar_start_at")
INTRADAY_SCHEMA = arrow_schema(settings.INTRADAY_HINTS, INTRADAY_KEY)
# Symbols' bars go to dlt in batches of about this many rows, not one small table per symbol
# (dlt's cost per item dominated a 500-symbol micro-batch: issue 16, target 3).
BATCH_ROWS = 50_000
STOPPED_WHILE_FETCHING = "stop requested while fetching intraday bars"
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def yahoo_intraday_source(
    symbols: Sequence[str],
    client: YahooClient,
    report: SourceReport,
    progress: Progress,
    start_date: date = settings.DEFAULT_START_DATE,
    retry: RetryPolicy | None = None,
    clock: Clock = utc_now,
    should_stop: Callable[[], bool] = lambda: False,
) -> list[DltResource]:
    """The intraday resource for one run. `should_stop` aborts the extraction between symbols
    (watch mode's Ctrl-C): the resource raises, so nothing of this run is loaded."""
    retry = retry or RetryPolicy()
    return [
        dlt.resource(
            _bars(symbols, client, report, progress, start_date, retry, clock, should_stop),
            name=settings.INTRADAY_TABLE,
            write_disposition=MERGE,
            primary_key=INTRADAY_KEY,
            columns=settings.INTRADAY_HINTS,
        )
    ]


class ExtractionStopped(Exception):
    """A stop was requested while fetching: the run is abandoned before anything is written."""


def _bars(
    symbols: Sequence[str],
    client: YahooClient,
    report: SourceReport,
    progress: Progress,
    start_date: date,
    retry: RetryPolicy,
    clock: Clock,
    should_stop: Callable[[], bool],
) -> Iterator[Any]:
    state = dlt.current.resource_state()
    check_origin(state, "Yahoo intraday", client.origin)
    cursors: dict[str, str] = state.setdefault("cursors", {})
    batch: list[pa.Table] = []
    batch_rows = 0
    for symbol in symbols:
        if should_stop():
            raise ExtractionStopped(STOPPED_WHILE_FETCHING)
        start = date.fromisoformat(cursors[symbol]) if symbol in cursors else start_date
        try:
            frame = call_with_retry(
                lambda s=symbol, d=start: client.intraday(s, d), retry, what=f"yahoo {symbol}"
            )
            frame = localised(frame, symbol, lambda s=symbol: exchange_timezone(client, s))
            rows = intraday_rows(symbol, frame, client.intraday_origin_of(symbol), clock())
        except NoNetworkError:
            raise
        except SourceError as exc:
            progress("yahoo", symbol, f"FAILED: {report.fail(symbol, exc)}")
            continue
        report.add_rows(settings.INTRADAY_TABLE, rows.num_rows)
        report.loaded.append(symbol)
        complete = rows.filter(rows["is_complete"])
        if complete.num_rows:
            cursors[symbol] = pc.max(complete["session_date"]).as_py().isoformat()
        if rows.num_rows:
            first, last = (stamp.as_py() for stamp in pc.min_max(rows["bar_start_at"]).values())
            span = f"{first:%Y-%m-%d %H:%M}..{last:%Y-%m-%d %H:%M} UTC"
        else:
            span = "none"
        progress(
            "yahoo",
            symbol,
            f"{rows.num_rows:>6,} 30m bars {span}, {rows.num_rows - complete.num_rows} forming",
        )
        batch.append(rows)
        batch_rows += rows.num_rows
        if batch_rows >= BATCH_ROWS:
            yield pa.concat_tables(batch)
            batch, batch_rows = [], 0
    if batch_rows:
        yield pa.concat_tables(batch)


def intraday_rows(symbol: str, frame: pd.DataFrame, origin: str, now: datetime) -> pa.Table:
    """yfinance 30-minute history frame -> rows of raw_yahoo.prices_intraday (INTRADAY_SCHEMA).
    Every bar is kept; a bar whose 30 minutes have not all passed at `now` is flagged
    `is_complete = false`."""
    missing = [column for column in settings.REQUIRED_HISTORY_COLUMNS if column not in frame]
    if missing:
        raise PayloadError(f"{symbol}: Yahoo intraday history lacks columns {missing}")
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise PayloadError(f"{symbol}: Yahoo intraday history has no timezone-aware index")
    # Yahoo occasionally repeats the forming bar; keep the latest of each slot.
    repeated_slot = index.duplicated(keep="last")
    if repeated_slot.any():
        frame = frame[~repeated_slot]
        index = frame.index
    count = len(index)
    starts = index.tz_convert("UTC").tz_localize(None)
    bar_end = starts + timedelta(minutes=settings.INTRADAY_BAR_MINUTES)
    now_utc = pd.Timestamp(now).tz_convert("UTC").tz_localize(None)

    def column(source: str) -> pa.Array:
        return nullable_floats(numbers(frame[source]))

    return pa.table(
        {
            "symbol": repeated(symbol, count, pa.string()),
            "bar_start_at": pa.array(starts.to_numpy().astype("datetime64[us]"), type=UTC_MICROS),
            "session_date": pa.array(local_dates(index), type=pa.date32()),
            **{name: column(source) for source, name in settings.PRICE_COLUMNS.items()},
            "adj_close": column("Adj Close")
            if "Adj Close" in frame
            else pa.nulls(count, pa.float64()),
            "volume": whole_numbers(frame["Volume"]),
            "is_complete": pa.array(np.asarray(bar_end <= now_utc), type=pa.bool_()),
            "exchange_timezone": repeated(str(index.tz), count, pa.string()),
            "data_origin": repeated(origin, count, pa.string()),
            "_loaded_at": repeated(now, count, UTC_MICROS),
        },
        schema=INTRADAY_SCHEMA,
    )
