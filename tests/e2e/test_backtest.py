"""`marketpulse backtest` end to end on the demo warehouse: backtests.toml -> fills -> dlt ->
dbt marts, checked against independent references read straight from the warehouse: empyrical
for every statistic, vectorbt for the SMA crossover's equity curve on the marts' prices."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from marketpulse.warehouse import Warehouse
from tests.conftest import ROOT
from tests.e2e.risk_reference import is_close, risk_free_daily, window_metrics
from tests.sample_warehouses import Demo, query

STRATEGIES = tomllib.loads((ROOT / "backtests.toml").read_text())["strategies"]
METRICS = (
    "annual_return",
    "annual_volatility",
    "sharpe_ratio",
    "sortino_ratio",
    "max_drawdown",
    "calmar_ratio",
    "var_95",
    "cvar_95",
    "skewness",
    "kurtosis",
    "beta",
    "correlation",
    "risk_free_coverage",
)


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "marketpulse", "backtest", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def results(warehouse: Warehouse) -> dict[str, dict]:
    rows = query(warehouse, "select * from marts.fct_backtest_results")
    with warehouse.session(read_only=True) as session:
        columns = list(session.query("select * from marts.fct_backtest_results limit 0").columns)
    return {row[0]: dict(zip(columns, row, strict=True)) for row in rows}


def curve(warehouse: Warehouse, strategy: str) -> pd.DataFrame:
    rows = query(
        warehouse,
        "select trading_date, equity, daily_return from marts.fct_backtest_equity_daily"
        f" where strategy = '{strategy}' order by trading_date",
    )
    frame = pd.DataFrame(rows, columns=["trading_date", "equity", "daily_return"])
    return frame.set_index(pd.DatetimeIndex(frame["trading_date"])).drop(columns="trading_date")


def test_the_demo_backtests_every_strategy_of_the_file(demo_duckdb: Demo) -> None:
    stored = results(demo_duckdb.warehouse)
    assert set(stored) == {*STRATEGIES, "benchmark"}
    assert len({row["run_id"] for row in stored.values()}) == 1
    assert {row["start_date"] for row in stored.values()} == {stored["benchmark"]["start_date"]}
    assert stored["benchmark"]["kind"] == "buy_and_hold"
    assert stored["benchmark"]["n_fills"] == 1
    assert all(row["n_fills"] > 1 for name, row in stored.items() if name != "benchmark")
    assert "marketpulse demo: backtest the strategies of backtests.toml" in demo_duckdb.first.stdout


def test_every_statistic_equals_empyrical(demo_duckdb: Demo) -> None:
    """The marts' numbers from the equity curves with empyrical / pandas (risk_reference.py),
    each strategy against the same run's buy-and-hold benchmark, over the whole period."""
    warehouse = demo_duckdb.warehouse
    stored = results(warehouse)
    benchmark = curve(warehouse, "benchmark")["daily_return"].dropna()
    risk_free = risk_free_daily(warehouse, benchmark.index)
    for strategy, row in stored.items():
        frame = curve(warehouse, strategy)
        returns = frame["daily_return"].dropna()
        expected = window_metrics(returns, benchmark, risk_free)["full"]
        assert row["n_sessions"] == len(returns)
        assert row["start_date"] == returns.index[0].date()
        assert is_close(row["total_return"], frame["equity"].iloc[-1] / 100_000.0 - 1)
        for metric in METRICS:
            assert is_close(row[metric], expected[metric]), (strategy, metric, row[metric])
        assert is_close(row["benchmark_annual_return"], stored["benchmark"]["annual_return"])


