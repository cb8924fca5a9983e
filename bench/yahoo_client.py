"""A Yahoo client over the synthetic universe: the bench's loads go through the real source.

It answers `history()` and `info()` exactly like the live client (yfinance's frame shape: a
tz-aware `Date` index in the exchange's timezone; Open, High, Low, Close, Adj Close, Volume,
Dividends, Stock Splits), so everything above the client boundary (marketpulse/sources/yahoo)
runs as it does in production. The frames are built once, up front, so a timed load measures
the pipeline and not the generator.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from marketpulse.errors import NotFoundError

TIMEZONE = "America/New_York"
ORIGIN = "sample"


class SyntheticYahooClient:
    origin = ORIGIN

    def __init__(self, prices: pd.DataFrame, actions: pd.DataFrame) -> None:
        """`prices` / `actions`: bench.universe.generate()'s frames (raw_yahoo's columns)."""
        paid = {
            symbol: rows.set_index("ex_date")["value"]
            for symbol, rows in actions[actions["action_type"] == "dividend"].groupby("symbol")
        }
        self._frames: dict[str, pd.DataFrame] = {}
        self._dates: dict[str, np.ndarray] = {}
        for symbol, rows in prices.groupby("symbol", sort=False):
            dates = rows["trading_date"].to_numpy()
            index = pd.DatetimeIndex(pd.to_datetime(dates), name="Date").tz_localize(TIMEZONE)
            dividends = paid.get(symbol, pd.Series(dtype="float64"))
            frame = pd.DataFrame(
                {
                    "Open": rows["open"].to_numpy(),
                    "High": rows["high"].to_numpy(),
                    "Low": rows["low"].to_numpy(),
                    "Close": rows["close"].to_numpy(),
                    "Adj Close": rows["adj_close"].to_numpy(),
                    "Volume": rows["volume"].to_numpy(),
                    "Dividends": dividends.reindex(dates).fillna(0.0).to_numpy(),
                    "Stock Splits": 0.0,
                },
                index=index,
            )
            self._frames[str(symbol)] = frame
            self._dates[str(symbol)] = dates.astype("datetime64[D]")

    @property
    def symbols(self) -> list[str]:
        return list(self._frames)

    @property
    def first_date(self) -> date:
        """The earliest session served: the pipeline's start date for a full history (the
        universe may begin before the configured start, 2010-01-01)."""
        return min(dates[0] for dates in self._dates.values()).astype(date)

    def origin_of(self, symbol: str) -> str:
        return f"{self.origin}_simulated"

    def intraday_origin_of(self, symbol: str) -> str:
        return f"{self.origin}_simulated"

    def history(self, symbol: str, start: date, end: date | None = None) -> pd.DataFrame:
        frame = self._frames.get(symbol)
        if frame is None:
            raise NotFoundError(f"{symbol}: unknown or delisted symbol at Yahoo")
        dates = self._dates[symbol]
        mask = dates >= np.datetime64(start)
        if end is not None:
            mask &= dates < np.datetime64(end)
        if not mask.any():
            raise NotFoundError(f"{symbol}: Yahoo returned no prices since {start}")
        return frame if mask.all() else frame[mask]

    def intraday(self, symbol: str, start: date) -> pd.DataFrame:
        raise NotFoundError(f"{symbol}: the synthetic universe has no 30-minute bars")

    def info(self, symbol: str) -> dict[str, Any]:
        if symbol not in self._frames:
            raise NotFoundError(f"{symbol}: Yahoo has no metadata for this symbol")
        return {
            "longName": f"Synthetic {symbol}",
            "quoteType": "EQUITY",
            "sector": "Synthetic",
            "industry": "Synthetic",
            "currency": "USD",
            "exchange": "NYQ",
            "fullExchangeName": "NYSE",
            "exchangeTimezoneName": TIMEZONE,
        }
