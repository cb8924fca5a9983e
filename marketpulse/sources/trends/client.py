"""The Google Trends boundary: the one place that talks to Google Trends (or replays it).

`interest_over_time(keywords, geo, timeframe)` returns exactly what pytrends'
`TrendReq.build_payload(...); TrendReq.interest_over_time()` returns: a DataFrame indexed
by a naive `date` (UTC), one int column (0..100) per keyword and a bool `isPartial`
column (True for the period still in progress); an empty frame when Google has no data.
pytrends is unmaintained and Google rate limits it hard (HTTP 429), so it sits behind the
`TrendsClient` protocol: another provider only has to return the same frame.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import pandas as pd
import requests

from marketpulse.errors import NoNetworkError, PayloadError, RateLimitedError, TransientError


class TrendsClient(Protocol):
    origin: str

    def interest_over_time(
        self, keywords: Sequence[str], geo: str, timeframe: str
    ) -> pd.DataFrame: ...

    def origin_of(self, keyword: str) -> str: ...


class PyTrendsClient:
    """The live client: pytrends' TrendReq (unofficial; Google Trends has no public API)."""

    origin = "live"

    def __init__(self, timeout: tuple[float, float] = (10.0, 30.0), tz: int = 0) -> None:
        self._timeout = timeout
        self._tz = tz  # minutes from UTC; 0 keeps Google's dates in UTC

    def origin_of(self, keyword: str) -> str:
        return "live"

    def interest_over_time(self, keywords: Sequence[str], geo: str, timeframe: str) -> pd.DataFrame:
        from pytrends import exceptions as trends_errors
        from pytrends.request import TrendReq

        what = ", ".join(keywords)
        try:
            # TrendReq() already calls Google (for a cookie), so it is built inside the guard;
            # pytrends print()s proxy errors, which we report ourselves.
            with contextlib.redirect_stdout(io.StringIO()):
                trends = TrendReq(hl="en-US", tz=self._tz, timeout=self._timeout)
                trends.build_payload(list(keywords), cat=0, timeframe=timeframe, geo=geo)
                return trends.interest_over_time()
        except trends_errors.TooManyRequestsError as exc:
            raise RateLimitedError(f"{what}: rate limited by Google Trends (HTTP 429)") from exc
        except trends_errors.ResponseError as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if status == 429:
                raise RateLimitedError(f"{what}: rate limited by Google Trends (HTTP 429)") from exc
            if status == 400:
                raise PayloadError(
                    f"{what}: Google Trends rejected the request (HTTP 400: check geo "
                    "and timeframe)"
                ) from exc
            raise TransientError(f"{what}: Google Trends answered HTTP {status}") from exc
        except requests.exceptions.Timeout as exc:
            raise TransientError(f"{what}: Google Trends timed out") from exc
        except requests.exceptions.ConnectionError as exc:
            raise NoNetworkError("cannot reach Google Trends (no network)") from exc
        except (ValueError, KeyError) as exc:  # garbled JSON from Google
            raise TransientError(f"{what}: unreadable answer from Google Trends ({exc})") from exc


class ReplayTrendsClient:
    """Replays recorded pytrends frames: `interest_over_time/<geo>.csv`, what
    `DataFrame.to_csv()` writes for an interest_over_time frame (`date`, one column per
    keyword, `isPartial`). A keyword missing from the recording raises PayloadError."""

    def __init__(self, directory: Path, origin: str = "sample") -> None:
        self.directory = Path(directory)
        self.origin = origin
        manifest = self.directory / "manifest.json"
        self._manifest = json.loads(manifest.read_text()) if manifest.exists() else {}

    def origin_of(self, keyword: str) -> str:
        return f"{self.origin}_{self._manifest.get('origin', 'real')}"

    def interest_over_time(self, keywords: Sequence[str], geo: str, timeframe: str) -> pd.DataFrame:
        path = self.directory / "interest_over_time" / f"{geo or 'world'}.csv"
        if not path.exists():
            return pd.DataFrame()  # what pytrends returns when Google has no data
        frame = read_interest_csv(path)
        missing = [keyword for keyword in keywords if keyword not in frame.columns]
        if missing:
            raise PayloadError(f"{missing[0]}: not in the recorded Google Trends answer")
        return frame[[*keywords, "isPartial"]]


def read_interest_csv(path: Path) -> pd.DataFrame:
    """Read a frame written by `to_csv()` back into pytrends' exact shape and dtypes."""
    frame = pd.read_csv(path, index_col="date", parse_dates=["date"])
    for column in frame.columns:
        frame[column] = frame[column].astype(bool if column == "isPartial" else "int64")
    return frame
