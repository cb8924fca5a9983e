"""The FRED boundary: the one place that talks to FRED (or replays it).

Every client returns observations as vintages: a frame with `VINTAGE_COLUMNS`
(observation_date, realtime_start, realtime_end as `datetime.date`, value as float, NaN where
FRED publishes "."). `realtime_start` / `realtime_end` is the ALFRED real-time period during
which FRED published that value for that date; a client that only knows the latest values
(the keyless CSV) leaves both None and the source stamps them (see marketpulse/sources/fred/__init__.py).
Series metadata is the string dict of FRED's `series` endpoint (what
`fredapi.Fred.get_series_info` returns).

- `FredApiClient`: with `FRED_API_KEY`. Observations with every vintage from the JSON API
  (`series/observations`, `file_type=json`, real-time period 1776-07-04..9999-12-31, paged);
  metadata through fredapi.
- `FredCsvClient`: keyless, FRED's public `fredgraph.csv` download (latest values only;
  metadata for the default series comes from settings).
- `ReplayFredClient`: recorded ALFRED JSON (`vintages/<ID>.json`) or `fredgraph.csv` files
  and a `series.json`, for the demo and tests.
"""

from __future__ import annotations

import io
import json
import socket
import urllib.error
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import requests

from marketpulse.errors import (
    NoNetworkError,
    NotFoundError,
    PayloadError,
    RateLimitedError,
    TransientError,
)
from marketpulse.sources.fred import settings

VINTAGE_COLUMNS = ("observation_date", "realtime_start", "realtime_end", "value")
# Optional vintage column: the raw text of a value that is not a number (its value is NaN).
UNREADABLE = "unreadable_value"


class FredClient(Protocol):
    origin: str

    def observations(self, series_id: str, start: date) -> pd.DataFrame: ...

    def series_info(self, series_id: str) -> dict[str, Any]: ...

    def origin_of(self, series_id: str) -> str: ...


class FredApiClient:
    """FRED with an API key. Observations speak the JSON API directly: fredapi's
    `get_series_all_releases` drops `realtime_end`, does not page, and fails on daily series
    (FRED refuses a real-time period with more than 2,000 vintage dates); metadata is one
    small request, which fredapi does well.

    Every vintage of the observations from `start` on: `series/vintagedates` lists the
    vintage dates since `start` (nothing dated from `start` on can be published before it);
    the real-time axis is cut into windows of at most `max_vintage_dates` of them; each
    window's `series/observations` is paged; rows FRED clipped at a window boundary are
    stitched back into one vintage."""

    origin = "live"

    def __init__(
        self,
        api_key: str,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        max_vintage_dates: int = settings.API_MAX_VINTAGE_DATES,
    ) -> None:
        from fredapi import Fred

        self._fred = Fred(api_key=api_key)
        self._api_key = api_key
        self._session = session or requests.Session()
        self._timeout = timeout
        self._max_vintage_dates = max_vintage_dates

    def origin_of(self, series_id: str) -> str:
        return "live"

    def observations(self, series_id: str, start: date) -> pd.DataFrame:
        windows = realtime_windows(
            start, self.vintage_dates(series_id, start), self._max_vintage_dates
        )
        frames = [self._observations_in(series_id, start, first, last) for first, last in windows]
        return stitch_windows(pd.concat(frames, ignore_index=True), [w[0] for w in windows[1:]])

    def vintage_dates(self, series_id: str, start: date) -> list[date]:
        """`series/vintagedates`: the days FRED published or revised the series since `start`."""
        found: list[date] = []
        while True:
            payload = self._get_json(
                series_id,
                {
                    "series_id": series_id,
                    "realtime_start": start.isoformat(),
                    "realtime_end": settings.REALTIME_OPEN,
                    "limit": str(settings.API_VINTAGE_PAGE_LIMIT),
                    "offset": str(len(found)),
                },
                endpoint="series/vintagedates",
            )
            page = payload.get("vintage_dates")
            if not isinstance(page, list):
                raise PayloadError(f"{series_id}: FRED JSON without a vintage_dates list")
            try:
                found.extend(date.fromisoformat(day) for day in page)
            except (TypeError, ValueError):
                raise PayloadError(f"{series_id}: malformed FRED vintage date") from None
            if not page or len(found) >= int(payload.get("count", 0)):
                return found

    def _observations_in(
        self, series_id: str, start: date, first: date, last: date
    ) -> pd.DataFrame:
        frames, offset = [], 0
        while True:
            payload = self._get_json(
                series_id,
                {
                    "series_id": series_id,
                    "observation_start": start.isoformat(),
                    "realtime_start": first.isoformat(),
                    "realtime_end": last.isoformat(),
                    "limit": str(settings.API_PAGE_LIMIT),
                    "offset": str(offset),
                },
            )
            page = parse_alfred_json(payload, series_id)
            frames.append(page)
            offset += len(page)
            if page.empty or offset >= int(payload.get("count", 0)):
                return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

    def _get_json(
        self, series_id: str, params: dict[str, str], endpoint: str = "series/observations"
    ) -> dict[str, Any]:
        # Never put the URL (it carries the key) into an error. requests' own message quotes it,
        # and `from None` only hides it from a printed traceback: the exception still holds it
        # as __context__, which dlt's trace (trace.pickle) records. So raise outside `except`.
        failure: Exception | None = None
        try:
            response = self._session.get(
                f"{settings.API_URL}/{endpoint}",
                params={**params, "api_key": self._api_key, "file_type": "json"},
                timeout=self._timeout,
            )
        except requests.exceptions.Timeout:
            failure = TransientError(f"{series_id}: FRED timed out")
        except requests.exceptions.ConnectionError:
            failure = NoNetworkError("cannot reach FRED (no network)")
        if failure is not None:
            raise failure
        message = _error_message(response.text)
        if response.status_code == 429:
            raise RateLimitedError(f"{series_id}: rate limited by FRED (HTTP 429)")
        if response.status_code in (400, 404):
            if "api_key" in message.lower():
                raise NotFoundError("FRED rejected the API key (check FRED_API_KEY)")
            raise NotFoundError(f"{series_id}: unknown series at FRED ({message or 'HTTP 400'})")
        if response.status_code >= 400:
            raise TransientError(f"{series_id}: FRED answered HTTP {response.status_code}")
        try:
            payload = response.json()
        except ValueError:
            raise PayloadError(
                f"{series_id}: FRED sent no JSON (an HTML page or nothing)"
            ) from None
        if not isinstance(payload, dict):
            raise PayloadError(f"{series_id}: unexpected FRED JSON ({type(payload).__name__})")
        return payload

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

    def observations(self, series_id: str, start: date) -> pd.DataFrame:
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
        return latest_only(parse_fredgraph_csv(response.text, series_id))

    def series_info(self, series_id: str) -> dict[str, Any]:
        known = settings.KEYLESS_METADATA.get(series_id, {})
        return {"id": series_id, "title": known.get("title", series_id), **known}


