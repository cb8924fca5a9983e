"""Yahoo Finance: daily OHLCV as Yahoo serves it unadjusted, corporate actions, symbol metadata.

One call per symbol feeds two tables (prices and actions), each merged on its natural key.
Per-symbol cursors live in the resource state, so a symbol added to the universe later is
backfilled from the start date while the others only re-pull their lag window.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import dlt
import pandas as pd
from dlt.sources import DltResource

from marketpulse.errors import NoNetworkError, PayloadError, SourceError
from marketpulse.ingest.circuit import CircuitBreaker, CircuitOpenError
from marketpulse.ingest.loading import MERGE, resume_from, to_arrow
from marketpulse.ingest.origin import check_origin
from marketpulse.ingest.report import Progress, SourceReport
from marketpulse.retry import RetryPolicy, call_with_retry
from marketpulse.sources.yahoo import settings
from marketpulse.sources.yahoo.client import YahooClient

PRICES_KEY = ("symbol", "trading_date")
ACTIONS_KEY = ("symbol", "ex_date", "action_type")


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
    )
    metadata = dlt.resource(
        _symbols(symbols, client, report, retry, breaker),
        name=settings.SYMBOLS_TABLE,
        write_disposition=MERGE,
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
    prices_hints = dlt.mark.make_hints(
        table_name=settings.PRICES_TABLE,
        write_disposition=MERGE,
        primary_key=PRICES_KEY,
        columns=settings.PRICE_HINTS,
    )
    actions_hints = dlt.mark.make_hints(
        table_name=settings.ACTIONS_TABLE,
        write_disposition=MERGE,
        primary_key=ACTIONS_KEY,
        columns=settings.ACTION_HINTS,
    )
    rejected_hints = dlt.mark.make_hints(
        table_name=settings.PRICES_REJECTED_TABLE,
        write_disposition="append",
        columns=settings.REJECTED_HINTS,
    )
    for symbol in symbols:
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
            splits = _split_dates(frame)
            if cursor is not None and set(splits) - set(known_splits.get(symbol, [])):
                # Yahoo restates all earlier prices by a new split: re-pull the whole history
                # so the stored series stays on one basis.
                progress("yahoo", symbol, f"new split {sorted(splits)}: re-pulling history")
                frame = _fetch(client, symbol, start_date, retry)
                splits = _split_dates(frame)
            rejected = rejected_price_rows(symbol, frame, client.origin_of(symbol), loaded_at)
            prices = price_rows(symbol, frame, client.origin_of(symbol), loaded_at)
            actions = action_rows(symbol, frame, client.origin_of(symbol), loaded_at)
        except NoNetworkError:
            raise
        except SourceError as exc:
            progress("yahoo", symbol, f"FAILED: {report.fail(symbol, exc)}")
            continue
        unexpected = sorted(set(map(str, frame.columns)) - settings.KNOWN_HISTORY_COLUMNS)
        if unexpected:
            report.notes.append(f"{symbol}: ignored unexpected history column(s) {unexpected}")
        if len(rejected):
            report.add_rows(settings.PRICES_REJECTED_TABLE, len(rejected))
            report.notes.append(
                f"{symbol}: {len(rejected)} bar(s) rejected into "
                f"raw_yahoo.{settings.PRICES_REJECTED_TABLE} ({rejected['reason'].iloc[0]})"
            )
            yield dlt.mark.with_hints(
                to_arrow(rejected, ()), rejected_hints, create_table_variant=True
            )
        if prices.empty:
            empty = PayloadError(f"no valid bars since {start}")
            progress("yahoo", symbol, f"FAILED: {report.fail(symbol, empty)}")
            continue
        report.add_rows(settings.PRICES_TABLE, len(prices))
        report.add_rows(settings.ACTIONS_TABLE, len(actions))
        report.loaded.append(symbol)
        first, last = prices["trading_date"].min(), prices["trading_date"].max()
        progress("yahoo", symbol, f"{len(prices):>6,} bars {first}..{last}, {len(actions)} actions")
        cursors[symbol] = last.isoformat()
        known_splits[symbol] = sorted(set(known_splits.get(symbol, [])) | set(splits))
        yield dlt.mark.with_hints(
            to_arrow(prices, PRICES_KEY), prices_hints, create_table_variant=True
        )
        if len(actions):
            yield dlt.mark.with_hints(
                to_arrow(actions, ACTIONS_KEY), actions_hints, create_table_variant=True
            )


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
    return call_with_retry(lambda: client.history(symbol, start), retry, what=f"yahoo {symbol}")


def _split_dates(frame: pd.DataFrame) -> list[str]:
    if "Stock Splits" not in frame:
        return []
    splits = frame["Stock Splits"].fillna(0)
    return [stamp.date().isoformat() for stamp in frame.index[splits > 0]]


def price_rows(symbol: str, frame: pd.DataFrame, origin: str, loaded_at: datetime) -> pd.DataFrame:
    """yfinance history frame -> rows of raw_yahoo.prices_daily. Every bar is kept."""
    missing = [column for column in settings.REQUIRED_HISTORY_COLUMNS if column not in frame]
    if missing:
        raise PayloadError(f"{symbol}: Yahoo history lacks columns {missing}")
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise PayloadError(f"{symbol}: Yahoo history has no timezone-aware date index")
    frame = frame[~_unparseable(frame).any(axis=1).to_numpy()]
    index = frame.index
    rows = pd.DataFrame(
        {
            "symbol": symbol,
            "trading_date": index.date,
            **{
                column: pd.to_numeric(frame[source], errors="coerce").astype("float64").to_numpy()
                for source, column in settings.PRICE_COLUMNS.items()
            },
            "adj_close": pd.to_numeric(frame.get("Adj Close"), errors="coerce")
            .astype("float64")
            .to_numpy()
            if "Adj Close" in frame
            else None,
            "volume": pd.to_numeric(frame["Volume"], errors="coerce")
            .round()
            .astype("Int64")
            .to_numpy(),
            "exchange_timezone": str(index.tz),
            "data_origin": origin,
            "_loaded_at": loaded_at,
        }
    )
    # One bar per session: Yahoo occasionally repeats the last bar; keep the latest.
    return rows.drop_duplicates(subset=["trading_date"], keep="last").reset_index(drop=True)


def _unparseable(frame: pd.DataFrame) -> pd.DataFrame:
    """True where a numeric cell holds something (not NaN) that is not a number."""
    columns = [c for c in settings.NUMERIC_HISTORY_COLUMNS if c in frame]
    return pd.DataFrame(
        {
            column: frame[column].notna().to_numpy()
            & pd.to_numeric(frame[column], errors="coerce").isna().to_numpy()
            for column in columns
        },
        index=frame.index,
    )


def rejected_price_rows(
    symbol: str, frame: pd.DataFrame, origin: str, loaded_at: datetime
) -> pd.DataFrame:
    """Bars with a value that is not a number: kept, as text, in prices_daily_rejected.

    NaN is not a rejection (Yahoo sends NaN for a missing bar; it lands as NULL and dbt's
    quarantine judges it); a string where a number belongs is.
    """
    bad = _unparseable(frame)
    hits = bad.any(axis=1).to_numpy()
    if not hits.any():
        return pd.DataFrame(columns=list(settings.REJECTED_HINTS))
    rows = frame[hits]
    reasons = [
        "not a number in " + ", ".join(c for c in bad.columns if flags[c])
        for _, flags in bad[hits].iterrows()
    ]
    return pd.DataFrame(
        {
            "symbol": symbol,
            "trading_date": pd.DatetimeIndex(rows.index).date,
            "reason": reasons,
            "raw_values": [
                json.dumps({str(k): None if pd.isna(v) else str(v) for k, v in rec.items()})
                for rec in rows.to_dict(orient="records")
            ],
            "data_origin": origin,
            "_loaded_at": loaded_at,
        }
    )


def action_rows(symbol: str, frame: pd.DataFrame, origin: str, loaded_at: datetime) -> pd.DataFrame:
    """Dividends and splits out of the same frame -> rows of raw_yahoo.corporate_actions."""
    parts = []
    for column, action_type in (("Dividends", "dividend"), ("Stock Splits", "split")):
        if column not in frame:
            continue
        values = pd.to_numeric(frame[column], errors="coerce").fillna(0.0)
        hits = values[values > 0]
        parts.append(
            pd.DataFrame(
                {
                    "symbol": symbol,
                    "ex_date": hits.index.date,
                    "action_type": action_type,
                    "value": hits.astype("float64").to_numpy(),
                }
            )
        )
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if rows.empty:
        return pd.DataFrame(columns=["symbol", "ex_date", "action_type", "value"])
    rows["data_origin"] = origin
    rows["_loaded_at"] = loaded_at
    return rows.drop_duplicates(subset=["ex_date", "action_type"], keep="last")


def symbol_row(
    symbol: str, info: dict[str, Any], origin: str, loaded_at: datetime
) -> dict[str, Any]:
    """`Ticker.info` -> one row of raw_yahoo.symbols."""
    return {
        "symbol": symbol,
        "name": info.get("longName") or info.get("shortName") or symbol,
        "quote_type": info.get("quoteType"),
        "sector": info.get("sector"),
        "industry": info.get("industry"),
        "currency": info.get("currency"),
        "exchange": info.get("exchange"),
        "exchange_name": info.get("fullExchangeName"),
        "exchange_timezone": info.get("exchangeTimezoneName"),
        "data_origin": origin,
        "_loaded_at": loaded_at,
    }
