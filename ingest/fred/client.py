"""The FRED boundary: the one place that talks to FRED (or replays it).

Every client returns observations as a float `pd.Series` indexed by observation date,
NaN where FRED publishes "." (no value), and series metadata as the string dict of
FRED's `series` endpoint (what `fredapi.Fred.get_series_info` returns).

- `FredApiClient`: the FRED API through fredapi, with `FRED_API_KEY`.
- `FredCsvClient`: keyless, FRED's public `fredgraph.csv` download (observations only;
  metadata for the default series comes from settings).
- `ReplayFredClient`: recorded `fredgraph.csv` files and a `series.json`, for the demo and tests.
"""

from __future__ import annotations

import io
import json
import socket
import urllib.error
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import requests

from ingest.errors import (
    NoNetworkError,
    NotFoundError,
    PayloadError,
    RateLimitedError,
    TransientError,
)
from ingest.fred import settings


class FredClient(Protocol):
    origin: str

    def observations(self, series_id: str, start: date) -> pd.Series: ...

    def series_info(self, series_id: str) -> dict[str, Any]: ...

    def origin_of(self, series_id: str) -> str: ...


class FredApiClient:
    origin = "live"

    def __init__(self, api_key: str) -> None:
        from fredapi import Fred

        self._fred = Fred(api_key=api_key)

    def origin_of(self, series_id: str) -> str:
        return "live"

    def observations(self, series_id: str, start: date) -> pd.Series:
        series = self._call(
            series_id, lambda: self._fred.get_series(series_id, observation_start=start)
        )
        return _as_observations(series, series_id)

    def series_info(self, series_id: str) -> dict[str, Any]:
        info = self._call(series_id, lambda: self._fred.get_series_info(series_id))
        return {key: (None if pd.isna(value) else str(value)) for key, value in dict(info).items()}

    @staticmethod
    def _call(series_id: str, fn: Any) -> Any:
        try:
            return fn()
        except ValueError as exc:
            # fredapi turns FRED's XML error answers into ValueError(message).
            message = str(exc)
            if "Too Many Requests" in message or "429" in message:
                raise RateLimitedError(f"{series_id}: rate limited by FRED (HTTP 429)") from exc
            if "does not exist" in message or "No data exists" in message or "No info" in message:
                raise NotFoundError(f"{series_id}: unknown series at FRED") from exc
            if "api_key" in message.lower():
                raise NotFoundError("FRED rejected the API key (check FRED_API_KEY)") from exc
            raise TransientError(f"{series_id}: FRED error: {message}") from exc
        except urllib.error.HTTPError as exc:
            raise TransientError(f"{series_id}: FRED answered HTTP {exc.code}") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (socket.timeout, TimeoutError)):
                raise TransientError(f"{series_id}: FRED timed out") from exc
            raise NoNetworkError("cannot reach FRED (no network)") from exc
        except TimeoutError as exc:
            raise TransientError(f"{series_id}: FRED timed out") from exc
        except Exception as exc:  # xml ParseError and friends: a garbled answer
            if type(exc).__name__ == "ParseError":
                raise TransientError(f"{series_id}: unreadable answer from FRED") from exc
            raise


class FredCsvClient:
    """Keyless: the public CSV download behind FRED's graph pages."""

    origin = "live"

    def __init__(self, session: requests.Session | None = None, timeout: float = 30.0) -> None:
        self._session = session or requests.Session()
        self._timeout = timeout

    def origin_of(self, series_id: str) -> str:
        return "live"

    def observations(self, series_id: str, start: date) -> pd.Series:
        try:
            response = self._session.get(
                settings.CSV_URL,
                params={"id": series_id, "cosd": start.isoformat()},
                timeout=self._timeout,
            )
        except requests.exceptions.Timeout as exc:
            raise TransientError(f"{series_id}: FRED timed out") from exc
        except requests.exceptions.ConnectionError as exc:
            raise NoNetworkError("cannot reach FRED (no network)") from exc
        if response.status_code == 429:
            raise RateLimitedError(f"{series_id}: rate limited by FRED (HTTP 429)")
        if response.status_code == 404:
            raise NotFoundError(f"{series_id}: unknown series at FRED")
        if response.status_code >= 400:
            raise TransientError(f"{series_id}: FRED answered HTTP {response.status_code}")
        return parse_fredgraph_csv(response.text, series_id)

    def series_info(self, series_id: str) -> dict[str, Any]:
        known = settings.KEYLESS_METADATA.get(series_id, {})
        return {"id": series_id, "title": known.get("title", series_id), **known}


class ReplayFredClient:
    """Replays recorded FRED answers: `observations/<ID>.csv` and `series.json`."""

    def __init__(self, directory: Path, origin: str = "sample") -> None:
        self.directory = Path(directory)
        self.origin = origin
        manifest = self.directory.parent / "manifest.json"
        self._manifest = (
            json.loads(manifest.read_text()).get("fred", {}) if manifest.exists() else {}
        )
        info_path = self.directory / "series.json"
        self._info = json.loads(info_path.read_text()) if info_path.exists() else {}

    def origin_of(self, series_id: str) -> str:
        kind = self._manifest.get(series_id, {}).get("origin", "real")
        return f"{self.origin}_{kind}"

    def observations(self, series_id: str, start: date) -> pd.Series:
        path = self.directory / "observations" / f"{series_id}.csv"
        if not path.exists():
            raise NotFoundError(f"{series_id}: unknown series at FRED")
        series = parse_fredgraph_csv(path.read_text(), series_id)
        return series[series.index.date >= start]

    def series_info(self, series_id: str) -> dict[str, Any]:
        if series_id not in self._info:
            raise NotFoundError(f"{series_id}: unknown series at FRED")
        return dict(self._info[series_id])


def parse_fredgraph_csv(text: str, series_id: str) -> pd.Series:
    """fredgraph.csv -> observations. Header `observation_date,<ID>` (older files: `DATE`)."""
    if not text.strip() or text.lstrip().startswith("<"):
        raise PayloadError(f"{series_id}: FRED sent no CSV (an HTML page or nothing)")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    date_column = next(
        (c for c in frame.columns if c.lower() in ("observation_date", "date")), None
    )
    if date_column is None or series_id not in frame.columns:
        raise PayloadError(f"{series_id}: unexpected FRED CSV header {list(frame.columns)}")
    values = frame[series_id].str.strip().replace({settings.MISSING: "", "NaN": ""})
    series = pd.Series(
        values.replace({"": None}).to_numpy(dtype=object),
        index=pd.to_datetime(frame[date_column], format="%Y-%m-%d"),
        name=series_id,
    )
    return _as_observations(series, series_id)


def _as_observations(series: pd.Series, series_id: str) -> pd.Series:
    """Floats, NaN for "no value". A value that is not a number is kept as its text (an
    object Series) so the resource can quarantine that row instead of losing it."""
    if series is None:
        raise PayloadError(f"{series_id}: FRED returned nothing")
    series = pd.Series(series)
    numbers = pd.to_numeric(series, errors="coerce").astype("float64")
    garbled = series.notna() & numbers.isna()
    if garbled.any():
        series = numbers.astype(object).where(~garbled, series.astype(str))
    else:
        series = numbers
    series.index = pd.to_datetime(series.index)
    series.name = series_id
    return series
