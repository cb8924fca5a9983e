"""The Yahoo Finance boundary: the one place that talks to yfinance (or replays it).

Both clients return exactly what yfinance returns:
- `history()`: `yf.Ticker(symbol).history(auto_adjust=False, actions=True)`, a DataFrame
  indexed by a tz-aware `Date` (the exchange's timezone) with columns Open, High, Low,
  Close, Adj Close, Volume, Dividends, Stock Splits (ETFs may add Capital Gains).
  Yahoo's Close is split-adjusted but not dividend-adjusted; the adjustment is done in dbt.
- `info()`: the `Ticker.info` dict.
- `intraday()`: `yf.Ticker(symbol).history(interval="30m", auto_adjust=False, prepost=False,
  actions=False)`, a DataFrame indexed by a tz-aware `Datetime` (bar start, exchange timezone)
  with columns Open, High, Low, Close, Adj Close, Volume. Yahoo keeps about 60 days of 30-minute
  bars; during a session the last bar is the one still forming.
Library exceptions are translated into `marketpulse.errors` types here, and nowhere else.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from marketpulse.errors import (
    NoNetworkError,
    NotFoundError,
    PayloadError,
    RateLimitedError,
    TransientError,
)

INTRADAY_INTERVAL = "30m"
INTRADAY_MAX_DAYS = 59


class YahooClient(Protocol):
    origin: str

    def history(self, symbol: str, start: date, end: date | None = None) -> pd.DataFrame: ...

    def info(self, symbol: str) -> dict[str, Any]: ...

    def intraday(self, symbol: str, start: date) -> pd.DataFrame: ...

    def origin_of(self, symbol: str) -> str: ...

    def intraday_origin_of(self, symbol: str) -> str: ...


class YFinanceClient:
    """The live client. yfinance 1.x talks through curl_cffi."""

    origin = "live"

    def __init__(self, timeout: float = 30.0) -> None:
        import yfinance as yf

        # yfinance prints its own warnings for every failure; we report them ourselves.
        logging.getLogger("yfinance").setLevel(logging.CRITICAL)
        self._yf = yf
        self._timeout = timeout

    def origin_of(self, symbol: str) -> str:
        return "live"

    def intraday_origin_of(self, symbol: str) -> str:
        return "live"

    def history(self, symbol: str, start: date, end: date | None = None) -> pd.DataFrame:
        ticker = self._yf.Ticker(symbol)
        frame = self._call(
            symbol,
            lambda: ticker.history(
                start=start.isoformat(),
                end=end.isoformat() if end else None,
                interval="1d",
                auto_adjust=False,
                actions=True,
                timeout=self._timeout,
                raise_errors=True,
            ),
        )
        if frame is None or frame.empty:
            raise NotFoundError(f"{symbol}: Yahoo returned no prices since {start}")
        return frame

    def intraday(self, symbol: str, start: date) -> pd.DataFrame:
        # Yahoo refuses 30-minute bars older than 60 days: clamp, or the whole request fails.
        oldest = datetime.now(UTC).date() - timedelta(days=INTRADAY_MAX_DAYS)
        ticker = self._yf.Ticker(symbol)
        frame = self._call(
            symbol,
            lambda: ticker.history(
                start=max(start, oldest).isoformat(),
                interval=INTRADAY_INTERVAL,
                auto_adjust=False,
                prepost=False,
                actions=False,
                timeout=self._timeout,
                raise_errors=True,
            ),
        )
        if frame is None or frame.empty:
            raise NotFoundError(f"{symbol}: Yahoo returned no 30-minute bars since {start}")
        return frame

    def info(self, symbol: str) -> dict[str, Any]:
        info = self._call(symbol, lambda: self._yf.Ticker(symbol).info)
        if not info or not info.get("quoteType"):
            raise NotFoundError(f"{symbol}: Yahoo has no metadata for this symbol")
        return dict(info)

    def _call(self, symbol: str, fn: Any) -> Any:
        from curl_cffi.requests import exceptions as curl_errors
        from yfinance import exceptions as yf_errors

        try:
            return fn()
        except yf_errors.YFRateLimitError as exc:
            raise RateLimitedError(f"{symbol}: rate limited by Yahoo (HTTP 429)") from exc
        except yf_errors.YFTickerMissingError as exc:
            raise NotFoundError(f"{symbol}: unknown or delisted symbol at Yahoo") from exc
        except (curl_errors.DNSError, curl_errors.ProxyError) as exc:
            raise NoNetworkError("cannot reach Yahoo Finance (no network)") from exc
        except curl_errors.Timeout as exc:
            raise TransientError(f"{symbol}: Yahoo timed out") from exc
        except curl_errors.ConnectionError as exc:
            if "resolve" in str(exc).lower() or "connect" in str(exc).lower():
                raise NoNetworkError("cannot reach Yahoo Finance (no network)") from exc
            raise TransientError(f"{symbol}: connection to Yahoo failed") from exc
        except curl_errors.HTTPError as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if status == 429:
                raise RateLimitedError(f"{symbol}: rate limited by Yahoo (HTTP 429)") from exc
            if status == 404:
                raise NotFoundError(f"{symbol}: unknown symbol at Yahoo (HTTP 404)") from exc
            raise TransientError(f"{symbol}: Yahoo answered HTTP {status}") from exc
        except (ValueError, KeyError, TypeError) as exc:
            # yfinance raises these on garbled or partial JSON from Yahoo.
            raise TransientError(f"{symbol}: unreadable answer from Yahoo ({exc})") from exc


class ReplayYahooClient:
    """Replays recorded yfinance answers from a folder, in exactly the shapes above.

    Layout: `history/<SYMBOL>.csv` (what `DataFrame.to_csv()` writes for a history frame),
    `info.json` (`{symbol: Ticker.info}`) and optionally `manifest.json` (which symbols are
    real history and which simulated). 30-minute bars come from `<intraday_directory>/<SYMBOL>.csv`
    (default: the sibling folder `yahoo_intraday`), written the same way. Used by `make demo`
    and by the tests.
    """

    def __init__(
        self, directory: Path, origin: str = "sample", intraday_directory: Path | None = None
    ) -> None:
        self.directory = Path(directory)
        self.origin = origin
        self.intraday_directory = (
            Path(intraday_directory)
            if intraday_directory is not None
            else self.directory.parent / "yahoo_intraday"
        )
        manifest = self.directory.parent / "manifest.json"
        if not manifest.exists():
            manifest = self.directory / "manifest.json"
        self._manifest = json.loads(manifest.read_text())["yahoo"] if manifest.exists() else {}
        info_path = self.directory / "info.json"
        self._info = json.loads(info_path.read_text()) if info_path.exists() else {}

    def origin_of(self, symbol: str) -> str:
        kind = self._manifest.get(symbol, {}).get("origin", "real")
        return f"{self.origin}_{kind}"

    def intraday_origin_of(self, symbol: str) -> str:
        # The bundled 30-minute bars are all simulated (sample_data/yahoo_intraday/manifest.json).
        manifest = self.intraday_directory / "manifest.json"
        kind = json.loads(manifest.read_text()).get("kind", "real") if manifest.exists() else "real"
        return f"{self.origin}_{kind}"

    def history(self, symbol: str, start: date, end: date | None = None) -> pd.DataFrame:
        path = self.directory / "history" / f"{symbol}.csv"
        if not path.exists():
            raise NotFoundError(f"{symbol}: unknown or delisted symbol at Yahoo")
        timezone = self._info.get(symbol, {}).get("exchangeTimezoneName", "America/New_York")
        frame = read_history_csv(path, timezone)
        dates = frame.index.date
        mask = dates >= start
        if end is not None:
            mask &= dates < end
        frame = frame[mask]
        if frame.empty:
            raise NotFoundError(f"{symbol}: Yahoo returned no prices since {start}")
        return frame

    def intraday(self, symbol: str, start: date) -> pd.DataFrame:
        path = self.intraday_directory / f"{symbol}.csv"
        if not path.exists():
            raise NotFoundError(f"{symbol}: unknown or delisted symbol at Yahoo")
        timezone = self._info.get(symbol, {}).get("exchangeTimezoneName", "America/New_York")
        frame = read_history_csv(path, timezone, index_name="Datetime")
        frame = frame[frame.index.date >= start]
        if frame.empty:
            raise NotFoundError(f"{symbol}: Yahoo returned no 30-minute bars since {start}")
        return frame

    def info(self, symbol: str) -> dict[str, Any]:
        if symbol not in self._info:
            raise NotFoundError(f"{symbol}: Yahoo has no metadata for this symbol")
        return dict(self._info[symbol])


def read_history_csv(path: Path, timezone: str, index_name: str = "Date") -> pd.DataFrame:
    """Read a history frame written by `to_csv()` back into yfinance's exact shape.

    Stamps with an offset are converted to the exchange's timezone; stamps without one
    (a file written from a naive frame) are the exchange's wall time, never UTC.
    """
    frame = pd.read_csv(path, index_col=index_name)
    stamps = frame.index.astype(str)
    with_offset = stamps.str.contains(r"(?:[+-]\d\d:?\d\d|Z)$", regex=True)
    if with_offset.all():
        index = pd.to_datetime(stamps, utc=True).tz_convert(timezone)
    elif not with_offset.any():
        try:
            index = pd.to_datetime(stamps).tz_localize(
                timezone, ambiguous="raise", nonexistent="raise"
            )
        except ValueError as exc:  # a wall time in a DST gap or overlap
            raise PayloadError(f"{path.name}: {exc}") from exc
    else:
        raise PayloadError(f"{path.name}: some {index_name} stamps have a UTC offset and some not")
    frame.index = index
    frame.index.name = index_name
    return frame