def test_sma_crossover_curve_equals_vectorbt_on_the_marts_prices(demo_duckdb: Demo) -> None:
    """SPY's adj_open / adj_close from fct_prices_daily, vectorbt's own moving averages, the
    state at each close held from the next open, 1 bp fee and 2 bp slippage on 100,000: the
    stored curve equals vectorbt's within 1e-9 relative."""
    import vectorbt as vbt

    warehouse = demo_duckdb.warehouse
    params = STRATEGIES["spy_sma_50_200"]
    rows = query(
        warehouse,
        "select trading_date, adj_open, adj_close from marts.fct_prices_daily"
        " where symbol = 'SPY' order by trading_date",
    )
    prices = pd.DataFrame(rows, columns=["trading_date", "open", "close"])
    prices = prices.set_index(pd.DatetimeIndex(prices["trading_date"]))[["open", "close"]]
    stored = curve(warehouse, "spy_sma_50_200")
    start = stored.index[1]
    fast = vbt.MA.run(prices["close"], params["fast"]).ma
    slow = vbt.MA.run(prices["close"], params["slow"]).ma
    held = (fast > slow).shift(1).loc[start:].astype(bool)
    before = held.shift(1, fill_value=bool((fast > slow).shift(1).loc[:start].iloc[-2]))
    before.iloc[0] = False  # the period starts in cash
    portfolio = vbt.Portfolio.from_signals(
        prices["close"].loc[start:],
        entries=held & ~before,
        exits=~held & before,
        price=prices["open"].loc[start:],
        fees=1e-4,
        slippage=2e-4,
        init_cash=100_000.0,
        size=np.inf,
        direction="longonly",
        freq="D",
    )
    reference = portfolio.value()
    np.testing.assert_allclose(
        stored["equity"].loc[start:].to_numpy(), reference.to_numpy(), rtol=1e-9
    )
    assert int(portfolio.orders.count()) == results(warehouse)["spy_sma_50_200"]["n_fills"]


@pytest.fixture(scope="module")
def copied(demo_duckdb: Demo, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A copy of the demo warehouse to run the command on; its environment."""
    tmp = tmp_path_factory.mktemp("backtest")
    shutil.copy(demo_duckdb.warehouse.duckdb_path, tmp / "wh.duckdb")
    return {
        **os.environ,
        "WAREHOUSE": "duckdb",
        "MARKETPULSE_DUCKDB_PATH": str(tmp / "wh.duckdb"),
        "DBT_TARGET_PATH": str(tmp / "target"),
        "DBT_LOG_PATH": str(tmp / "logs"),
    }


def runs(env: dict[str, str]) -> int:
    warehouse = Warehouse.from_env(env)
    return query(warehouse, "select count(*) from raw_backtest.backtest_runs")[0][0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[strategies.fast_slow]\nkind = 'sma_crossover'\nsymbol = 'SPY'\nfast = 9\nslow = 3\n",
            "error: bad.toml: strategies.fast_slow.slow: must be greater than fast (9), not 3",
        ),
        (
            "[strategies.x]\nkind = 'max_sharpe'\nsymbols = ['SPY', 'XLK']\nlookbak = 60\n",
            "error: bad.toml: strategies.x.lookbak: unknown key",
        ),
    ],
)
def test_a_config_error_is_one_line_and_loads_nothing(
    copied: dict[str, str], tmp_path: Path, text: str, message: str
) -> None:
    before = runs(copied)
    path = tmp_path / "bad.toml"
    path.write_text(text)
    result = cli(copied, "--config", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert runs(copied) == before


def test_a_new_run_of_one_strategy_replaces_only_its_rows(copied: dict[str, str]) -> None:
    warehouse = Warehouse.from_env(copied)
    before = results(warehouse)
    result = cli(copied, "--strategy", "spy_rsi_reversion")
    assert result.returncode == 0, result.stderr
    after = results(warehouse)
    assert set(after) == set(before)
    new_run = after["spy_rsi_reversion"]["run_id"]
    assert new_run != before["spy_rsi_reversion"]["run_id"]
    assert after["benchmark"]["run_id"] == new_run  # every run holds the benchmark
    assert after["spy_sma_50_200"]["run_id"] == before["spy_sma_50_200"]["run_id"]
    # the same prices and settings: the same numbers
    for name in ("spy_rsi_reversion", "benchmark"):
        assert is_close(after[name]["final_equity"], before[name]["final_equity"])
    counts = query(
        warehouse,
        "select strategy, count(*) from marts.fct_backtest_equity_daily group by strategy",
    )
    assert len({count for _, count in counts}) == 1


def test_a_strategy_without_data_is_skipped_with_a_warning(
    copied: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "partial.toml"
    path.write_text(
        "[strategies.ok]\nkind = 'sma_crossover'\nsymbol = 'SPY'\nfast = 5\nslow = 20\n"
        "[strategies.ghost]\nkind = 'sma_crossover'\nsymbol = 'NOPE'\n"
    )
    result = cli(copied, "--config", str(path), "--no-build")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == (
        "warning: skipped strategies.ghost: no prices for NOPE in marts.fct_prices_daily"
    )
    assert "  ok " in result.stdout
