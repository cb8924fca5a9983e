"""Timezone-naive stamps from a Yahoo client are the exchange's wall time, never UTC: the
session dates in raw_yahoo and in marts.fct_prices_daily are the exchange's dates, whether a
client hands over naive frames or a recorded file was written without offsets. On DuckDB and
on Postgres, through the real sources, dlt and dbt."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from marketpulse.errors import NotFoundError, PayloadError
from marketpulse.ingest import runner
from marketpulse.ingest.report import Progress, SourceReport
from marketpulse.sources.yahoo import yahoo_source
from marketpulse.sources.yahoo.client import ReplayYahooClient, read_history_csv
from marketpulse.sources.yahoo.intraday import yahoo_intraday_source
from marketpulse.warehouse import Warehouse
from tests.sample_warehouses import dbt, execute

SESSIONS = [date(2018, 12, 24), date(2018, 12, 26), date(2018, 12, 27), date(2018, 12, 28)]
CLOSES = [146.83, 157.17, 156.15, 156.23]
# 30-minute bars of the Dec 28 session, as New York wall time (09:30 = 14:30 UTC in winter).
BAR_TIMES = ["2018-12-28 09:30", "2018-12-28 10:00", "2018-12-28 15:30"]
BARS_UTC = [
    datetime(2018, 12, 28, 14, 30, tzinfo=UTC),
    datetime(2018, 12, 28, 15, 0, tzinfo=UTC),
    datetime(2018, 12, 28, 20, 30, tzinfo=UTC),
]
NOW = datetime(2018, 12, 29, 12, 0, tzinfo=UTC)
# Only the tests of the selected models (not those that also read marts left unbuilt).
CAUTIOUS = ("--indirect-selection", "cautious")


def naive_history() -> pd.DataFrame:
    """A yfinance daily frame whose index lost its timezone (midnight, exchange wall time)."""
    index = pd.DatetimeIndex(pd.to_datetime([str(day) for day in SESSIONS]), name="Date")
    return pd.DataFrame(
        {
            "Open": [148.15, 148.30, 155.84, 157.50],
            "High": [151.55, 157.23, 156.77, 158.52],
            "Low": [146.59, 146.72, 150.07, 154.55],
            "Close": CLOSES,
            "Adj Close": CLOSES,
            "Volume": [37169200, 58582500, 53117100, 42291400],
            "Dividends": [0.73, 0.0, 0.0, 0.0],  # corporate_actions exists for dbt
            "Stock Splits": [0.0] * 4,
        },
        index=index,
    )


def naive_intraday() -> pd.DataFrame:
    index = pd.DatetimeIndex(pd.to_datetime(BAR_TIMES), name="Datetime")
    bar = {"Open": 157.5, "High": 158.0, "Low": 157.0, "Close": 157.8, "Adj Close": 157.8}
    return pd.DataFrame([{**bar, "Volume": 1000} for _ in BAR_TIMES], index=index)


class NaiveClient:
    """A client that returns yfinance's frames with the timezone stripped from the index."""

    origin = "recorded"

    def __init__(self, info: dict[str, Any] | None) -> None:
        self._info = info

    def history(self, symbol: str, start: date, end: date | None = None) -> pd.DataFrame:
        return naive_history()

    def intraday(self, symbol: str, start: date) -> pd.DataFrame:
        return naive_intraday()

    def info(self, symbol: str) -> dict[str, Any]:
        if self._info is None:
            raise NotFoundError(f"{symbol}: Yahoo has no metadata for this symbol")
        return {"longName": symbol, "quoteType": "EQUITY", **self._info}

    def origin_of(self, symbol: str) -> str:
        return "recorded"

    def intraday_origin_of(self, symbol: str) -> str:
        return "recorded"


def load(warehouse: Warehouse, client: Any, symbol: str) -> list[SourceReport]:
    quiet = Progress(quiet=True)
    reports = [
        runner.run_source(
            "yahoo", lambda report: yahoo_source([symbol], client, report, quiet), warehouse
        ),
        runner.run_source(
            "intraday",
            lambda report: yahoo_intraday_source(
                [symbol], client, report, quiet, start_date=SESSIONS[0], clock=lambda: NOW
            ),
            warehouse,
        ),
    ]
    for report in reports:  # a symbol without metadata still loads its prices
        assert report.fatal is None and report.loaded == [symbol], (report.fatal, report.failed)
        assert all(reason.startswith("metadata: ") for reason in report.failed.values())
    return reports


