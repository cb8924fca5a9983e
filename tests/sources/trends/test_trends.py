"""Google Trends: pytrends' frames in their real shape, the live client above a recorded
Google answer, 429 handling, and isolation of a trends failure from the other sources."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any, ClassVar

import duckdb
import pandas as pd
import pytest
import requests

from marketpulse.errors import PayloadError, RateLimitedError
from marketpulse.ingest import runner
from marketpulse.ingest.config import validate_geo, validate_keywords, validate_timeframe
from marketpulse.ingest.report import Progress
from marketpulse.retry import RetryPolicy
from marketpulse.sources.fred.client import ReplayFredClient
from marketpulse.sources.news.client import ReplayNewsClient
from marketpulse.sources.trends import interest_rows, rejected_interest_rows
from marketpulse.sources.trends.client import PyTrendsClient, ReplayTrendsClient, read_interest_csv
from marketpulse.sources.yahoo.client import ReplayYahooClient
from marketpulse.warehouse import ConfigError, Warehouse
from tests.conftest import FIXTURES, fixture_config

GOOGLE = FIXTURES / "trends" / "google"
FAST = RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0)
LOADED_AT = datetime(2018, 11, 20, tzinfo=UTC)


class FakeResponse:
    def __init__(self, status: int, text: str = "") -> None:
        self.status_code = status
        self.text = text
        self.headers = {"Content-Type": "application/json; charset=utf-8"}
        self.cookies = requests.cookies.RequestsCookieJar()
        self.cookies.set("NID", "511=recorded")


class RecordedGoogle:
    """Stands in for `requests` inside pytrends: answers its explore and multiline calls
    with recorded Google payloads, or with the statuses queued in `statuses`."""

    statuses: ClassVar[list[int]] = []
    calls: ClassVar[list[str]] = []

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.proxies: dict[str, str] = {}

    def mount(self, *args: Any) -> None:
        return None

    def _answer(self, url: str) -> FakeResponse:
        RecordedGoogle.calls.append(url.rsplit("/", 1)[-1])
        if RecordedGoogle.statuses:
            return FakeResponse(RecordedGoogle.statuses.pop(0), "<html>Too Many Requests</html>")
        name = "explore.txt" if url.endswith("/explore") else "multiline.txt"
        return FakeResponse(200, (GOOGLE / name).read_text())

    def get(self, url: str, **kwargs: Any) -> FakeResponse:
        return self._answer(url)

    def post(self, url: str, **kwargs: Any) -> FakeResponse:
        return self._answer(url)


@pytest.fixture
def recorded_google(monkeypatch: pytest.MonkeyPatch) -> type[RecordedGoogle]:
    import pytrends.request

    RecordedGoogle.statuses, RecordedGoogle.calls = [], []
    monkeypatch.setattr(pytrends.request.requests, "session", RecordedGoogle)
    monkeypatch.setattr(pytrends.request.requests, "get", lambda url, **kw: FakeResponse(200))
    return RecordedGoogle


def test_live_client_parses_google_answer_into_pytrends_frame(recorded_google) -> None:
    frame = PyTrendsClient().interest_over_time(("recession", "inflation"), "US", "today 3-m")
    assert list(frame.columns) == ["recession", "inflation", "isPartial"]
    assert frame.index.name == "date"
    assert list(frame.index.date) == [
        date(2018, 10, 28),
        date(2018, 11, 4),
        date(2018, 11, 11),
        date(2018, 11, 18),
    ]
    assert frame["recession"].tolist() == [23, 31, 100, 64]
    assert frame["isPartial"].tolist() == [False, False, False, True]
    # The same frame as the recording of it that the replay client reads.
    recorded = read_interest_csv(FIXTURES / "trends" / "interest_over_time_partial.csv")
    pd.testing.assert_frame_equal(
        frame.astype({"recession": "int64", "inflation": "int64"}),
        recorded,
        check_freq=False,
        check_index_type=False,
    )


def test_live_client_translates_google_429(recorded_google) -> None:
    recorded_google.statuses = [429]
    with pytest.raises(RateLimitedError, match="HTTP 429"):
        PyTrendsClient().interest_over_time(("recession",), "US", "today 3-m")


def test_429_then_success_is_retried_and_loads(
    recorded_google, duckdb_warehouse: Warehouse
) -> None:
    recorded_google.statuses = [429, 429]  # the first two explore calls are refused
    reports = runner.run(
        fixture_config(trends_keywords=("recession", "inflation")),
        duckdb_warehouse,
        _clients(trends=PyTrendsClient()),
        sources=("trends",),
        progress=Progress(quiet=True),
        retry=FAST,
    )
    assert reports[0].ok, reports[0]
    assert recorded_google.calls.count("explore") == 3
    rows = _query(
        duckdb_warehouse,
        "select keyword, observed_date, interest_score, is_partial, data_origin"
        " from raw_trends.interest_over_time order by keyword, observed_date",
    )
    assert rows[:4] == [
        ("inflation", date(2018, 10, 28), 41, False, "live"),
        ("inflation", date(2018, 11, 4), 44, False, "live"),
        ("inflation", date(2018, 11, 11), 52, False, "live"),
        ("inflation", date(2018, 11, 18), 0, True, "live"),
    ]
    assert rows[6] == ("recession", date(2018, 11, 11), 100, False, "live")


def test_trends_failing_marks_only_trends_failed(
    recorded_google, duckdb_warehouse: Warehouse
) -> None:
    recorded_google.statuses = [429] * 10  # more than the retries
    reports = runner.run(
        fixture_config(trends_keywords=("recession",), news_symbols=("AAPL",)),
        duckdb_warehouse,
        _clients(trends=PyTrendsClient()),
        progress=Progress(quiet=True),
        retry=FAST,
    )
    by_source = {report.source: report for report in reports}
    assert list(by_source) == ["yahoo", "fred", "trends", "news"]
    assert not by_source["trends"].ok
    assert "rate limited by Google Trends (HTTP 429)" in by_source["trends"].failed["recession"]
    assert all(by_source[name].ok for name in ("yahoo", "fred", "news"))
    assert _query(duckdb_warehouse, "select count(*) from raw_yahoo.prices_daily")[0][0] == 12
    assert _query(duckdb_warehouse, "select count(*) from raw_news.headlines")[0][0] > 0


def test_replayed_frame_becomes_long_rows_with_is_partial() -> None:
    client = ReplayTrendsClient(FIXTURES / "trends", origin="recorded")
    frame = read_interest_csv(FIXTURES / "trends" / "interest_over_time_partial.csv")
    rows = interest_rows(frame, ("recession", "inflation"), "US", "today 3-m", "live", LOADED_AT)
    assert len(rows) == 8
    last = rows[(rows.keyword == "recession") & (rows.observed_date == date(2018, 11, 18))]
    assert last[["interest_score", "is_partial"]].values.tolist() == [[64, True]]
    assert client.origin_of("recession") == "recorded_real"


def test_empty_answer_is_no_rows_not_an_error() -> None:
    rows = interest_rows(pd.DataFrame(), ("recession",), "US", "today 3-m", "live", LOADED_AT)
    assert rows.empty


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"inflation": [1]}, index=pd.to_datetime(["2018-01-07"])), "recession"),
        (
            pd.DataFrame({"recession": [1]}, index=pd.to_datetime(["2018-01-07"])),
            "no isPartial",
        ),
        (pd.DataFrame({"recession": [5], "isPartial": [False]}, index=["not a date"]), "date"),
    ],
)
def test_malformed_frames_are_payload_errors(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        interest_rows(frame, ("recession",), "US", "today 3-m", "live", LOADED_AT)


def test_a_bad_point_is_quarantined_and_the_others_kept() -> None:
    frame = pd.DataFrame(
        {"recession": [101, 5, None, 7], "isPartial": [False, "maybe", False, False]},
        index=pd.to_datetime(["2018-01-07", "2018-01-14", "2018-01-21", "2018-01-28"]),
    )
    rows = interest_rows(frame, ("recession",), "US", "today 3-m", "live", LOADED_AT)
    assert rows[["observed_date", "interest_score"]].values.tolist() == [[date(2018, 1, 28), 7]]
    rejected = rejected_interest_rows(frame, ("recession",), "US", "today 3-m", "live", LOADED_AT)
    assert rejected[["observed_date", "reason"]].values.tolist() == [
        [date(2018, 1, 7), "interest score not in 0..100"],
        [date(2018, 1, 14), "isPartial is not True/False"],
        [date(2018, 1, 21), "no interest score"],
    ]
    assert json.loads(rejected["raw_values"].iloc[1]) == {
        "date": "2018-01-14 00:00:00",
        "recession": "5.0",
        "isPartial": "maybe",
    }


def test_config_validation_rejects_bad_keywords_geo_timeframe() -> None:
    assert validate_keywords(["  stock   market crash "]) == ("stock market crash",)
    assert validate_geo("us-ca") == "US-CA"
    assert validate_timeframe("2018-01-01 2018-12-31") == "2018-01-01 2018-12-31"
    for bad in (["recession'; drop table x; --"], ["a" * 101], [""]):
        with pytest.raises(ConfigError, match="not a valid Google Trends keyword"):
            validate_keywords(bad)
    with pytest.raises(ConfigError, match="geo"):
        validate_geo("USA")
    with pytest.raises(ConfigError, match="timeframe"):
        validate_timeframe("today 5 years")


def _clients(trends):  # type: ignore[no-untyped-def]
    return (
        ReplayYahooClient(FIXTURES / "yahoo", origin="recorded"),
        ReplayFredClient(FIXTURES / "fred", origin="recorded"),
        trends,
        ReplayNewsClient(FIXTURES / "news", origin="recorded"),
    )


def _query(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()
