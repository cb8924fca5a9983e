"""The FRED boundary: the JSON API on recorded ALFRED payloads (every vintage), fredapi on
recorded metadata XML, the keyless CSV, and the rows built above it."""

from __future__ import annotations

import io
import json
import urllib.error
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest
import requests

from marketpulse.errors import NoNetworkError, NotFoundError, PayloadError, RateLimitedError
from marketpulse.sources.fred import observation_rows, series_row
from marketpulse.sources.fred.client import (
    FredApiClient,
    FredCsvClient,
    ReplayFredClient,
    parse_alfred_json,
    parse_fredgraph_csv,
)
from tests.conftest import FIXTURES
from tests.sources.fred.recorded_fred import RecordedFredJson

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


def keyed(session: RecordedFredJson, key: str = SECRET_KEY) -> FredApiClient:
    return FredApiClient(key, session=session)  # type: ignore[arg-type]


def test_keyed_observations_carry_every_vintage() -> None:
    session = RecordedFredJson()
    vintages = keyed(session).observations("CPIAUCSL", date(2017, 11, 1))
    # November 2017: first release, the February 2018 seasonal revision, and February 2019's.
    november = vintages[vintages["observation_date"] == date(2017, 11, 1)]
    assert november["value"].tolist() == [246.669, 246.626, 246.435]
    assert november["realtime_start"].tolist() == [
        date(2017, 12, 13),
        date(2018, 2, 14),
        date(2019, 2, 13),
    ]
    assert november["realtime_end"].tolist() == [
        date(2018, 2, 13),
        date(2019, 2, 12),
        date(9999, 12, 31),
    ]
    assert len(vintages) == 7
    (dates_url, dates), (url, params) = session.calls
    assert dates_url == "https://api.stlouisfed.org/fred/series/vintagedates"
    assert dates["realtime_start"] == "2017-11-01" and dates["file_type"] == "json"
    assert url == "https://api.stlouisfed.org/fred/series/observations"
    assert params["file_type"] == "json"
    assert params["observation_start"] == "2017-11-01"
    assert (params["realtime_start"], params["realtime_end"]) == ("2017-11-01", "9999-12-31")


def test_keyed_observations_page_through_fred_limit() -> None:
    session = RecordedFredJson(page_limit=3)
    vintages = keyed(session).observations("CPIAUCSL", date(2017, 11, 1))
    assert len(vintages) == 7
    pages = [params["offset"] for url, params in session.calls if url.endswith("observations")]
    assert pages == ["0", "3", "6"]
    assert not vintages.duplicated(["observation_date", "realtime_start"]).any()


def test_keyed_observations_cut_the_real_time_axis_at_fred_vintage_cap() -> None:
    """FRED refuses a real-time period with more than 2,000 vintage dates (every daily
    series): with a cap of 2 here, four vintage dates take two windows, and the rows FRED
    clips at the boundary (2018-02-14) are stitched back into one vintage each."""
    whole = keyed(RecordedFredJson()).observations("CPIAUCSL", date(2017, 11, 1))
    session = RecordedFredJson(max_vintage_dates=2)
    with pytest.raises(NotFoundError, match="exceeds the maximum number of vintage dates"):
        keyed(session).observations("CPIAUCSL", date(2017, 11, 1))
    session = RecordedFredJson(max_vintage_dates=2)
    client = FredApiClient(SECRET_KEY, session=session, max_vintage_dates=2)  # type: ignore[arg-type]
    windows = client.observations("CPIAUCSL", date(2017, 11, 1))
    asked = [
        (params["realtime_start"], params["realtime_end"])
        for url, params in session.calls
        if url.endswith("observations")
    ]
    assert asked == [("2017-11-01", "2018-02-13"), ("2018-02-14", "9999-12-31")]
    pd.testing.assert_frame_equal(windows.reset_index(drop=True), whole.reset_index(drop=True))

    # A daily series: each value stays current across every later window, so FRED returns
    # it clipped once per window: windows ..07-02, 07-03..07-07 and 07-08.. return 2 + 5 + 6
    # rows, which stitching joins back into the 6 vintages.
    session = RecordedFredJson(max_vintage_dates=2)
    client = FredApiClient(SECRET_KEY, session=session, max_vintage_dates=2)  # type: ignore[arg-type]
    daily = client.observations("DGS10", date(2014, 6, 30))
    clipped = sum(
        len(json.loads(session.get(url, params, 1).text)["observations"])
        for url, params in list(session.calls)
        if url.endswith("observations")
    )
    assert clipped == 13
    expected = keyed(RecordedFredJson()).observations("DGS10", date(2014, 6, 30))
    pd.testing.assert_frame_equal(daily.reset_index(drop=True), expected.reset_index(drop=True))
    assert set(daily["realtime_end"]) == {date(9999, 12, 31)}