class ReplayFredClient:
    """Replays recorded FRED answers: `vintages/<ID>.json` (ALFRED JSON, every vintage) where
    recorded, else `observations/<ID>.csv` (fredgraph.csv, latest values only), and
    `series.json`. Earlier vintages in the sample are simulated revisions
    (scripts/make_sample_macro.py), so their rows carry `<origin>_simulated`."""

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

    def observations(self, series_id: str, start: date) -> pd.DataFrame:
        vintages = self.directory / "vintages" / f"{series_id}.json"
        if vintages.exists():
            frame = parse_alfred_json(json.loads(vintages.read_text()), series_id)
            revised = frame["realtime_end"] != date.fromisoformat(settings.REALTIME_OPEN)
            frame["data_origin"] = self.origin_of(series_id)
            frame.loc[revised, "data_origin"] = f"{self.origin}_simulated"
        else:
            path = self.directory / "observations" / f"{series_id}.csv"
            if not path.exists():
                raise NotFoundError(f"{series_id}: unknown series at FRED")
            frame = latest_only(parse_fredgraph_csv(path.read_text(), series_id))
        return frame[frame["observation_date"] >= start].reset_index(drop=True)

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
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & (values != "")
    series = pd.Series(
        numbers.to_numpy(dtype="float64"),
        index=pd.to_datetime(frame[date_column], format="%Y-%m-%d"),
        name=series_id,
    )
    # Like the JSON path, a garbled value never becomes a silent NULL: latest_only() hands it
    # on as `unreadable_value`, and the source quarantines it.
    series.attrs[UNREADABLE] = dict(zip(series.index[bad.to_numpy()], values[bad], strict=True))
    return series


def realtime_windows(start: date, vintage_dates: list[date], size: int) -> list[tuple[date, date]]:
    """Cut the real-time axis from `start` into windows of at most `size` vintage dates."""
    open_end = date.fromisoformat(settings.REALTIME_OPEN)
    starts = [start] + [day for day in sorted(vintage_dates)[size::size] if day > start]
    ends = [day - timedelta(days=1) for day in starts[1:]] + [open_end]
    return list(zip(starts, ends, strict=True))


