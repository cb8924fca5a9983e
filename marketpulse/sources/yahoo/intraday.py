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
from dlt.sources import DltResource

from marketpulse.errors import NoNetworkError, PayloadError, SourceError
from marketpulse.ingest.loading import MERGE, to_arrow
from marketpulse.ingest.origin import check_origin
from marketpulse.ingest.report import Progress, SourceReport
from marketpulse.retry import RetryPolicy, call_with_retry
from marketpulse.sources.yahoo import settings
from marketpulse.sources.yahoo.client import YahooClient
from marketpulse.sources.yahoo.timezone import exchange_timezone, localised

INTRADAY_KEY = ("symbol", "bar_start_at")
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
        report.add_rows(settings.INTRADAY_TABLE, len(rows))
        report.loaded.append(symbol)
        complete = rows[rows["is_complete"]]
        if len(complete):
            cursors[symbol] = complete["session_date"].max().isoformat()
        progress(
            "yahoo",
            symbol,
            f"{len(rows):>6,} 30m bars {rows['bar_start_at'].min():%Y-%m-%d %H:%M}.."
            f"{rows['bar_start_at'].max():%Y-%m-%d %H:%M} UTC, {len(rows) - len(complete)} forming",
        )
        yield to_arrow(rows, INTRADAY_KEY)


def intraday_rows(symbol: str, frame: pd.DataFrame, origin: str, now: datetime) -> pd.DataFrame:
    """yfinance 30-minute history frame -> rows of raw_yahoo.prices_intraday. Every bar is kept;
    a bar whose 30 minutes have not all passed at `now` is flagged `is_complete = false`."""
    missing = [column for column in settings.REQUIRED_HISTORY_COLUMNS if column not in frame]
    if missing:
        raise PayloadError(f"{symbol}: Yahoo intraday history lacks columns {missing}")
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise PayloadError(f"{symbol}: Yahoo intraday history has no timezone-aware index")
    bar_end = index + timedelta(minutes=settings.INTRADAY_BAR_MINUTES)

    def number(column: str) -> Any:
        return pd.to_numeric(frame[column], errors="coerce").astype("float64").to_numpy()

    rows = pd.DataFrame(
        {
            "symbol": symbol,
            "bar_start_at": index.tz_convert("UTC"),
            "session_date": index.date,
            **{column: number(source) for source, column in settings.PRICE_COLUMNS.items()},
            "adj_close": number("Adj Close") if "Adj Close" in frame else None,
            "volume": pd.to_numeric(frame["Volume"], errors="coerce")
            .round()
            .astype("Int64")
            .to_numpy(),
            "is_complete": np.asarray(bar_end <= pd.Timestamp(now)),
            "exchange_timezone": str(index.tz),
            "data_origin": origin,
            "_loaded_at": now,
        }
    )
    rows["_loaded_at"] = pd.to_datetime(rows["_loaded_at"], utc=True)
    # Yahoo occasionally repeats the forming bar; keep the latest of each slot.
    return rows.drop_duplicates(subset=["bar_start_at"], keep="last").reset_index(drop=True)
