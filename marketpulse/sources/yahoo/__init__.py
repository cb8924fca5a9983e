"""Yahoo Finance: daily OHLCV as Yahoo serves it unadjusted, corporate actions, symbol metadata.

One call per symbol feeds two tables (prices and actions), each merged on its natural key.
Per-symbol cursors live in the resource state, so a symbol added to the universe later is
backfilled from the start date while the others only re-pull their lag window.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import dlt
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from dlt.sources import DltResource

from marketpulse.errors import NoNetworkError, PayloadError, SourceError
from marketpulse.ingest.circuit import CircuitBreaker, CircuitOpenError
from marketpulse.ingest.loading import (
    BULK_FILE_FORMAT,
    MERGE,
    MERGE_UNIQUE,
    SCHEMA_CONTRACT,
    UTC_MICROS,
    arrow_schema,
    local_dates,
    nullable_floats,
    numbers,
    repeated,
    resume_from,
    text_or_none,
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

PRICES_KEY = ("symbol", "trading_date")
ACTIONS_KEY = ("symbol", "ex_date", "action_type")
# Declared types, whatever a batch holds (a missing volume stays a null bigint).
PRICES_SCHEMA = arrow_schema(settings.PRICE_HINTS, PRICES_KEY)
ACTIONS_SCHEMA = arrow_schema(settings.ACTION_HINTS, ACTIONS_KEY)
# yfinance action column -> raw_yahoo.corporate_actions.action_type
ACTION_COLUMNS = {"Dividends": "dividend", "Stock Splits": "split"}
# Rows per Arrow table handed to dlt (about 100 MB of prices; the per-symbol tables are only
# chained, not copied). dlt writes each table as one parquet row group, and pyarrow tries a
# dictionary for every column of a row group before it falls back to plain values: with 250k
# rows that trial was half the cost of writing the prices (ADR 0021).
BATCH_ROWS = 1_000_000


def yahoo_source(
    symbols: Sequence[str],
    client: YahooClient,
    report: SourceReport,
    progress: Progress,
    start_date: date = settings.DEFAULT_START_DATE,
    lag_days: int = settings.DEFAULT_LAG_DAYS,
    retry: RetryPolicy | None = None,
) -> list[DltResource]:
    """The resources of the Yahoo source for one run, bound to one client."""
    retry = retry or RetryPolicy()
    breaker = CircuitBreaker("yahoo")
    # One fetch per symbol feeds two tables: every item is dispatched with its table's hints.
    history = dlt.resource(
        _history(symbols, client, report, progress, start_date, lag_days, retry, breaker),
        name="history",
        write_disposition=MERGE,
        schema_contract=SCHEMA_CONTRACT,
    )
    metadata = dlt.resource(
        _symbols(symbols, client, report, retry, breaker),
        name=settings.SYMBOLS_TABLE,
        write_disposition=MERGE,
        schema_contract=SCHEMA_CONTRACT,
        primary_key="symbol",
        columns=settings.SYMBOL_HINTS,
    )
    return [history, metadata]


def _history(
    symbols: Sequence[str],
    client: YahooClient,
    report: SourceReport,
    progress: Progress,
    start_date: date,
    lag_days: int,
    retry: RetryPolicy,
    breaker: CircuitBreaker,
) -> Iterator[Any]:
    state = dlt.current.resource_state()
    check_origin(state, "Yahoo", client.origin)
    cursors: dict[str, str] = state.setdefault("cursors", {})
    known_splits: dict[str, list[str]] = state.setdefault("splits", {})
    loaded_at = datetime.now(UTC)
    # One fetch per symbol, one row per session and per (ex date, action type) of a symbol
    # (duplicates.py, action_rows): no key twice in a run, so dlt need not dedupe (ADR 0036).
    # Both load from parquet wherever dlt can (ADR 0021).
    prices_hints = dlt.mark.make_hints(
        table_name=settings.PRICES_TABLE,
        write_disposition=MERGE_UNIQUE,
        primary_key=PRICES_KEY,
        columns=settings.PRICE_HINTS,
        file_format=BULK_FILE_FORMAT,
    )
    actions_hints = dlt.mark.make_hints(
        table_name=settings.ACTIONS_TABLE,
        write_disposition=MERGE_UNIQUE,
        primary_key=ACTIONS_KEY,
        columns=settings.ACTION_HINTS,
        file_format=BULK_FILE_FORMAT,
    )
    rejected_hints = dlt.mark.make_hints(
        table_name=settings.PRICES_REJECTED_TABLE,
        write_disposition="append",
        columns=settings.REJECTED_HINTS,
    )
    # Symbols are gathered into large Arrow tables: dlt's cost per item is fixed, so one
    # table per symbol would cost more than the rows themselves.
    prices_batch: list[pa.Table] = []
    actions_batch: list[pa.Table] = []
    batched = 0
    for symbol in dict.fromkeys(symbols):  # each symbol once, whoever built the list
        cursor = cursors.get(symbol)
        start = resume_from(cursor, start_date, lag_days)
        try:
            breaker.check(symbol)
            try:
                frame = _fetch(client, symbol, start, retry)
            except SourceError as exc:
                breaker.record(exc)
                raise
            breaker.record(None)
            bars = Bars.read(symbol, frame)
            splits = bars.split_dates()
            if cursor is not None and set(splits) - set(known_splits.get(symbol, [])):
                # Yahoo restates all earlier prices by a new split: re-pull the whole history
                # so the stored series stays on one basis.
                progress("yahoo", symbol, f"new split {sorted(splits)}: re-pulling history")
                frame = _fetch(client, symbol, start_date, retry)
                bars = Bars.read(symbol, frame)
                splits = bars.split_dates()
            origin = client.origin_of(symbol)
            rejected = (
                rejected_price_rows(symbol, frame, origin, loaded_at, bars)
                if bars.bad.any() or bars.duplicate.any()
                else None
            )
            prices = price_rows(symbol, frame, origin, loaded_at, bars)
            actions = action_rows(symbol, frame, origin, loaded_at, bars)
        except NoNetworkError:
            raise
        except SourceError as exc:
            progress("yahoo", symbol, f"FAILED: {report.fail(symbol, exc)}")
            continue
        unexpected = sorted(set(map(str, frame.columns)) - settings.KNOWN_HISTORY_COLUMNS)
        if unexpected:
            report.notes.append(f"{symbol}: ignored unexpected history column(s) {unexpected}")
        if rejected is not None and len(rejected):
            report.add_rows(settings.PRICES_REJECTED_TABLE, len(rejected))
            count_rejected(report, symbol, rejected["reason"], settings.PRICES_REJECTED_TABLE)
            yield dlt.mark.with_hints(
                to_arrow(rejected, (), settings.REJECTED_HINTS),
                rejected_hints,
                create_table_variant=True,
            )
        if prices.num_rows == 0:
            empty = PayloadError(f"no valid bars since {start}")
            progress("yahoo", symbol, f"FAILED: {report.fail(symbol, empty)}")
            continue
        report.add_rows(settings.PRICES_TABLE, prices.num_rows)
        report.add_rows(settings.ACTIONS_TABLE, actions.num_rows)
        report.loaded.append(symbol)
        dates = prices.column("trading_date")
        first, last = pc.min(dates).as_py(), pc.max(dates).as_py()
        progress(
            "yahoo",
            symbol,
            f"{prices.num_rows:>6,} bars {first}..{last}, {actions.num_rows} actions",
        )
        cursors[symbol] = last.isoformat()
        known_splits[symbol] = sorted(set(known_splits.get(symbol, [])) | set(splits))
        prices_batch.append(prices)
        actions_batch.append(actions)
        batched += prices.num_rows
        if batched >= BATCH_ROWS:
            yield dlt.mark.with_hints(
                pa.concat_tables(prices_batch), prices_hints, create_table_variant=True
            )
            prices_batch, batched = [], 0
    if prices_batch:
        yield dlt.mark.with_hints(
            pa.concat_tables(prices_batch), prices_hints, create_table_variant=True
        )
    actions_table = pa.concat_tables(actions_batch) if actions_batch else None
    if actions_table is not None and actions_table.num_rows:
        yield dlt.mark.with_hints(actions_table, actions_hints, create_table_variant=True)


def _symbols(
    symbols: Sequence[str],
    client: YahooClient,
    report: SourceReport,
    retry: RetryPolicy,
    breaker: CircuitBreaker,
) -> Iterator[dict[str, Any]]:
    loaded_at = datetime.now(UTC)
    for symbol in symbols:
        if symbol in report.failed:
            continue
        try:
            breaker.check(symbol)
            info = call_with_retry(lambda s=symbol: client.info(s), retry, what=f"yahoo {symbol}")
            breaker.record(None)
        except NoNetworkError:
            raise
        except CircuitOpenError as exc:
            report.fail(symbol, exc, "metadata: ", secondary=True)
            continue
        except SourceError as exc:
            breaker.record(exc)
            report.fail(symbol, exc, "metadata: ", secondary=True)
            continue
        report.add_rows(settings.SYMBOLS_TABLE, 1)
        yield symbol_row(symbol, info, client.origin_of(symbol), loaded_at)


def _fetch(client: YahooClient, symbol: str, start: date, retry: RetryPolicy) -> pd.DataFrame:
    frame = call_with_retry(lambda: client.history(symbol, start), retry, what=f"yahoo {symbol}")
    return localised(frame, symbol, lambda: exchange_timezone(client, symbol))


@dataclass(frozen=True)
class Bars:
    """A yfinance history frame read once: the local date and the float value of every
    numeric column per row, which rows hold a value that is not a number, and which rows are
    extra copies of a session (marketpulse/sources/yahoo/duplicates.py)."""

    dates: np.ndarray  # datetime64[D], the session date in the exchange's timezone
    values: dict[str, np.ndarray]  # yfinance column -> float64, NaN where missing
    bad: np.ndarray  # bool per row
    timezone: str
    duplicate: np.ndarray  # bool per row: a copy of a session not kept (never a bad row)

    @classmethod
    def read(cls, symbol: str, frame: pd.DataFrame) -> Bars:
        missing = [column for column in settings.REQUIRED_HISTORY_COLUMNS if column not in frame]
        if missing:
            raise PayloadError(f"{symbol}: Yahoo history lacks columns {missing}")
        index = frame.index
        if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
            raise PayloadError(f"{symbol}: Yahoo history has no timezone-aware date index")
        wanted = {*settings.NUMERIC_HISTORY_COLUMNS, *ACTION_COLUMNS}
        bad = np.zeros(len(frame), dtype=bool)
        if all(_is_number_dtype(dtype) for dtype in frame.dtypes):
            # The usual case: one conversion of the whole frame, one contiguous array a column.
            matrix = np.ascontiguousarray(frame.to_numpy(dtype="float64", na_value=np.nan).T)
            values = {
                column: row
                for column, row in zip(map(str, frame.columns), matrix, strict=True)
                if column in wanted
            }
        else:
            values = {column: numbers(frame[column]) for column in wanted if column in frame}
            for column in wanted:
                if column in values:
                    bad |= frame[column].notna().to_numpy() & np.isnan(values[column])
        dates = local_dates(index)
        bad |= np.isnat(dates)  # a stamp Yahoo sent empty: no session to key the bar on
        duplicate = np.zeros(len(frame), dtype=bool)
        good = np.flatnonzero(~bad)
        duplicate[good] = duplicate_copies(dates[good], values["Close"][good])
        return cls(dates, values, bad, str(index.tz), duplicate)

    def split_dates(self) -> list[str]:
        splits = self.values.get("Stock Splits")
        if splits is None:
            return []
        return [str(day) for day in self.dates[splits > 0]]


def price_rows(
    symbol: str,
    frame: pd.DataFrame,
    origin: str,
    loaded_at: datetime,
    bars: Bars | None = None,
) -> pa.Table:
    """yfinance history frame -> rows of raw_yahoo.prices_daily (PRICES_SCHEMA). Every bar is
    kept but those with a value that is not a number and the extra copies of a session
    (rejected_price_rows takes both)."""
    bars = bars or Bars.read(symbol, frame)
    rows = np.flatnonzero(~bars.bad & ~bars.duplicate)
    everything = len(rows) == len(bars.dates)

    def column(name: str) -> pa.Array:
        values = bars.values[name]
        return nullable_floats(values if everything else values[rows])

    count = len(rows)
    return pa.table(
        {
            "symbol": repeated(symbol, count, pa.string()),
            "trading_date": pa.array(bars.dates if everything else bars.dates[rows]),
            **{name: column(source) for source, name in settings.PRICE_COLUMNS.items()},
            "adj_close": column("Adj Close")
            if "Adj Close" in bars.values
            else pa.nulls(count, pa.float64()),
            "volume": whole_numbers(
                bars.values["Volume"] if everything else bars.values["Volume"][rows]
            ),
            "exchange_timezone": repeated(bars.timezone, count, pa.string()),
            "data_origin": repeated(origin, count, pa.string()),
            "_loaded_at": repeated(loaded_at, count, UTC_MICROS),
        },
        schema=PRICES_SCHEMA,
    )


def _unparseable(frame: pd.DataFrame) -> pd.DataFrame:
    """True where a numeric cell holds something (not NaN) that is not a number."""
    columns = [c for c in (*settings.NUMERIC_HISTORY_COLUMNS, *ACTION_COLUMNS) if c in frame]
    return pd.DataFrame(
        {
            column: frame[column].notna().to_numpy() & np.isnan(numbers(frame[column]))
            for column in columns
        },
        index=frame.index,
    )


def rejected_price_rows(
    symbol: str,
    frame: pd.DataFrame,
    origin: str,
    loaded_at: datetime,
    bars: Bars | None = None,
) -> pd.DataFrame:
    """Bars with a value that is not a number, and the extra copies of a session
    (`duplicate_bar`): kept, as text, in prices_daily_rejected.

    NaN is not a rejection (Yahoo sends NaN for a missing bar; it lands as NULL and dbt's
    quarantine judges it); a string where a number belongs is.
    """
    bars = bars or Bars.read(symbol, frame)
    if not bars.bad.any() and not bars.duplicate.any():
        return pd.DataFrame(columns=list(settings.REJECTED_HINTS))
    bad = _unparseable(frame)
    hits = bars.bad | bars.duplicate
    rows = frame[hits]
    reasons = [
        DUPLICATE_BAR
        if duplicate
        else "no session date"
        if np.isnat(day)
        else "not a number in " + ", ".join(c for c in bad.columns if flags[c])
        for duplicate, day, (_, flags) in zip(
            bars.duplicate[hits], bars.dates[hits], bad[hits].iterrows(), strict=True
        )
    ]
    return pd.DataFrame(
        {
            "symbol": symbol,
            "trading_date": bars.dates[hits].astype(object),
            "reason": reasons,
            "raw_values": [
                json.dumps({str(k): None if pd.isna(v) else str(v) for k, v in rec.items()})
                for rec in rows.to_dict(orient="records")
            ],
            "data_origin": origin,
            "_loaded_at": loaded_at,
        }
    )


def action_rows(
    symbol: str,
    frame: pd.DataFrame,
    origin: str,
    loaded_at: datetime,
    bars: Bars | None = None,
) -> pa.Table:
    """Dividends and splits out of the same frame -> rows of raw_yahoo.corporate_actions
    (ACTIONS_SCHEMA), on the session date of the bar that carries them."""
    bars = bars or Bars.read(symbol, frame)
    parts = []
    for column, action_type in ACTION_COLUMNS.items():
        values = bars.values.get(column)
        if values is None:
            continue
        # NaN compares False; a quarantined bar (no date, a value not a number) has no action
        hits = np.flatnonzero((values > 0) & ~bars.bad)
        # Yahoo may repeat a bar: one action per (date, type), the latest.
        hits = hits[~pd.Index(bars.dates[hits]).duplicated(keep="last")]
        if not len(hits):
            continue
        count = len(hits)
        parts.append(
            pa.table(
                {
                    "symbol": repeated(symbol, count, pa.string()),
                    "ex_date": pa.array(bars.dates[hits]),
                    "action_type": repeated(action_type, count, pa.string()),
                    "value": values[hits],
                    "data_origin": repeated(origin, count, pa.string()),
                    "_loaded_at": repeated(loaded_at, count, UTC_MICROS),
                },
                schema=ACTIONS_SCHEMA,
            )
        )
    return pa.concat_tables(parts) if parts else ACTIONS_SCHEMA.empty_table()


def symbol_row(
    symbol: str, info: dict[str, Any], origin: str, loaded_at: datetime
) -> dict[str, Any]:
    """`Ticker.info` -> one row of raw_yahoo.symbols."""
    text = {key: text_or_none(info.get(key)) for key in settings.SYMBOL_INFO_FIELDS}
    return {
        "symbol": symbol,
        "name": text["longName"] or text["shortName"] or symbol,
        "quote_type": text["quoteType"],
        "sector": text["sector"],
        "industry": text["industry"],
        "currency": text["currency"],
        "exchange": text["exchange"],
        "exchange_name": text["fullExchangeName"],
        "exchange_timezone": text["exchangeTimezoneName"],
        "data_origin": origin,
        "_loaded_at": loaded_at,
    }


def _is_number_dtype(dtype: Any) -> bool:
    return pd.api.types.is_float_dtype(dtype) or pd.api.types.is_integer_dtype(dtype)