def stitch_windows(frame: pd.DataFrame, boundaries: list[date]) -> pd.DataFrame:
    """FRED clips each row's real-time period to the requested window: a vintage spanning a
    boundary comes back as two rows with the same value, the second starting on the boundary.
    Join them back into one (a real revision on a boundary day has a different value)."""
    if not boundaries or frame.empty:
        return frame
    frame = frame.sort_values(["observation_date", "realtime_start"]).reset_index(drop=True)
    cut = set(boundaries)
    rows: list[dict[str, Any]] = []
    for row in frame.to_dict("records"):
        previous = rows[-1] if rows else None
        if (
            previous is not None
            and row["realtime_start"] in cut
            and previous["observation_date"] == row["observation_date"]
            and previous["realtime_end"] == row["realtime_start"] - timedelta(days=1)
            and (
                previous["value"] == row["value"]
                or (pd.isna(previous["value"]) and pd.isna(row["value"]))
            )
        ):
            previous["realtime_end"] = row["realtime_end"]
            continue
        rows.append(row)
    return pd.DataFrame(rows, columns=list(frame.columns))  # unreadable_value rides along


def latest_only(series: pd.Series) -> pd.DataFrame:
    """Latest values (no vintage information) as vintage rows with an unknown real-time period;
    the raw text of values that are not numbers in `unreadable_value`, if there are any."""
    unreadable = series.attrs.get(UNREADABLE, {})
    series = series[~series.index.duplicated(keep="last")].sort_index()
    frame = pd.DataFrame(
        {
            "observation_date": pd.DatetimeIndex(series.index).date,
            "realtime_start": None,
            "realtime_end": None,
            "value": series.to_numpy(dtype="float64"),
        },
        columns=list(VINTAGE_COLUMNS),
    )
    if unreadable:
        frame[UNREADABLE] = [unreadable.get(stamp) for stamp in series.index]
    return frame


def parse_alfred_json(payload: Any, series_id: str) -> pd.DataFrame:
    """ALFRED/FRED `series/observations` JSON -> vintage rows.

    Each observation is {"realtime_start", "realtime_end", "date", "value"}; one date appears
    once per vintage. "." (no value) becomes NaN; a value that is not a number becomes NaN with
    its text in `unreadable_value` (quarantined by the source, never silently dropped); a row
    that is not well-formed is a PayloadError."""
    if not isinstance(payload, dict) or not isinstance(payload.get("observations"), list):
        keys = sorted(payload) if isinstance(payload, dict) else type(payload).__name__
        raise PayloadError(f"{series_id}: FRED JSON without an observations list ({keys})")
    rows = payload["observations"]
    if not rows:
        return pd.DataFrame({column: [] for column in VINTAGE_COLUMNS}).astype({"value": "float64"})
    try:
        frame = pd.DataFrame.from_records(
            rows, columns=["date", "realtime_start", "realtime_end", "value"]
        )
        dates = {
            column: pd.to_datetime(frame[column], format="%Y-%m-%d").dt.date
            for column in ("date", "realtime_start", "realtime_end")
        }
    except (ValueError, TypeError) as exc:
        raise PayloadError(f"{series_id}: malformed FRED observation ({exc})") from None
    if frame[["date", "realtime_start", "realtime_end"]].isna().any().any():
        raise PayloadError(f"{series_id}: FRED observation without its date or real-time period")
    raw = frame["value"].astype(str).str.strip()
    values = pd.to_numeric(raw.where(raw != settings.MISSING), errors="coerce")
    bad = values.isna() & (raw != settings.MISSING)
    result = pd.DataFrame(
        {
            "observation_date": dates["date"],
            "realtime_start": dates["realtime_start"],
            "realtime_end": dates["realtime_end"],
            "value": values.to_numpy(dtype="float64"),
        }
    )
    if (result["realtime_end"] < result["realtime_start"]).any():
        raise PayloadError(f"{series_id}: FRED vintage ends before it starts")
    if result.duplicated(["observation_date", "realtime_start"]).any():
        raise PayloadError(f"{series_id}: the same vintage of one date appears twice")
    if bad.any():  # never a silent NULL: the source quarantines these with their raw text
        result[UNREADABLE] = raw.where(bad, None).to_numpy(dtype=object)
    return result


def _error_message(text: str) -> str:
    """FRED's JSON error body: {"error_code": 400, "error_message": "Bad Request. ..."}."""
    try:
        body = json.loads(text)
    except ValueError:
        return ""
    return str(body.get("error_message", "")) if isinstance(body, dict) else ""