def raw_dates(warehouse: Warehouse, symbol: str) -> list[date]:
    return [
        row[0]
        for row in execute(
            warehouse,
            "select trading_date from raw_yahoo.prices_daily where symbol = %s"
            " order by trading_date",
            (symbol,),
        )
    ]


def raw_bars(warehouse: Warehouse, symbol: str) -> list[tuple[datetime, date]]:
    return [
        (row[0].astimezone(UTC), row[1])
        for row in execute(
            warehouse,
            "select bar_start_at, session_date from raw_yahoo.prices_intraday"
            " where symbol = %s order by bar_start_at",
            (symbol,),
        )
    ]


def written_without_offsets(folder: Path) -> ReplayYahooClient:
    """A recorded folder whose CSVs were written from naive frames (no UTC offsets)."""
    (folder / "yahoo" / "history").mkdir(parents=True)
    (folder / "yahoo_intraday").mkdir()
    naive_history().to_csv(folder / "yahoo" / "history" / "FILE.csv")
    naive_intraday().to_csv(folder / "yahoo_intraday" / "FILE.csv")
    (folder / "yahoo" / "info.json").write_text(
        '{"FILE": {"longName": "FILE", "quoteType": "EQUITY",'
        ' "exchangeTimezoneName": "America/New_York"}}'
    )
    return ReplayYahooClient(folder / "yahoo", origin="recorded")


def check(warehouse: Warehouse, tmp: Path) -> None:
    # Read as UTC, these stamps were 19:00 on the day before in New York.
    load(warehouse, written_without_offsets(tmp / "recorded"), "FILE")
    assert raw_dates(warehouse, "FILE") == SESSIONS
    load(warehouse, NaiveClient({"exchangeTimezoneName": "America/New_York"}), "NAIVE")
    load(warehouse, NaiveClient(None), "NOMETA")  # no metadata: America/New_York
    for symbol in ("FILE", "NAIVE", "NOMETA"):
        assert raw_dates(warehouse, symbol) == SESSIONS, symbol
        assert raw_bars(warehouse, symbol) == [(at, date(2018, 12, 28)) for at in BARS_UTC]
    assert dbt(warehouse, tmp, "build", "--select", "+fct_prices_daily", *CAUTIOUS) == 0
    for symbol in ("FILE", "NAIVE", "NOMETA"):
        rows = execute(
            warehouse,
            "select trading_date, close from marts.fct_prices_daily where symbol = %s"
            " order by trading_date",
            (symbol,),
        )
        assert [(day, round(close, 2)) for day, close in rows] == list(
            zip(SESSIONS, CLOSES, strict=True)
        ), symbol


def test_naive_stamps_are_exchange_dates_on_duckdb(
    duckdb_warehouse: Warehouse, tmp_path: Path, runs_dbt: None
) -> None:
    check(duckdb_warehouse, tmp_path)


@pytest.mark.postgres
def test_naive_stamps_are_exchange_dates_on_postgres(
    postgres_warehouse: Warehouse, tmp_path: Path, runs_dbt: None
) -> None:
    check(postgres_warehouse, tmp_path)


def test_a_tokyo_listing_is_localised_to_tokyo(duckdb_warehouse: Warehouse) -> None:
    # 09:00 in Tokyo is midnight UTC: read as UTC it would be the same date by luck, so the
    # intraday bars tell: 09:00 Tokyo = 00:00 UTC.
    load(duckdb_warehouse, NaiveClient({"exchangeTimezoneName": "Asia/Tokyo"}), "TOKYO")
    assert raw_dates(duckdb_warehouse, "TOKYO") == SESSIONS
    (first, _) = raw_bars(duckdb_warehouse, "TOKYO")[0]
    assert first == datetime(2018, 12, 28, 0, 30, tzinfo=UTC)
    assert execute(
        duckdb_warehouse,
        "select distinct exchange_timezone from raw_yahoo.prices_daily where symbol = 'TOKYO'",
    ) == [("Asia/Tokyo",)]


def test_a_wall_time_that_does_not_exist_is_refused_in_one_line(tmp_path: Path) -> None:
    # 02:30 on 2018-03-11 never happened in New York (clocks jumped from 02:00 to 03:00).
    path = tmp_path / "GAP.csv"
    frame = naive_intraday()
    frame.index = pd.DatetimeIndex(pd.to_datetime(["2018-03-11 02:30"] * 3), name="Datetime")
    frame.to_csv(path)
    with pytest.raises(PayloadError, match=r"GAP\.csv: .*2018-03-11 02:30"):
        read_history_csv(path, "America/New_York", index_name="Datetime")
