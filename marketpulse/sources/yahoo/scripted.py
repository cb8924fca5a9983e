"""A Yahoo client fed by a script instead of the network: watch-mode tests and the live
benchmark push new 30-minute bars into it and time them from the moment it hands them over.

It answers `intraday()` exactly like the other clients (yfinance's frame shape), from an
optional replay client's bars plus the bars pushed since.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd

from marketpulse.errors import NotFoundError
from marketpulse.sources.yahoo.client import ReplayYahooClient

COLUMNS = ["Open", "High", "Low", "Close", "Adj Close", "Volume"]


class ScriptedYahooClient:
    def __init__(
        self,
        base: ReplayYahooClient | None = None,
        origin: str = "sample",
        timezone: str = "America/New_York",
        before_fetch: Callable[[str], None] | None = None,
    ) -> None:
        self.base = base
        self.origin = origin
        self.timezone = timezone
        self.before_fetch = before_fetch
        self._pushed: dict[str, list[tuple[pd.Timestamp, dict[str, float]]]] = {}
        self._lock = threading.Lock()
        # time.time() when each symbol's latest answer left the client boundary
        self.served_at: dict[str, float] = {}

    def origin_of(self, symbol: str) -> str:
        return self.base.origin_of(symbol) if self.base else f"{self.origin}_simulated"

    def intraday_origin_of(self, symbol: str) -> str:
        return self.base.intraday_origin_of(symbol) if self.base else f"{self.origin}_simulated"

    def push(self, symbol: str, bar_start: pd.Timestamp, bar: dict[str, float]) -> None:
        """Make a bar (Open, High, Low, Close, Volume) available from the next fetch on."""
        row = {**bar, "Adj Close": bar["Close"]}
        with self._lock:
            self._pushed.setdefault(symbol, []).append((bar_start.tz_convert(self.timezone), row))

    def intraday(self, symbol: str, start: date) -> pd.DataFrame:
        if self.before_fetch:
            self.before_fetch(symbol)
        frames = []
        if self.base is not None:
            with contextlib.suppress(NotFoundError):
                frames.append(self.base.intraday(symbol, start))
        with self._lock:
            pushed = list(self._pushed.get(symbol, []))
        if pushed:
            index = pd.DatetimeIndex([stamp for stamp, _ in pushed], name="Datetime")
            frames.append(pd.DataFrame([row for _, row in pushed], index=index)[COLUMNS])
        frame = pd.concat(frames) if frames else pd.DataFrame(columns=COLUMNS)
        frame = frame[frame.index.date >= start] if len(frame) else frame
        if frame.empty:
            raise NotFoundError(f"{symbol}: Yahoo returned no 30-minute bars since {start}")
        self.served_at[symbol] = time.time()
        return frame

    def history(self, symbol: str, start: date, end: date | None = None) -> pd.DataFrame:
        if self.base is None:
            raise NotFoundError(f"{symbol}: unknown or delisted symbol at Yahoo")
        return self.base.history(symbol, start, end)

    def info(self, symbol: str) -> dict[str, Any]:
        if self.base is None:
            raise NotFoundError(f"{symbol}: Yahoo has no metadata for this symbol")
        return self.base.info(symbol)
