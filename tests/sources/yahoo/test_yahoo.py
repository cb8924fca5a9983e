"""The Yahoo boundary and the rows built above it, on recorded yfinance frames."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from curl_cffi.requests import exceptions as curl_errors
from yfinance import exceptions as yf_errors

from marketpulse.errors import (
    NoNetworkError,
    NotFoundError,
    PayloadError,
    RateLimitedError,
    TransientError,
)
from marketpulse.retry import RetryPolicy, call_with_retry
from marketpulse.sources.yahoo import action_rows, price_rows, rejected_price_rows, symbol_row
from marketpulse.sources.yahoo.client import ReplayYahooClient, YFinanceClient
from tests.conftest import FIXTURES

LOADED_AT = datetime(2024, 1, 2, 21, 0, tzinfo=UTC)


@pytest.fixture
def aapl() -> pd.DataFrame:
    return ReplayYahooClient(FIXTURES / "yahoo").history("AAPL", date(2014, 1, 1))


def test_recorded_frame_has_yfinance_shape(aapl: pd.DataFrame) -> None:
    assert list(aapl.columns) == [
        "Open",
        "High",
        "Low",
        "Close",
        "Adj Close",
        "Volume",
        "Dividends",
        "Stock Splits",
    ]
    assert str(aapl.index.tz) == "America/New_York"
    assert aapl.index.name == "Date"


def test_price_rows_keep_every_bar_with_unadjusted_values(aapl: pd.DataFrame) -> None:
    rows = price_rows("AAPL", aapl, "live", LOADED_AT)
    assert rows.num_rows == 8
    first = rows.to_pylist()[0]
    assert first["trading_date"] == date(2014, 5, 6)
    assert (first["open"], first["high"], first["low"], first["close"]) == (
        84.97,
        85.13,
        84.17,
        84.36,
    )
    assert first["adj_close"] == pytest.approx(75.632812)
    assert first["volume"] == 93341700
    assert first["exchange_timezone"] == "America/New_York"
    assert set(rows.column("symbol").to_pylist()) == {"AAPL"}


def test_action_rows_split_dividends_and_splits(aapl: pd.DataFrame) -> None:
    rows = action_rows("AAPL", aapl, "live", LOADED_AT)
    got = {(r["ex_date"], r["action_type"]): r["value"] for r in rows.to_pylist()}
    assert got == {(date(2014, 5, 8), "dividend"): 0.47, (date(2014, 6, 9), "split"): 7.0}


def test_extra_capital_gains_column_is_tolerated() -> None:
    spy = ReplayYahooClient(FIXTURES / "yahoo").history("SPY", date(2014, 1, 1))
    assert "Capital Gains" in spy.columns
    assert price_rows("SPY", spy, "live", LOADED_AT).num_rows == 4
    assert action_rows("SPY", spy, "live", LOADED_AT).num_rows == 0


def test_a_repeated_last_bar_keeps_the_copy_nearest_the_previous_close(
    aapl: pd.DataFrame,
) -> None:
    # The last two recorded closes are 93.70 and 94.25 (2014-06-09, 2014-06-10).
    assert aapl["Close"].tail(2).tolist() == [93.70, 94.25]
    doubled = pd.concat([aapl, aapl.tail(1).assign(Close=9.425)])
    rows = price_rows("AAPL", doubled, "live", LOADED_AT)
    assert rows.num_rows == 8
    assert rows.column("close").to_pylist()[-1] == 94.25
    rejected = rejected_price_rows("AAPL", doubled, "live", LOADED_AT)
    assert rejected[["trading_date", "reason"]].values.tolist() == [
        [date(2014, 6, 10), "duplicate_bar"]
    ]
    assert json.loads(rejected["raw_values"].iloc[0])["Close"] == "9.425"


def test_missing_columns_are_a_payload_error(aapl: pd.DataFrame) -> None:
    with pytest.raises(PayloadError, match="lacks columns \\['Close'\\]"):
        price_rows("AAPL", aapl.drop(columns=["Close"]), "live", LOADED_AT)


def test_symbol_row_from_info() -> None:
    info = ReplayYahooClient(FIXTURES / "yahoo").info("AAPL")
    row = symbol_row("AAPL", info, "live", LOADED_AT)
    assert row["name"] == "Apple Inc."
    assert row["quote_type"] == "EQUITY"
    assert row["exchange_timezone"] == "America/New_York"
    assert row["sector"] == "Technology"


class _FakeTicker:
    def __init__(self, error: Exception | None = None, frame: pd.DataFrame | None = None) -> None:
        self.error, self.frame = error, frame

    def history(self, **kwargs: object) -> pd.DataFrame:
        assert kwargs["auto_adjust"] is False and kwargs["actions"] is True
        if self.error:
            raise self.error
        return self.frame  # type: ignore[return-value]


def _client_raising(monkeypatch: pytest.MonkeyPatch, error: Exception) -> YFinanceClient:
    client = YFinanceClient()
    monkeypatch.setattr(client._yf, "Ticker", lambda symbol: _FakeTicker(error=error))
    return client


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (yf_errors.YFRateLimitError(), RateLimitedError),
        (yf_errors.YFPricesMissingError("NOPE", "no price data found"), NotFoundError),
        (curl_errors.DNSError("Could not resolve host: query2.finance.yahoo.com"), NoNetworkError),
        (curl_errors.Timeout("Operation timed out"), TransientError),
    ],
)
def test_live_client_translates_library_errors(
    monkeypatch: pytest.MonkeyPatch, error: Exception, expected: type[Exception]
) -> None:
    client = _client_raising(monkeypatch, error)
    with pytest.raises(expected):
        client.history("AAPL", date(2024, 1, 1))


def test_live_client_empty_frame_is_not_found(monkeypatch: pytest.MonkeyPatch) -> None:
    client = YFinanceClient()
    monkeypatch.setattr(client._yf, "Ticker", lambda symbol: _FakeTicker(frame=pd.DataFrame()))
    with pytest.raises(NotFoundError):
        client.history("NOPE", date(2024, 1, 1))


def test_rate_limited_twice_then_data_is_fetched_once_after_two_backoffs(
    aapl: pd.DataFrame,
) -> None:
    calls, sleeps = [], []

    def fetch() -> pd.DataFrame:
        calls.append(1)
        if len(calls) <= 2:
            raise RateLimitedError("AAPL: rate limited by Yahoo (HTTP 429)")
        return aapl

    got = call_with_retry(
        fetch, RetryPolicy(attempts=4, base_delay=1.0), what="t", sleep=sleeps.append
    )
    assert got is aapl
    assert len(calls) == 3
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 1.0 and 0 <= sleeps[1] <= 2.0  # exponential ceiling, full jitter


def test_retries_are_bounded_and_not_for_unknown_symbols() -> None:
    calls = []

    def always_timeout() -> None:
        calls.append(1)
        raise TransientError("timeout")

    with pytest.raises(TransientError):
        call_with_retry(always_timeout, RetryPolicy(attempts=3), what="t", sleep=lambda s: None)
    assert len(calls) == 3

    calls.clear()

    def unknown() -> None:
        calls.append(1)
        raise NotFoundError("NOPE")

    with pytest.raises(NotFoundError):
        call_with_retry(unknown, RetryPolicy(attempts=3), what="t", sleep=lambda s: None)
    assert len(calls) == 1
