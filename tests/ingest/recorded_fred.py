"""FRED's JSON API replayed at the HTTP session: what `FredApiClient` gets from requests."""

from __future__ import annotations

import json

import requests

from tests.conftest import FIXTURES

ALFRED = FIXTURES / "fred" / "alfred"


class RecordedFredJson:
    """Stands in for `requests.Session`: answers `series/observations` with recorded JSON,
    paging the recorded rows by the request's `limit` / `offset` as FRED does."""

    def __init__(self, page_limit: int | None = None, error: Exception | None = None) -> None:
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.page_limit = page_limit
        self.error = error

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
        if series_id in ("EMPTY", "MALFORMED_VALUE", "MALFORMED_DATE"):
            path = ALFRED / f"{series_id.lower()}.json"
        if series_id == "HTML":
            return _response(200, "<html><body>Service Unavailable</body></html>")
        if not path.exists():
            return _response(400, (ALFRED / "error_400_series_missing.json").read_text())
        payload = json.loads(path.read_text())
        start = params.get("observation_start", "1776-07-04")
        rows = [row for row in payload["observations"] if row["date"] >= start]
        limit = min(int(params.get("limit", 100000)), self.page_limit or 100000)
        offset = int(params.get("offset", 0))
        payload.update(
            count=len(rows), offset=offset, limit=limit, observations=rows[offset : offset + limit]
        )
        return _response(200, json.dumps(payload))


def _response(status: int, text: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = text.encode()
    return response