def test_keyed_missing_marker_and_empty_payload() -> None:
    vintages = keyed(RecordedFredJson()).observations("DGS10", date(2014, 6, 30))
    holiday = vintages[vintages["observation_date"] == date(2014, 7, 4)]
    assert len(holiday) == 1 and pd.isna(holiday["value"].iloc[0])  # "." kept, as NaN
    assert vintages["value"].count() == 5
    empty = keyed(RecordedFredJson()).observations("EMPTY", date(2030, 1, 1))
    assert empty.empty and list(empty.columns) == [
        "observation_date",
        "realtime_start",
        "realtime_end",
        "value",
    ]


def test_a_keyed_value_that_is_not_a_number_is_handed_on_with_its_text() -> None:
    vintages = keyed(RecordedFredJson()).observations("MALFORMED_VALUE", date(2017, 1, 1))
    odd = vintages[vintages["unreadable_value"].notna()]
    assert odd["unreadable_value"].tolist() == ["n/a"] and odd["value"].isna().all()
    assert vintages["unreadable_value"].isna().sum() == len(vintages) - 1


@pytest.mark.parametrize(
    ("series_id", "message"),
    [
        ("MALFORMED_DATE", "malformed FRED observation"),
        ("HTML", "FRED sent no JSON"),
    ],
)
def test_keyed_malformed_payloads_are_payload_errors(series_id: str, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        keyed(RecordedFredJson()).observations(series_id, date(2017, 1, 1))


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"error_code": 500},
        {"observations": [{"date": "2018-01-01", "value": "1.0"}]},
        {
            "observations": [
                {
                    "realtime_start": "2018-02-14",
                    "realtime_end": "2018-01-01",
                    "date": "2018-01-01",
                    "value": "1",
                }
            ]
        },
        {
            "observations": [
                {
                    "realtime_start": "2018-02-14",
                    "realtime_end": "9999-12-31",
                    "date": "2018-01-01",
                    "value": "1",
                },
                {
                    "realtime_start": "2018-02-14",
                    "realtime_end": "9999-12-31",
                    "date": "2018-01-01",
                    "value": "2",
                },
            ]
        },
    ],
)
def test_alfred_json_shapes_we_refuse(payload: object) -> None:
    with pytest.raises(PayloadError):
        parse_alfred_json(payload, "CPIAUCSL")


def test_keyed_errors_name_no_key() -> None:
    with pytest.raises(NotFoundError, match="NOPE: unknown series"):
        keyed(RecordedFredJson()).observations("NOPE", date(2014, 1, 1))
    with pytest.raises(RateLimitedError) as caught:
        keyed(RecordedFredJson()).observations("LIMITED", date(2014, 1, 1))
    assert SECRET_KEY not in str(caught.value)
    with pytest.raises(NotFoundError, match="rejected the API key"):
        keyed(RecordedFredJson(), key="bad").observations("CPIAUCSL", date(2014, 1, 1))
    url_with_key = f"https://api.stlouisfed.org/fred/series/observations?api_key={SECRET_KEY}"
    offline = RecordedFredJson(error=requests.exceptions.ConnectionError(url_with_key))
    with pytest.raises(NoNetworkError) as caught_offline:
        keyed(offline).observations("DGS10", date(2014, 1, 1))
    assert SECRET_KEY not in str(caught_offline.value)
    # No chained exception keeps requests' message (with the key): dlt's trace records chains.
    assert caught_offline.value.__cause__ is None and caught_offline.value.__context__ is None


