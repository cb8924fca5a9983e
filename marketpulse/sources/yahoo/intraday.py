"""Yahoo 30-minute bars into raw_yahoo.prices_intraday, incrementally per symbol.

Yahoo keeps about 60 days of 30-minute bars, so the warehouse is the long-term store: every
run re-pulls only from the session of each symbol's last complete bar and merges on
(symbol, bar_start_at). The bar still forming is kept, flagged `is_complete = false`, and
replaced by the complete one on a later run. A bar that cannot be stored (a value that is not a
number, no start time) or an extra copy of a slot goes to raw_yahoo.prices_intraday_rejected
with its reason (docs/decisions/0025-duplicate-bars.md, 0026-type-stable-loads.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
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
    SCHEMA_CONTRACT,
    UTC_MICROS,
    arrow_schema,
    local_dates,
    nullable_floats,
    numbers,
    repeated,
    to_arrow,
    whole_numbers,
)
from marketpulse.ingest.origin import check_origin
from marketpulse.ingest.report import Progress, SourceReport
from marketpulse.retry import RetryPolicy, call_with_retry
from marketpulse.sources.yahoo import settings
from marketpulse.sources.yahoo.client import YahooClient
from marketpulse.sources.yahoo.duplicates import DUPLICATE_BAR, duplicate_copies
from marketpulse.sources.yahoo.quarantine import count_rejected
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
        # Two tables (the bars and their quarantine): every item carries its table's hints.
        dlt.resource(
            _bars(symbols, client, report, progress, start_date, retry, clock, should_stop),
            name=settings.INTRADAY_TABLE,
            write_disposition=MERGE,
            schema_contract=SCHEMA_CONTRACT,
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
    bars_hints = dlt.mark.make_hints(
        table_name=settings.INTRADAY_TABLE,
        write_disposition=MERGE,
        primary_key=INTRADAY_KEY,
        columns=settings.INTRADAY_HINTS,
    )
    rejected_hints = dlt.mark.make_hints(
        table_name=settings.INTRADAY_REJECTED_TABLE,
        write_disposition="append",
        columns=settings.INTRADAY_REJECTED_HINTS,
    )
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
            bars = _Bars.read(symbol, frame)
        except NoNetworkError:
            raise
        except SourceError as exc:
            progress("yahoo", symbol, f"FAILED: {report.fail(symbol, exc)}")
            continue
        origin, now = client.intraday_origin_of(symbol), clock()
        rows = bars.rows(symbol, frame, origin, now)
        if bars.reasons:
            rejected = bars.rejected(symbol, frame, origin, now)
            report.add_rows(settings.INTRADAY_REJECTED_TABLE, len(rejected))
            count_rejected(report, symbol, rejected["reason"], settings.INTRADAY_REJECTED_TABLE)
            yield dlt.mark.with_hints(
                to_arrow(rejected, (), settings.INTRADAY_REJECTED_HINTS),
                rejected_hints,
                create_table_variant=True,
            )
            if not rows.num_rows:
                empty = PayloadError(f"{symbol}: no valid 30-minute bars since {start}")
                progress("yahoo", symbol, f"FAILED: {report.fail(symbol, empty)}")
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
            yield dlt.mark.with_hints(
                pa.concat_tables(batch), bars_hints, create_table_variant=True
            )
            batch, batch_rows = [], 0
    if batch_rows:
        yield dlt.mark.with_hints(pa.concat_tables(batch), bars_hints, create_table_variant=True)


def intraday_rows(symbol: str, frame: pd.DataFrame, origin: str, now: datetime) -> pa.Table:
    """yfinance 30-minute history frame -> rows of raw_yahoo.prices_intraday (INTRADAY_SCHEMA).
    Every bar is kept but those rejected_intraday_rows takes (a value that is not a number, no
    start time, an extra copy of a slot); a bar whose 30 minutes have not all passed at `now`
    is flagged `is_complete = false`."""
    return _Bars.read(symbol, frame).rows(symbol, frame, origin, now)


def rejected_intraday_rows(
    symbol: str, frame: pd.DataFrame, origin: str, now: datetime
) -> pd.DataFrame:
    """The bars intraday_rows leaves out, each with its reason and every raw value as text:
    rows of raw_yahoo.prices_intraday_rejected. NaN is not a rejection (it lands as NULL)."""
    return _Bars.read(symbol, frame).rejected(symbol, frame, origin, now)


@dataclass(frozen=True)
class _Bars:
    """A 30-minute frame read once: float values, and the rows left out with their reason."""

    values: dict[str, np.ndarray]  # yfinance column -> float64, NaN where missing
    reasons: dict[int, str]  # row -> why it is left out; empty in the usual case

    @classmethod
    def read(cls, symbol: str, frame: pd.DataFrame) -> _Bars:
        missing = [column for column in settings.REQUIRED_HISTORY_COLUMNS if column not in frame]
        if missing:
            raise PayloadError(f"{symbol}: Yahoo intraday history lacks columns {missing}")
        index = frame.index
        if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
            raise PayloadError(f"{symbol}: Yahoo intraday history has no timezone-aware index")
        values = {
            column: numbers(frame[column])
            for column in settings.NUMERIC_HISTORY_COLUMNS
            if column in frame
        }
        unparseable = {
            column: frame[column].notna().to_numpy() & np.isnan(value)
            for column, value in values.items()
        }
        no_start = np.asarray(index.isna())
        bad = no_start.copy()
        for flags in unparseable.values():
            bad |= flags
        reasons: dict[int, str] = {}
        for row in np.flatnonzero(bad):
            columns = [column for column, flags in unparseable.items() if flags[row]]
            reasons[int(row)] = (
                "no bar start time" if no_start[row] else "not a number in " + ", ".join(columns)
            )
        good = np.flatnonzero(~bad)
        stamps = index.tz_convert("UTC").tz_localize(None).to_numpy()
        for row in good[duplicate_copies(stamps[good], values["Close"][good])]:
            reasons[int(row)] = DUPLICATE_BAR
        return cls(values, reasons)

    def rows(self, symbol: str, frame: pd.DataFrame, origin: str, now: datetime) -> pa.Table:
        index = frame.index
        keep = None
        if self.reasons:
            keep = np.ones(len(index), dtype=bool)
            keep[list(self.reasons)] = False
            index = index[keep]
        count = len(index)
        starts = index.tz_convert("UTC").tz_localize(None)
        bar_end = starts + timedelta(minutes=settings.INTRADAY_BAR_MINUTES)
        now_utc = pd.Timestamp(now).tz_convert("UTC").tz_localize(None)

        def column(source: str) -> np.ndarray:
            values = self.values.get(source)
            if values is None:
                values = np.full(len(frame), np.nan)
            return values if keep is None else values[keep]

        return pa.table(
            {
                "symbol": repeated(symbol, count, pa.string()),
                "bar_start_at": pa.array(
                    starts.to_numpy().astype("datetime64[us]"), type=UTC_MICROS
                ),
                "session_date": pa.array(local_dates(index), type=pa.date32()),
                **{
                    name: nullable_floats(column(source))
                    for source, name in settings.PRICE_COLUMNS.items()
                },
                "adj_close": nullable_floats(column("Adj Close")),
                "volume": whole_numbers(column("Volume")),
                "is_complete": pa.array(np.asarray(bar_end <= now_utc), type=pa.bool_()),
                "exchange_timezone": repeated(str(index.tz), count, pa.string()),
                "data_origin": repeated(origin, count, pa.string()),
                "_loaded_at": repeated(now, count, UTC_MICROS),
            },
            schema=INTRADAY_SCHEMA,
        )

    def rejected(
        self, symbol: str, frame: pd.DataFrame, origin: str, now: datetime
    ) -> pd.DataFrame:
        hits = sorted(self.reasons)
        raw = frame.iloc[hits]
        return pd.DataFrame(
            {
                "symbol": symbol,
                "bar_start_at": raw.index.tz_convert("UTC"),
                "reason": [self.reasons[row] for row in hits],
                "raw_values": [
                    json.dumps({str(k): None if pd.isna(v) else str(v) for k, v in record.items()})
                    for record in raw.to_dict(orient="records")
                ],
                "data_origin": origin,
                "_loaded_at": pd.Timestamp(now).tz_convert("UTC"),
            },
            index=range(len(hits)),
        )
