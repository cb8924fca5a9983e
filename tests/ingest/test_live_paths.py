"""The live clients end to end: yfinance and fredapi run for real above a recorded network.

Only `yfinance.Ticker` (whose HTTP goes through curl_cffi) and fredapi's `urlopen` are replaced,
by objects answering with recorded payloads; everything above runs as `make ingest` runs it.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import duckdb
import pandas as pd
import pytest

from marketpulse.ingest import runner
from marketpulse.ingest.report import Progress
from marketpulse.retry import RetryPolicy
from marketpulse.sources.yahoo.client import ReplayYahooClient
from marketpulse.warehouse import Warehouse
from tests.conftest import FIXTURES, fixture_config
from tests.sources.fred.recorded_fred import RecordedFredJson

RECORDED = ReplayYahooClient(FIXTURES / "yahoo", origin="live")


class RecordedTicker:
    """Answers like `yfinance.Ticker` from recorded frames and info dicts."""

    requests: ClassVar[list[tuple[str, dict[str, object]]]] = []

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol

    def history(self, **kwargs: object) -> pd.DataFrame:
        RecordedTicker.requests.append((self.symbol, kwargs))
        return RECORDED.history(self.symbol, date.fromisoformat(str(kwargs["start"])))

    @property
    def info(self) -> dict[str, object]:
        return RECORDED.info(self.symbol)


def recorded_fred_api(url: str) -> io.BytesIO:
    parsed = urlparse(url)
    series_id = parse_qs(parsed.query)["series_id"][0]
    endpoint = parsed.path.rsplit("/", 1)[-1]
    return io.BytesIO((FIXTURES / "fred" / "api" / f"{endpoint}_{series_id}.xml").read_bytes())


def test_live_clients_load_recorded_payloads(
    monkeypatch: pytest.MonkeyPatch, duckdb_warehouse: Warehouse
) -> None:
    import yfinance

    monkeypatch.setattr(yfinance, "Ticker", RecordedTicker)
    monkeypatch.setattr("fredapi.fred.urlopen", recorded_fred_api)
    fred_json = RecordedFredJson()
    monkeypatch.setattr(
        "requests.Session.get",
        lambda _session, url, params, timeout: fred_json.get(url, params, timeout),
    )
    RecordedTicker.requests = []
    config = fixture_config(series=("DGS10",), fred_api_key="0123456789abcdef0123456789abcdef")
    clients = runner.live_clients(config)
    assert type(clients[1]).__name__ == "FredApiClient"
    reports = runner.run(
        config,
        duckdb_warehouse,
        clients,
        sources=(
            "yahoo",
            "fred",
        ),  # trends and news: tests/sources/trends/test_trends.py, test_news.py
        progress=Progress(quiet=True),
        retry=RetryPolicy(attempts=1),
    )
    assert all(report.ok for report in reports), reports

    # yfinance was asked for raw prices and the actions, from the configured start.
    symbol, kwargs = RecordedTicker.requests[0]
    assert symbol == "AAPL"
    assert kwargs["auto_adjust"] is False and kwargs["actions"] is True
    assert kwargs["start"] == "2014-01-01" and kwargs["interval"] == "1d"

    with duckdb.connect(str(duckdb_warehouse.duckdb_path), read_only=True) as connection:
        prices = connection.execute(
            "select symbol, count(*), min(data_origin) from raw_yahoo.prices_daily group by 1 order by 1"
        ).fetchall()
        assert prices == [("AAPL", 8, "live"), ("SPY", 4, "live")]
        fred = connection.execute(
            "select count(*), count(value), min(realtime_start), bool_or(is_first_seen_stamp)"
            " from raw_fred.observations where series_id = 'DGS10'"
        ).fetchall()
        assert fred == [(6, 5, date(2014, 7, 1), False)]  # ALFRED's real-time periods
        assert fred_json.calls[0][1]["file_type"] == "json"
        series = connection.execute(
            "select title, frequency_short, last_updated_at from raw_fred.series"
        ).fetchall()
        assert series[0][0] == "10-Year Treasury Constant Maturity Rate"
        assert series[0][1] == "D"
        assert series[0][2].astimezone(UTC) == datetime(2019, 1, 11, 21, 16, 2, tzinfo=UTC)
