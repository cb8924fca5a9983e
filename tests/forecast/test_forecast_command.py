"""`marketpulse forecast` as a user runs it, on a scratch DuckDB holding the two marts it reads:
the rows land through dlt in raw_forecast, a second run adds nothing, bad input is one line."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from marketpulse.warehouse import Warehouse
from tests.conftest import cli
from tests.forecast import synthetic


@pytest.fixture
def marts(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "wh.duckdb"
    wide = synthetic.prices(("AAA", "NEW", "SPY"), n=620)
    wide.loc[wide.index[:500], "NEW"] = np.nan  # listed late: 119 returns at the end
    prices = wide.stack().rename("adj_close").reset_index()
    prices.columns = ["trading_date", "symbol", "adj_close"]
    macro = synthetic.macro(wide.index).stack().rename("value").reset_index()
    macro.columns = ["trading_date", "indicator_id", "value"]
    warehouse = Warehouse.from_env({"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(path)})
    with closing(warehouse.connect(read_only=False)) as connection:
        connection.execute("create schema marts")
        connection.register("p", prices)
        connection.register("m", macro)
        connection.execute(
            "create table marts.fct_prices_daily as select symbol,"
            " cast(trading_date as date) as trading_date, adj_close from p"
        )
        connection.execute(
            "create table marts.fct_macro_asof_daily as select"
            " cast(trading_date as date) as trading_date, indicator_id, value from m"
        )
    return {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(path)}


def count(env: dict[str, str], sql: str) -> int:
    warehouse = Warehouse.from_env(env)
    with warehouse.session() as session:
        return int(session.rows(sql)[0][0])


def test_forecasts_land_and_a_short_history_is_one_line(marts: dict[str, str]) -> None:
    since = ["--since", "2017-02-01", "--no-build"]
    first = cli("forecast", *since, env=marts)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert [line.strip() for line in lines if "NEW" in line] == [
        "NEW: no forecast: 119 daily returns up to 2017-05-18, at least 252 needed before"
        " the first refit date"
    ]
    rows = count(marts, "select count(*) from raw_forecast.forecasts")
    sessions = count(
        marts,
        "select count(*) from marts.fct_prices_daily where symbol = 'AAA'"
        " and trading_date >= date '2017-02-01'",
    )
    assert rows == 2 * sessions * 18  # AAA and SPY, 3 horizons x 6 models
    assert count(marts, "select count(*) from raw_forecast.market_regimes") > 0
    again = cli("forecast", *since, env=marts)
    assert again.returncode == 0 and "up to date" in again.stdout
    assert count(marts, "select count(*) from raw_forecast.forecasts") == rows


def test_an_unknown_symbol_is_one_line_and_exit_1(marts: dict[str, str]) -> None:
    result = cli("forecast", "--symbols", "NOPE", "--no-build", env=marts)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: no prices for NOPE in marts.fct_prices_daily; run `make demo` or"
        " `make ingest build`"
    )


def test_a_bad_since_is_one_line_and_exit_2(marts: dict[str, str]) -> None:
    result = cli("forecast", "--since", "yesterday", env=marts)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --since 'yesterday' is not a date (YYYY-MM-DD)"


def test_no_marts_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(tmp_path / "empty.duckdb")}
    result = cli("forecast", "--no-build", env=env)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: forecast failed on duckdb file")
