"""Session dates need the exchange's clock: a timezone-naive stamp from a client is local
exchange time, never UTC.

yfinance indexes history by tz-aware stamps in the exchange's timezone. A client (or a recorded
file) that drops the timezone keeps the exchange's wall time; reading those stamps as UTC moves
every daily bar to the previous day in New York. So a naive index is localised to the symbol's
`exchangeTimezoneName` (Yahoo metadata), America/New_York when Yahoo does not say, and a stamp
that does not exist or is ambiguous in that timezone (a DST change) is refused with one line.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from marketpulse.errors import NoNetworkError, PayloadError, SourceError
from marketpulse.sources.yahoo import settings
from marketpulse.sources.yahoo.client import YahooClient


def exchange_timezone(client: YahooClient, symbol: str) -> str:
    """The symbol's exchange timezone from Yahoo's metadata; the default when it has none."""
    try:
        name = client.info(symbol).get("exchangeTimezoneName")
    except NoNetworkError:
        raise
    except SourceError:
        name = None
    if not name:
        return settings.DEFAULT_EXCHANGE_TIMEZONE
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PayloadError(f"{symbol}: Yahoo names an unknown exchange timezone {name!r}") from exc
    return str(name)


def localised(frame: pd.DataFrame, symbol: str, timezone: Callable[[], str]) -> pd.DataFrame:
    """`frame` with its naive DatetimeIndex localised to `timezone()` (asked only when naive);
    an aware or non-date index is returned as it is (the readers judge it)."""
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is not None:
        return frame
    zone = timezone()
    try:
        aware = index.tz_localize(zone, ambiguous="raise", nonexistent="raise")
    except ValueError as exc:  # a stamp in a DST gap or overlap
        raise PayloadError(
            f"{symbol}: Yahoo sent timezone-naive stamps that are not a single time in {zone}"
            f" ({exc})"
        ) from exc
    frame = frame.copy(deep=False)
    frame.index = aware
    return frame
