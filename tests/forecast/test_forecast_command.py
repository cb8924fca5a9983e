"""`marketpulse forecast` as a user runs it, on a scratch DuckDB holding the two marts it reads:
the rows land through dlt in raw_forecast, a second run adds nothing, bad input is one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import closing
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from marketpulse.forecast import Settings, regimes, report_lines, run_forecast
from marketpulse.warehouse import Warehouse
from tests.conftest import ROOT, cli
from tests.forecast import synthetic
from tests.forecast.test_lstm import NETWORK


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


# The LSTM (`--deep`): opt-in, and without the deep extra one line and exit 2.
BLOCKED = "import sys; sys.modules['keras'] = None; sys.modules['jax'] = None; "
MAIN = "from marketpulse.cli import main; code = main(sys.argv[1:]); "


def python(code: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python -c CODE ARGS` in the checkout, as tests.conftest.cli runs the command."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_deep_without_the_extra_is_one_line_and_exit_2(marts: dict[str, str]) -> None:
    """Keras and JAX made unimportable (sys.modules[name] = None, Python's way to block an
    import): --deep stops before it reads or loads anything."""
    code = BLOCKED + MAIN + "sys.exit(code)"
    result = python(code, "forecast", "--deep", "--no-build", env=marts)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: the LSTM needs the deep extra: pip install 'marketpulse[deep]'"
    )
    assert result.stdout == ""
    with pytest.raises(Exception, match="raw_forecast"):
        count(marts, "select count(*) from raw_forecast.forecasts")


def stored_state(env: dict[str, str]) -> dict:
    warehouse = Warehouse.from_env(env)
    with warehouse.session() as session:
        return json.loads(session.rows("select payload from raw_forecast.model_state")[0][0])


@pytest.mark.usefixtures("deep_available")
def test_deep_adds_the_lstm_and_a_run_without_it_keeps_its_networks(
    marts: dict[str, str],
) -> None:
    """One run with the LSTM (its rows and networks land), then a new session forecast without
    it, as a user's command: Keras is never imported and the stored networks stay for the next --deep run (whose
    refresh from them tests/forecast/test_lstm.py checks against the full run)."""
    path = marts["MARKETPULSE_DUCKDB_PATH"]
    with closing(duckdb.connect(path)) as connection:  # the last session arrives later
        connection.execute(
            "create table marts.last_day as select * from marts.fct_prices_daily"
            " where trading_date = (select max(trading_date) from marts.fct_prices_daily)"
        )
        connection.execute(
            "delete from marts.fct_prices_daily where trading_date = (select max(trading_date)"
            " from marts.last_day)"
        )
    since = ["--since", "2017-04-03", "--no-build"]
    # in this process (Keras imported once per test session; `--deep` as a user's command
    # runs in tests/e2e/test_forecasts.py)
    run = run_forecast(
        Warehouse.from_env(marts),
        Settings(since=date(2017, 4, 3)),
        regime_settings=regimes.Settings(since=pd.Timestamp("2017-04-03")),
        build=False,
        deep=NETWORK,
    )
    report = "\n".join(report_lines(run))
    sessions = count(
        marts,
        "select count(*) from marts.fct_prices_daily where symbol = 'AAA'"
        " and trading_date >= date '2017-04-03'",
    )
    lstm_rows = "select count(*) from raw_forecast.forecasts where model = 'lstm'"
    assert count(marts, lstm_rows) == 2 * sessions * 6  # AAA and SPY, 3 horizons x 2 targets
    assert f"lstm: {2 * sessions * 6:,} rows (2 refits," in report
    networks = stored_state(marts)["lstm"]
    assert networks["refit_date"] == "2017-05-01" and set(networks["nets"]) == {
        "return",
        "volatility",
    }
    with closing(duckdb.connect(path)) as connection:
        connection.execute("insert into marts.fct_prices_daily select * from marts.last_day")
    code = MAIN + "print('imported:', sorted({'keras', 'jax'} & set(sys.modules))); sys.exit(code)"
    plain = python("import sys; " + code, "forecast", *since, env=marts)
    assert plain.returncode == 0, plain.stderr
    assert "imported: []" in plain.stdout and "lstm:" not in plain.stdout
    assert count(marts, "select count(*) from raw_forecast.forecasts") == (
        2 * (sessions + 1) * 18 + 2 * sessions * 6
    )
    kept = stored_state(marts)
    assert kept["lstm"] == networks and kept["forecast"]["refit_date"] == "2017-05-01"
