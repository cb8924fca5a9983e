"""FRED's JSON API replayed at the HTTP session: what `FredApiClient` gets from requests."""

from __future__ import annotations

import json

import requests

from tests.conftest import FIXTURES

ALFRED = FIXTURES / "fred" / "alfred"
VERBATIM = ("EMPTY", "MALFORMED_VALUE", "MALFORMED_DATE")


class RecordedFredJson:
    """Stands in for `requests.Session`. Answers `series/observations` and
    `series/vintagedates` from a recorded whole-axis ALFRED payload the way FRED does:
    rows whose real-time period overlaps the requested one, clipped to it; paged by
    `limit` / `offset`; HTTP 400 when the period holds more than `max_vintage_dates`."""

    def __init__(
        self,
        page_limit: int | None = None,
        error: Exception | None = None,
        max_vintage_dates: int = 2000,
    ) -> None:
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.page_limit = page_limit
        self.error = error
        self.max_vintage_dates = max_vintage_dates

    def get(self, url: str, params: dict[str, str], timeout: float) -> requests.Response:
        self.calls.append((url, dict(params)))
        if self.error:
            raise self.error
        series_id = params["series_id"]
        if series_id == "LIMITED":
            return _response(429, (ALFRED / "error_429.json").read_text())
        if params["api_key"] == "bad":
            return _response(400, (ALFRED / "error_400_api_key.json").read_text())
        path = ALFRED / f"series_observations_{series_id}.json"
        if series_id in VERBATIM:
            path = ALFRED / f"{series_id.lower()}.json"
        if series_id == "HTML":
            return _response(200, "<html><body>Service Unavailable</body></html>")
        if not path.exists():
            return _response(400, (ALFRED / "error_400_series_missing.json").read_text())
        payload = json.loads(path.read_text())
        if series_id in VERBATIM:  # broken or empty answers: served as recorded
            if url.endswith("/series/vintagedates"):
                return _response(200, json.dumps({"count": 0, "vintage_dates": []}))
            return _response(200, json.dumps(payload))
        first = params.get("realtime_start", "1776-07-04")
        last = params.get("realtime_end", "9999-12-31")
        recorded = payload["observations"]
        vintages = sorted(
            {r["realtime_start"] for r in recorded if first <= r["realtime_start"] <= last}
        )
        offset = int(params.get("offset", 0))
        if url.endswith("/series/vintagedates"):
            limit = min(int(params.get("limit", 10000)), self.page_limit or 10000)
            body = {
                "realtime_start": first,
                "realtime_end": last,
                "order_by": "vintage_date",
                "sort_order": "asc",
                "count": len(vintages),
                "offset": offset,
                "limit": limit,
                "vintage_dates": vintages[offset : offset + limit],
            }
            return _response(200, json.dumps(body))
        if len(vintages) > self.max_vintage_dates:
            message = (
                f"Bad Request.  There are {len(vintages)} vintage dates in the specified"
                f" real-time period: {first} to {last}.  This exceeds the maximum number of"
                f" vintage dates allowed ({self.max_vintage_dates})."
            )
            return _response(400, json.dumps({"error_code": 400, "error_message": message}))
        start = params.get("observation_start", "1776-07-04")
        rows = [
            {
                **row,
                "realtime_start": max(row["realtime_start"], first),
                "realtime_end": min(row["realtime_end"], last),
            }
            for row in recorded
            if row["date"] >= start
            and row["realtime_start"] <= last
            and row["realtime_end"] >= first
        ]
        limit = min(int(params.get("limit", 100000)), self.page_limit or 100000)
        payload.update(
            realtime_start=first,
            realtime_end=last,
            count=len(rows),
            offset=offset,
            limit=limit,
            observations=rows[offset : offset + limit],
        )
        return _response(200, json.dumps(payload))


def _response(status: int, text: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = text.encode()
    return response
