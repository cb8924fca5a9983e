"""The FRED boundary: fredapi on recorded API XML, the keyless CSV, and rows built above it."""

from __future__ import annotations

import io
import urllib.error
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest
import requests

from ingest.errors import NoNetworkError, NotFoundError, PayloadError, RateLimitedError
from ingest.fred import observation_rows, series_row
from ingest.fred.client import FredApiClient, FredCsvClient, ReplayFredClient, parse_fredgraph_csv
from tests.conftest import FIXTURES

API = FIXTURES / "fred" / "api"
LOADED_AT = datetime(2024, 1, 2, tzinfo=UTC)
SECRET_KEY = "abcdef0123456789abcdef0123456789"


class _RecordedFredApi:
    """Stands in for urllib's urlopen inside fredapi: answers with recorded FRED XML."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, url: str) -> io.BytesIO:
        self.urls.append(url)
        parsed = urlparse(url)
        query = parse_qs(parsed.query)
        series_id = query["series_id"][0]
        endpoint = parsed.path.rsplit("/", 1)[-1]
        if series_id == "LIMITED":
            raise self._error(429, "error_429.xml")
        path = API / f"{endpoint}_{series_id}.xml"
        if not path.exists():
            raise self._error(400, "error_400_series_missing.xml")
        return io.BytesIO(path.read_bytes())

    @staticmethod
    def _error(code: int, name: str) -> urllib.error.HTTPError:
        body = io.BytesIO((API / name).read_bytes())
        return urllib.error.HTTPError("https://api.stlouisfed.org/fred", code, "error", {}, body)  # type: ignore[arg-type]


@pytest.fixture
def fred_api(monkeypatch: pytest.MonkeyPatch) -> _RecordedFredApi:
    recorded = _RecordedFredApi()
    monkeypatch.setattr("fredapi.fred.urlopen", recorded)
    return recorded


def test_keyed_observations_through_fredapi(fred_api: _RecordedFredApi) -> None:
    series = FredApiClient(SECRET_KEY).observations("DGS10", date(2014, 6, 30))
    assert series.name == "DGS10"
    assert series.loc["2014-07-03"] == 2.65
    assert pd.isna(series.loc["2014-07-04"])  # FRED's "." stays a missing value
    assert len(series) == 6
    assert "observation_start=2014-06-30" in fred_api.urls[0]


def test_keyed_series_info_through_fredapi(fred_api: _RecordedFredApi) -> None:
    info = FredApiClient(SECRET_KEY).series_info("DGS10")
    row = series_row("DGS10", info, "live", LOADED_AT)
    assert row["title"] == "10-Year Treasury Constant Maturity Rate"
    assert row["frequency_short"] == "D"
    assert row["last_updated_at"] == datetime(2019, 1, 11, 21, 16, 2, tzinfo=UTC)
    assert row["observation_start"] == date(1962, 1, 2)


def test_keyed_unknown_series_and_rate_limit(fred_api: _RecordedFredApi) -> None:
    client = FredApiClient(SECRET_KEY)
    with pytest.raises(NotFoundError, match="NOPE"):
        client.observations("NOPE", date(2014, 1, 1))
    with pytest.raises(RateLimitedError) as caught:
        client.observations("LIMITED", date(2014, 1, 1))
    assert SECRET_KEY not in str(caught.value)


def test_keyed_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(url: str) -> None:
        raise urllib.error.URLError(OSError(-2, "Name or service not known"))

    monkeypatch.setattr("fredapi.fred.urlopen", refuse)
    with pytest.raises(NoNetworkError):
        FredApiClient(SECRET_KEY).observations("DGS10", date(2014, 1, 1))


def test_fredgraph_csv_with_missing_marker() -> None:
    text = (FIXTURES / "fred" / "observations" / "DGS10.csv").read_text()
    series = parse_fredgraph_csv(text, "DGS10")
    assert series.tolist()[:4] == [2.53, 2.58, 2.64, 2.65]
    assert pd.isna(series.loc["2014-07-04"])
    # The older download header (DATE) and empty cells for missing values parse the same.
    old = parse_fredgraph_csv("DATE,DGS10\n2014-07-03,2.65\n2014-07-04,\n", "DGS10")
    assert old.loc["2014-07-03"] == 2.65 and pd.isna(old.loc["2014-07-04"])


@pytest.mark.parametrize(
    "body", ["", "<html><body>Error</body></html>", "date,OTHER\n2014-01-01,1\n"]
)
def test_fredgraph_csv_rejects_malformed_payloads(body: str) -> None:
    with pytest.raises(PayloadError):
        parse_fredgraph_csv(body, "DGS10")


class _Session:
    def __init__(self, status: int, text: str = "", error: Exception | None = None) -> None:
        self.status, self.text, self.error, self.calls = status, text, error, []

    def get(self, url: str, params: dict[str, str], timeout: float) -> requests.Response:
        self.calls.append((url, params))
        if self.error:
            raise self.error
        response = requests.Response()
        response.status_code = self.status
        response._content = self.text.encode()
        return response


def test_keyless_csv_client_asks_fredgraph_from_the_cursor() -> None:
    session = _Session(200, (FIXTURES / "fred" / "observations" / "DGS10.csv").read_text())
    series = FredCsvClient(session).observations("DGS10", date(2014, 6, 30))  # type: ignore[arg-type]
    assert len(series) == 6
    url, params = session.calls[0]
    assert url == "https://fred.stlouisfed.org/graph/fredgraph.csv"
    assert params == {"id": "DGS10", "cosd": "2014-06-30"}


def test_keyless_csv_client_errors() -> None:
    with pytest.raises(RateLimitedError):
        FredCsvClient(_Session(429)).observations("DGS10", date(2014, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        FredCsvClient(_Session(404)).observations("NOPE", date(2014, 1, 1))  # type: ignore[arg-type]
    offline = _Session(0, error=requests.exceptions.ConnectionError("Name or service not known"))
    with pytest.raises(NoNetworkError):
        FredCsvClient(offline).observations("DGS10", date(2014, 1, 1))  # type: ignore[arg-type]


def test_keyless_metadata_for_default_series() -> None:
    info = FredCsvClient().series_info("UNRATE")
    assert info["title"] == "Unemployment Rate"
    assert info["frequency"] == "Monthly"


def test_observation_rows_keep_missing_values_as_null() -> None:
    series = ReplayFredClient(FIXTURES / "fred").observations("DGS10", date(2014, 1, 1))
    rows = observation_rows("DGS10", series, "live", LOADED_AT)
    assert len(rows) == 6
    assert rows["value"].isna().sum() == 1
    assert rows.iloc[4]["observation_date"] == date(2014, 7, 4)
