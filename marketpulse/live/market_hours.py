"""Is the NYSE open? The exchange calendar (exchange_calendars XNYS) answers, so holidays,
half days (13:00 close), one-off closures and DST are all right without a line of our own.

Used by `python -m marketpulse market-open`, the intraday workflow and watch mode.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

import exchange_calendars as xcals
import pandas as pd

EXCHANGE = "XNYS"
# exit code of `market-open` when the market is closed (0 = open, 2 = bad input)
CLOSED_EXIT_CODE = 3


@lru_cache(maxsize=4)
def calendar(start_year: int, end_year: int) -> xcals.ExchangeCalendar:
    return xcals.get_calendar(EXCHANGE, start=f"{start_year}-01-01", end=f"{end_year}-12-31")


def _calendar_for(at: pd.Timestamp) -> xcals.ExchangeCalendar:
    # The calendar object covers a bounded range; build one around the asked time.
    return calendar(at.year - 1, at.year + 1)


def to_utc(at: datetime) -> pd.Timestamp:
    stamp = pd.Timestamp(at)
    if stamp.tzinfo is None:
        raise ValueError(f"{at.isoformat()} has no UTC offset; give one, e.g. ...Z or +00:00")
    return stamp.tz_convert("UTC")


def is_open(at: datetime) -> bool:
    """Open at this instant: from the open (inclusive) to the close (exclusive)."""
    stamp = to_utc(at).floor("min")
    return bool(_calendar_for(stamp).is_open_on_minute(stamp))


def next_open(at: datetime) -> datetime:
    """The next open strictly after `at` (UTC)."""
    stamp = to_utc(at)
    return _calendar_for(stamp).next_open(stamp.floor("min")).to_pydatetime()


def next_close(at: datetime) -> datetime:
    """The next close strictly after `at` (UTC)."""
    stamp = to_utc(at)
    return _calendar_for(stamp).next_close(stamp.floor("min")).to_pydatetime()


def parse_instant(text: str) -> datetime:
    """ISO 8601 with an offset (`Z` allowed) -> aware datetime; ValueError otherwise."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 time, e.g. 2024-03-11T14:00:00Z") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset; add Z or e.g. -05:00")
    return parsed


def status_line(at: datetime) -> tuple[int, str]:
    """(exit code, line) for `market-open`: 0 "open" or 3 "closed: next open <UTC>"."""
    if is_open(at):
        return 0, "open"
    return CLOSED_EXIT_CODE, f"closed: next open {next_open(at):%Y-%m-%dT%H:%M:%SZ}"
