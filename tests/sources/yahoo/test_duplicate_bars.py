"""A session Yahoo sends twice keeps one copy by rule, not by arrival: the copy whose close is
nearest the neighbouring session's close (a tie: the first as received). Every other copy is
kept in raw_yahoo.prices_daily_rejected as `duplicate_bar` and counted in the run audit, and
the day stays in marts.fct_prices_daily with its real close. Through the real source, dlt,
the run audit and dbt, on DuckDB and on Postgres."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from marketpulse.ingest import runner
from marketpulse.ingest.report import Progress
from marketpulse.warehouse import Warehouse
from tests.conftest import fixture_config, recorded_clients
from tests.sample_warehouses import dbt, execute

SESSIONS = ["2018-12-24", "2018-12-26", "2018-12-27", "2018-12-28", "2018-12-31"]
REAL = {"Open": 155.84, "High": 156.77, "Low": 150.07, "Close": 156.15}
# A bogus copy of Dec 27: its close is a hundredth of the real one (a unit slip).
BOGUS = {**REAL, "Close": 1.5615}
CLOSES = [146.83, 157.17, 156.15, 156.23, 157.74]
CAUTIOUS = ("--indirect-selection", "cautious")


def history(dec27_copies: list[dict[str, float]]) -> pd.DataFrame:
    """Five sessions; Dec 27 once per copy given, in that order (as Yahoo sent them)."""
    rows, days = [], []
    for day, close in zip(SESSIONS, CLOSES, strict=True):
        plain = {"Open": close, "High": close + 1.0, "Low": close - 1.0, "Close": close}
        for bar in dec27_copies if day == "2018-12-27" else [plain]:
            rows.append({**bar, "Adj Close": bar["Close"], "Volume": 40_000_000, "Dividends": 0.0})
            days.append(day)
    rows[0]["Dividends"] = 0.73  # so raw_yahoo.corporate_actions exists for dbt
    index = pd.DatetimeIndex(pd.to_datetime(days), name="Date").tz_localize("America/New_York")
    return pd.DataFrame(rows, index=index).assign(**{"Stock Splits": 0.0})


class Client:
    origin = "recorded"

    def __init__(self, frames: dict[str, pd.DataFrame]) -> None:
        self.frames = frames

    def history(self, symbol: str, start: date, end: date | None = None) -> pd.DataFrame:
        return self.frames[symbol]

    def info(self, symbol: str) -> dict[str, Any]:
        return {
            "longName": symbol,
            "quoteType": "EQUITY",
            "exchangeTimezoneName": "America/New_York",
        }

    def origin_of(self, symbol: str) -> str:
        return "recorded"


FRAMES = {
    "REALFIRST": history([REAL, BOGUS]),  # main's drop_duplicates(keep="last") kept the bogus
    "BOGUSFIRST": history([BOGUS, REAL]),
    "SAME": history([REAL, REAL]),
}


def check(warehouse: Warehouse, tmp: Path) -> None:
    fred = recorded_clients()[1]
    (report,) = runner.run(
        fixture_config(symbols=tuple(FRAMES)),
        warehouse,
        (Client(FRAMES), fred),  # type: ignore[arg-type]
        sources=("yahoo",),
        progress=Progress(quiet=True),
        run_id="h17-duplicates",
    )
    assert report.ok, (report.fatal, report.failed)
    for symbol in FRAMES:
        assert execute(
            warehouse,
            "select trading_date, close from raw_yahoo.prices_daily where symbol = %s"
            " order by trading_date",
            (symbol,),
        ) == [
            (date.fromisoformat(day), close) for day, close in zip(SESSIONS, CLOSES, strict=True)
        ], symbol
    quarantined = execute(
        warehouse,
        "select symbol, trading_date, reason, raw_values from raw_yahoo.prices_daily_rejected"
        " order by symbol",
    )
    assert [(symbol, day, reason) for symbol, day, reason, _ in quarantined] == [
        ("BOGUSFIRST", date(2018, 12, 27), "duplicate_bar"),
        ("REALFIRST", date(2018, 12, 27), "duplicate_bar"),
        ("SAME", date(2018, 12, 27), "duplicate_bar"),
    ]
    assert [json.loads(raw)["Close"] for *_, raw in quarantined] == ["1.5615", "1.5615", "156.15"]
    assert execute(
        warehouse,
        "select source, table_name, reason, rows_quarantined from raw_audit.pipeline_run_quarantine"
        " where run_id = 'h17-duplicates'",
    ) == [("yahoo", "prices_daily_rejected", "duplicate_bar", 3)]
    assert dbt(warehouse, tmp, "build", "--select", "+fct_prices_daily", *CAUTIOUS) == 0
    for symbol in FRAMES:
        assert execute(
            warehouse,
            "select close from marts.fct_prices_daily where symbol = %s and trading_date = %s",
            (symbol, date(2018, 12, 27)),
        ) == [(156.15,)], symbol


def test_duplicate_bars_are_quarantined_and_counted_on_duckdb(
    duckdb_warehouse: Warehouse, tmp_path: Path, runs_dbt: None
) -> None:
    check(duckdb_warehouse, tmp_path)


@pytest.mark.postgres
def test_duplicate_bars_are_quarantined_and_counted_on_postgres(
    postgres_warehouse: Warehouse, tmp_path: Path, runs_dbt: None
) -> None:
    check(postgres_warehouse, tmp_path)