def test_revision_rows_keep_vintages_apart() -> None:
    vintages = keyed(RecordedFredJson()).observations("CPIAUCSL", date(2017, 11, 1))
    rows = observation_rows("CPIAUCSL", vintages, "live", LOADED_AT, date(2024, 1, 2))
    assert len(rows) == 7 and not rows["is_first_seen_stamp"].any()
    assert rows[["series_id", "observation_date", "realtime_start"]].duplicated().sum() == 0


def test_keyed_series_info_through_fredapi(fred_api: _RecordedFredApi) -> None:
    info = FredApiClient(SECRET_KEY).series_info("DGS10")
    row = series_row("DGS10", info, "live", LOADED_AT)
    assert row["title"] == "10-Year Treasury Constant Maturity Rate"
    assert row["frequency_short"] == "D"
    assert row["last_updated_at"] == datetime(2019, 1, 11, 21, 16, 2, tzinfo=UTC)
    assert row["observation_start"] == date(1962, 1, 2)


def test_keyed_series_info_unknown_series(fred_api: _RecordedFredApi) -> None:
    with pytest.raises(NotFoundError, match="NOPE"):
        FredApiClient(SECRET_KEY).series_info("NOPE")
    with pytest.raises(RateLimitedError) as caught:
        FredApiClient(SECRET_KEY).series_info("LIMITED")
    assert SECRET_KEY not in str(caught.value)


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
    vintages = FredCsvClient(session).observations("DGS10", date(2014, 6, 30))  # type: ignore[arg-type]
    assert len(vintages) == 6
    # fredgraph.csv has the latest values only: no real-time period to report.
    assert vintages["realtime_start"].isna().all() and vintages["realtime_end"].isna().all()
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


def test_keyless_rows_are_stamped_first_seen() -> None:
    vintages = ReplayFredClient(FIXTURES / "fred").observations("DGS10", date(2014, 1, 1))
    rows = observation_rows("DGS10", vintages, "live", LOADED_AT, date(2024, 1, 2))
    assert len(rows) == 6
    assert rows["value"].isna().sum() == 1  # "." kept as a NULL value
    assert rows.iloc[4]["observation_date"] == date(2014, 7, 4)
    assert set(rows["realtime_start"]) == {date(2024, 1, 2)}
    assert set(rows["realtime_end"]) == {date(9999, 12, 31)}
    assert rows["is_first_seen_stamp"].all()


def test_keyless_values_already_seen_are_not_stamped_again() -> None:
    vintages = ReplayFredClient(FIXTURES / "fred").observations("DGS10", date(2014, 1, 1))
    seen = {"DGS10": {"2014-07-03": 2.65, "2014-07-04": None, "2014-07-07": 2.60}}
    rows = observation_rows("DGS10", vintages, "live", LOADED_AT, date(2024, 1, 3), seen)
    # 07-03 and the missing 07-04 were seen with these values; 07-07 was revised 2.60 -> 2.62.
    assert [d.isoformat() for d in rows["observation_date"]] == [
        "2014-06-30",
        "2014-07-01",
        "2014-07-02",
        "2014-07-07",
    ]
    assert rows.iloc[3]["value"] == 2.62 and rows.iloc[3]["realtime_start"] == date(2024, 1, 3)


def test_replayed_sample_vintages_label_simulated_revisions() -> None:
    client = ReplayFredClient(FIXTURES.parent.parent / "sample_data" / "fred", origin="sample")
    vintages = client.observations("CPILFESL", date(2018, 1, 1))
    latest = vintages["realtime_end"] == date(9999, 12, 31)
    assert set(vintages.loc[latest, "data_origin"]) == {"sample_real"}
    assert set(vintages.loc[~latest, "data_origin"]) == {"sample_simulated"}
