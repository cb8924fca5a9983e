"""The dlt pipelines end to end into a scratch DuckDB, fed by recorded payloads."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from marketpulse.errors import NoNetworkError, RateLimitedError
from marketpulse.ingest import runner
from marketpulse.ingest.report import Progress
from marketpulse.retry import RetryPolicy
from marketpulse.sources.fred.client import ReplayFredClient
from marketpulse.sources.yahoo.client import ReplayYahooClient
from marketpulse.warehouse import Warehouse
from tests.conftest import FIXTURES, fixture_config, recorded_clients

FAST = RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0)
TABLES = (
    "raw_yahoo.prices_daily",
    "raw_yahoo.corporate_actions",
    "raw_yahoo.symbols",
    "raw_fred.observations",
    "raw_fred.series",
)


def counts(warehouse: Warehouse) -> dict[str, int]:
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
        return {t: connection.execute(f"select count(*) from {t}").fetchall()[0][0] for t in TABLES}


def run(warehouse: Warehouse, yahoo=None, fred=None, **config):  # type: ignore[no-untyped-def]
    default_yahoo, default_fred = recorded_clients()
    return runner.run(
        fixture_config(**config),
        warehouse,
        (yahoo or default_yahoo, fred or default_fred),
        progress=Progress(quiet=True),
        retry=FAST,
    )


def test_load_then_reload_changes_no_row_count(duckdb_warehouse: Warehouse) -> None:
    first = run(duckdb_warehouse)
    assert all(report.ok for report in first)
    expected = {
        "raw_yahoo.prices_daily": 12,
        "raw_yahoo.corporate_actions": 2,
        "raw_yahoo.symbols": 2,
        "raw_fred.observations": 10,
        "raw_fred.series": 2,
    }
    assert counts(duckdb_warehouse) == expected
    second = run(duckdb_warehouse)
    assert all(report.ok for report in second)
    assert counts(duckdb_warehouse) == expected
    # The second run only re-pulled each symbol's lag window (7 days before its cursor).
    assert second[0].rows["prices_daily"] == 8  # AAPL 4 + SPY 4, from 2014-06-03 on


def test_values_land_typed_and_unchanged(duckdb_warehouse: Warehouse) -> None:
    run(duckdb_warehouse)
    with duckdb.connect(str(duckdb_warehouse.duckdb_path), read_only=True) as connection:
        row = connection.execute(
            "select open, high, low, close, adj_close, volume, exchange_timezone, data_origin"
            " from raw_yahoo.prices_daily where symbol = 'AAPL' and trading_date = date '2014-06-09'"
        ).fetchall()[0]
        assert row == (
            92.70,
            93.88,
            91.75,
            93.70,
            84.453124,
            75415000,
            "America/New_York",
            "recorded_real",
        )
        missing = connection.execute(
            "select value from raw_fred.observations where series_id = 'DGS10'"
            " and observation_date = date '2014-07-04'"
        ).fetchall()
        assert missing == [(None,)]  # FRED's "." kept as a row with a NULL value
        types = dict(
            connection.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = 'raw_yahoo' and table_name = 'prices_daily'"
            ).fetchall()
        )
        assert types["close"] == "DOUBLE" and types["trading_date"] == "DATE"
        assert types["volume"] == "BIGINT" and types["_loaded_at"] == "TIMESTAMP WITH TIME ZONE"


def test_unknown_symbol_fails_alone(duckdb_warehouse: Warehouse) -> None:
    yahoo, fred = run(duckdb_warehouse, symbols=("AAPL", "NOPE", "SPY"))
    assert yahoo.failed == {"NOPE": "unknown or delisted symbol at Yahoo"}
    assert sorted(yahoo.loaded) == ["AAPL", "SPY"]
    assert fred.ok
    assert counts(duckdb_warehouse)["raw_yahoo.prices_daily"] == 12


class _Flaky(ReplayYahooClient):
    """Answers 429 a set number of times per symbol before the recorded data."""

    def __init__(self, failures: int) -> None:
        super().__init__(FIXTURES / "yahoo", origin="recorded")
        self.failures, self.calls = failures, {}

    def history(self, symbol: str, start: date, end: date | None = None) -> pd.DataFrame:
        self.calls[symbol] = self.calls.get(symbol, 0) + 1
        if self.calls[symbol] <= self.failures:
            raise RateLimitedError(f"{symbol}: rate limited by Yahoo (HTTP 429)")
        return super().history(symbol, start, end)


def test_429_twice_then_data_loads_once(duckdb_warehouse: Warehouse) -> None:
    flaky = _Flaky(failures=2)
    yahoo, _ = run(duckdb_warehouse, yahoo=flaky)
    assert yahoo.ok
    assert flaky.calls == {"AAPL": 3, "SPY": 3}
    assert counts(duckdb_warehouse)["raw_yahoo.prices_daily"] == 12


def test_429_forever_fails_that_symbol_only_after_bounded_retries(
    duckdb_warehouse: Warehouse,
) -> None:
    flaky = _Flaky(failures=99)
    yahoo, fred = run(duckdb_warehouse, yahoo=flaky)
    assert set(yahoo.failed) == {"AAPL", "SPY"}
    assert flaky.calls == {"AAPL": 3, "SPY": 3}
    assert fred.ok


class _Offline(ReplayYahooClient):
    def history(self, symbol: str, start: date, end: date | None = None) -> pd.DataFrame:
        raise NoNetworkError("cannot reach Yahoo Finance (no network)")


def test_no_network_is_one_line_for_that_source(duckdb_warehouse: Warehouse) -> None:
    yahoo, fred = run(duckdb_warehouse, yahoo=_Offline(FIXTURES / "yahoo", origin="live"))
    assert yahoo.fatal == (
        "no network: cannot reach Yahoo Finance (no network); "
        "run `make demo` to try marketpulse offline with the bundled sample data"
    )
    assert fred.ok


class _SplitLater(ReplayYahooClient):
    """Before `reveal`, the recording ends the day before the split (Yahoo's view then)."""

    def __init__(self) -> None:
        super().__init__(FIXTURES / "yahoo", origin="recorded")
        self.reveal = False
        self.starts: list[date] = []

    def history(self, symbol: str, start: date, end: date | None = None) -> pd.DataFrame:
        self.starts.append(start)
        return super().history(symbol, start, None if self.reveal else date(2014, 6, 7))


def test_a_new_split_repulls_the_whole_history(duckdb_warehouse: Warehouse) -> None:
    client = _SplitLater()
    run(duckdb_warehouse, yahoo=client, symbols=("AAPL",))
    assert counts(duckdb_warehouse)["raw_yahoo.prices_daily"] == 6
    client.reveal, client.starts = True, []
    yahoo, _ = run(duckdb_warehouse, yahoo=client, symbols=("AAPL",))
    assert yahoo.ok
    # First the lag window from the cursor, then, seeing the split, the full history.
    assert client.starts == [date(2014, 5, 30), date(2014, 1, 1)]
    assert counts(duckdb_warehouse)["raw_yahoo.prices_daily"] == 8


def test_sample_and_live_data_never_mix(duckdb_warehouse: Warehouse) -> None:
    run(duckdb_warehouse)
    before = counts(duckdb_warehouse)
    yahoo, fred = run(
        duckdb_warehouse,
        yahoo=ReplayYahooClient(FIXTURES / "yahoo", origin="live"),
        fred=ReplayFredClient(FIXTURES / "fred", origin="live"),
    )
    assert yahoo.refused == (
        "the warehouse holds recorded Yahoo data and this run would add live data; "
        "use another warehouse, or empty this one first: "
        f"MARKETPULSE_DUCKDB_PATH={duckdb_warehouse.duckdb_path} make reset YES=1"
    )
    assert fred.refused is not None and "holds recorded FRED data" in fred.refused
    assert yahoo.fatal is None and fred.fatal is None  # a refusal is not a failure
    assert counts(duckdb_warehouse) == before


def test_unreachable_postgres_is_one_clear_error() -> None:
    warehouse = Warehouse.from_env(
        {"WAREHOUSE": "postgres", "PGHOST": "127.0.0.1", "PGPORT": "1", "PGDATABASE": "x"}
    )
    with pytest.raises(runner.WarehouseUnreachableError, match="cannot connect to postgres"):
        run(warehouse)
