"""Faults and bad input at the client boundary, on DuckDB and Postgres: nothing lost, nothing
doubled, one clear line per failure."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import closing, redirect_stderr, redirect_stdout
from datetime import date
from pathlib import Path
from typing import Any

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest

from marketpulse import cli
from marketpulse.errors import RateLimitedError, TransientError
from marketpulse.ingest import runner
from marketpulse.ingest.report import Progress
from marketpulse.retry import RetryPolicy
from marketpulse.sources.fred.client import ReplayFredClient, latest_only, parse_fredgraph_csv
from marketpulse.sources.yahoo.client import ReplayYahooClient
from marketpulse.warehouse import Warehouse
from tests.conftest import FIXTURES, SAMPLE, fixture_config, fresh_postgres_database

FAST = RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0)
SIX = ("AAPL", "MSFT", "NVDA", "GOOGL", "META", "SPY")
RECENT = date(2018, 11, 1)  # sample data ends 2018-12-31: 40 sessions per symbol


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    if request.param == "duckdb":
        yield Warehouse.from_env(
            {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(tmp_path / "wh.duckdb")}
        )
        return
    admin = request.getfixturevalue("postgres_admin_db")
    with fresh_postgres_database(admin) as pg:
        yield pg


def rows(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    with closing(warehouse.connect()) as connection:
        cursor = connection.cursor()
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]


def column_types(warehouse: Warehouse, schema: str, table: str) -> dict[str, str]:
    found = rows(
        warehouse,
        "select column_name, data_type from information_schema.columns"
        f" where table_schema = '{schema}' and table_name = '{table}'",
    )
    return {name: kind.lower() for name, kind in found}


class Sample(ReplayYahooClient):
    """The bundled sample, with per-symbol faults injected at the client boundary."""

    def __init__(self) -> None:
        super().__init__(SAMPLE / "yahoo", origin="recorded")
        self.calls: dict[str, int] = {}

    def history(self, symbol: str, start: date, end: date | None = None) -> pd.DataFrame:
        self.calls[symbol] = self.calls.get(symbol, 0) + 1
        return self.fault(symbol, super().history(symbol, start, end))

    def fault(self, symbol: str, frame: pd.DataFrame) -> pd.DataFrame:
        return frame


def run(warehouse: Warehouse, yahoo: ReplayYahooClient, **config: Any):  # type: ignore[no-untyped-def]
    settings = {"symbols": SIX, "yahoo_start": RECENT, "series": ("DGS10",), **config}
    return runner.run(
        fixture_config(**settings),
        warehouse,
        (yahoo, ReplayFredClient(FIXTURES / "fred", origin="recorded")),
        progress=Progress(quiet=True),
        retry=FAST,
    )


class TwiceRateLimited(Sample):
    def fault(self, symbol: str, frame: pd.DataFrame) -> pd.DataFrame:
        if self.calls[symbol] <= 2:
            raise RateLimitedError(f"{symbol}: rate limited by Yahoo (HTTP 429)")
        return frame


def test_429_twice_then_data_is_retried_and_loaded_once(warehouse: Warehouse) -> None:
    client = TwiceRateLimited()
    yahoo, fred = run(warehouse, client)
    assert yahoo.ok and fred.ok
    assert client.calls == dict.fromkeys(SIX, 3)
    # Independent reference: NYSE sessions 2018-11-01..12-31 (incl. the 2018-12-05 closure).
    assert len(xcals.get_calendar("XNYS").sessions_in_range("2018-11-01", "2018-12-31")) == 40
    assert rows(
        warehouse,
        "select count(*), count(distinct symbol || cast(trading_date as varchar(10)))"
        " from raw_yahoo.prices_daily",
    ) == [(6 * 40, 6 * 40)]


class Down(Sample):
    """A provider that is down: a timeout, a 503, a timeout, ... (the last attempt: 503)."""

    def fault(self, symbol: str, frame: pd.DataFrame) -> pd.DataFrame:
        if self.calls[symbol] % 2:
            raise TransientError(f"{symbol}: Yahoo answered HTTP 503")
        raise TransientError(f"{symbol}: Yahoo timed out")

    def info(self, symbol: str) -> dict[str, Any]:
        raise AssertionError("metadata of a failed symbol must not be fetched")


def test_a_source_that_keeps_failing_trips_the_circuit_and_the_others_load(
    warehouse: Warehouse,
) -> None:
    client = Down()
    yahoo, fred = run(warehouse, client)
    # 3 symbols x 3 attempts, then the circuit is open: the other 3 are never called.
    assert client.calls == {"AAPL": 3, "MSFT": 3, "NVDA": 3}
    assert yahoo.failed == {
        "AAPL": "Yahoo answered HTTP 503",
        "MSFT": "Yahoo answered HTTP 503",
        "NVDA": "Yahoo answered HTTP 503",
        **{
            symbol: "skipped, yahoo circuit open after 3 consecutive failures "
            "(last: NVDA: Yahoo answered HTTP 503)"
            for symbol in ("GOOGL", "META", "SPY")
        },
    }
    assert fred.ok and rows(warehouse, "select count(*) from raw_fred.observations") == [(6,)]
    assert rows(
        warehouse,
        "select item, reason from raw_audit.pipeline_run_failures where item = 'SPY'",
    ) == [("SPY", yahoo.failed["SPY"])]


def test_the_cli_reports_one_line_per_failure_and_a_partial_run_exits_0(
    duckdb_warehouse: Warehouse,
) -> None:
    out, err = io.StringIO(), io.StringIO()
    config = fixture_config(symbols=SIX, yahoo_start=RECENT, series=("DGS10",))
    fred = ReplayFredClient(FIXTURES / "fred", origin="recorded")
    with redirect_stdout(out), redirect_stderr(err):
        code = cli._ingest(config, duckdb_warehouse, (Down(), fred), ("yahoo", "fred"), quiet=True)
    assert code == 0  # fred loaded: a partial run (ADR 0029); nothing loaded would be 1
    lines = out.getvalue().splitlines()
    assert lines[0] == "yahoo: 6 failed; 0 loaded; rows: none"
    assert lines[1:7] == [
        "yahoo: AAPL: Yahoo timed out",
        "yahoo: GOOGL: skipped, yahoo circuit open after 3 consecutive failures "
        "(last: NVDA: Yahoo timed out)",
        "yahoo: META: skipped, yahoo circuit open after 3 consecutive failures "
        "(last: NVDA: Yahoo timed out)",
        "yahoo: MSFT: Yahoo timed out",
        "yahoo: NVDA: Yahoo timed out",
        "yahoo: SPY: skipped, yahoo circuit open after 3 consecutive failures "
        "(last: NVDA: Yahoo timed out)",
    ]
    assert lines[7] == "fred: ok; 1 loaded; rows: observations 6, series 1"
    assert len(lines) == 9 and lines[8].startswith("ingest finished in ")
    # the CLI's own retry policy: 4 attempts, each retry one line; no alert channel configured
    errors = err.getvalue().splitlines()
    retries = [line for line in errors if line.startswith("retry: yahoo ")]
    assert [line.split(":")[1].strip() for line in retries] == ["yahoo AAPL"] * 3 + [
        "yahoo MSFT"
    ] * 3 + ["yahoo NVDA"] * 3
    assert errors[len(retries) :] == [
        "warning: partial run: not refreshed: yahoo AAPL, GOOGL, META, MSFT, NVDA and 1 more "
        "(recorded in raw_audit.pipeline_run_failures); exit 0 so a build uses what loaded; "
        "--strict (make ingest STRICT=1) makes any failure exit 1"
    ]


class Malformed(Sample):
    def fault(self, symbol: str, frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        if symbol == "AAPL":  # a column missing
            return frame.drop(columns=["Close"])
        if symbol == "MSFT":  # NaN: a bar Yahoo has no price for
            frame.loc[frame.index[5], "Close"] = np.nan
        if symbol == "NVDA":  # strings where numbers belong
            frame = frame.astype({"Open": object, "Volume": object})
            frame.loc[frame.index[3], "Open"] = "n/a"
            frame.loc[frame.index[7], "Volume"] = "1,234"
        if symbol == "GOOGL":  # an empty frame
            return frame.iloc[0:0]
        if symbol == "META":  # a column nobody announced
            frame["Repaired?"] = False
        return frame


def test_malformed_payloads_land_typed_and_bad_rows_stay_visible(warehouse: Warehouse) -> None:
    yahoo, _ = run(warehouse, Malformed())
    assert yahoo.failed == {
        "AAPL": "Yahoo history lacks columns ['Close']",
        "GOOGL": "no valid bars since 2018-11-01",
    }
    assert sorted(yahoo.loaded) == ["META", "MSFT", "NVDA", "SPY"]
    assert yahoo.notes == [
        "NVDA: 2 bar(s) rejected into raw_yahoo.prices_daily_rejected (not a number in Open)",
        "META: ignored unexpected history column(s) ['Repaired?']",
    ]
    counts = dict(
        rows(warehouse, "select symbol, count(*) from raw_yahoo.prices_daily group by symbol")
    )
    assert counts == {"META": 40, "MSFT": 40, "NVDA": 38, "SPY": 40}
    assert rows(
        warehouse,
        "select trading_date from raw_yahoo.prices_daily where symbol = 'MSFT' and close is null",
    ) == [(date(2018, 11, 8),)]
    rejected = rows(
        warehouse,
        "select symbol, trading_date, reason, raw_values from raw_yahoo.prices_daily_rejected"
        " order by trading_date",
    )
    assert [row[:3] for row in rejected] == [
        ("NVDA", date(2018, 11, 6), "not a number in Open"),
        ("NVDA", date(2018, 11, 12), "not a number in Volume"),
    ]
    assert '"Open": "n/a"' in rejected[0][3] and '"Volume": "1,234"' in rejected[1][3]
    types = column_types(warehouse, "raw_yahoo", "prices_daily")
    doubles = {"double", "double precision"}
    assert {types[c] for c in ("open", "high", "low", "close", "adj_close")} <= doubles
    assert types["volume"] == "bigint" and "repaired" not in " ".join(types)


class GarbledFred(ReplayFredClient):
    def observations(self, series_id: str, start: date) -> pd.DataFrame:
        text = (FIXTURES / "fred/observations" / f"{series_id}.csv").read_text()
        return latest_only(parse_fredgraph_csv(text.replace("2.58", "2.5 8"), series_id))


def test_a_fred_value_that_is_not_a_number_is_quarantined_and_its_series_loads(
    warehouse: Warehouse,
) -> None:
    fred_client = GarbledFred(FIXTURES / "fred", origin="recorded")
    (fred,) = runner.run(
        fixture_config(series=("DGS10", "CPIAUCSL")),
        warehouse,
        (Sample(), fred_client),
        sources=("fred",),
        progress=Progress(quiet=True),
        retry=FAST,
    )
    assert fred.failed == {}
    assert sorted(fred.loaded) == ["CPIAUCSL", "DGS10"]
    assert fred.notes == [
        "DGS10: 1 value(s) quarantined into raw_fred.observations_rejected (not a number: '2.5 8')"
    ]
    # The other five DGS10 dates load; 2014-07-01 is kept, as FRED sent it, in the quarantine.
    assert rows(
        warehouse,
        "select observation_date from raw_fred.observations where series_id = 'DGS10'"
        " order by observation_date",
    ) == [(date(2014, 6, 30),), *[(date(2014, 7, day),) for day in (2, 3, 4, 7)]]
    ((reason, raw),) = rows(
        warehouse,
        "select reason, raw_values from raw_fred.observations_rejected where series_id = 'DGS10'",
    )
    assert reason == "not a number: '2.5 8'"
    assert json.loads(raw) == {
        "observation_date": "2014-07-01",
        "realtime_start": None,
        "realtime_end": None,
        "value": "2.5 8",
    }
    assert rows(
        warehouse,
        "select source, table_name, reason, rows_quarantined from raw_audit.pipeline_run_quarantine",
    ) == [("fred", "observations_rejected", "not_a_number", 1)]
    types = column_types(warehouse, "raw_fred", "observations")
    assert types["value"] in ("double", "double precision")
