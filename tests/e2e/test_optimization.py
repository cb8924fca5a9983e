"""`python -m marketpulse optimize` end to end: marts -> PyPortfolioOpt -> dlt -> dbt marts.

The numbers read back from marts.fct_optimization_results / _weights are checked against
numpy closed forms computed here from adj_close read straight from marts.fct_prices_daily:
min variance w = S^-1 1 / 1'S^-1 1 and tangency w = S^-1 (mu - rf) / 1'S^-1 (mu - rf), with
mu = mean daily return x 252 and S = sample covariance x 252 over the last 756 common sessions.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import shutil
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from marketpulse.warehouse import Warehouse
from tests.conftest import ROOT
from tests.sample_warehouses import Demo, query

PORTFOLIO = "sample-growth-income"
LOOKBACK = 756


@dataclass
class Optimized:
    warehouse: Warehouse
    env: dict[str, str]
    short_run: str  # --allow-short: the closed forms hold exactly
    capped_run: str  # long-only, --max-weight 0.3, 12 frontier points
    adhoc_run: str  # --symbols, no portfolio


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "marketpulse", "optimize", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def cli_in_process(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The same command through `marketpulse.cli.main` in this process (no interpreter start-up)."""
    from marketpulse.cli import main

    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for name in ("WAREHOUSE", "MARKETPULSE_DUCKDB_PATH", "DBT_TARGET_PATH", "DBT_LOG_PATH"):
            patch.setenv(name, env[name])
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["optimize", *args])
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def run_id_of(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result.stdout.split()[1]  # "optimization <run_id> for ..."


@pytest.fixture(scope="module")
def optimized(demo_duckdb: Demo, tmp_path_factory: pytest.TempPathFactory) -> Optimized:
    """A copy of the demo warehouse (the shared one stays as the demo left it) + three runs."""
    tmp = tmp_path_factory.mktemp("optimize")
    shutil.copy(demo_duckdb.warehouse.duckdb_path, tmp / "wh.duckdb")
    warehouse = Warehouse.from_env(
        {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(tmp / "wh.duckdb")}
    )
    env = {
        **os.environ,
        "WAREHOUSE": "duckdb",
        "MARKETPULSE_DUCKDB_PATH": str(warehouse.duckdb_path),
        "DBT_TARGET_PATH": str(tmp / "target"),
        "DBT_LOG_PATH": str(tmp / "logs"),
    }
    short = run_id_of(cli(env, "--portfolio", PORTFOLIO, "--allow-short", "--frontier-points", "5"))
    capped = run_id_of(
        cli_in_process(
            env, "--portfolio", PORTFOLIO, "--max-weight", "0.3", "--frontier-points", "12"
        )
    )
    adhoc = run_id_of(cli_in_process(env, "--symbols", "SPY,XLK,XLU", "--lookback", "252"))
    return Optimized(warehouse, env, short, capped, adhoc)


def prices(warehouse: Warehouse, symbols: list[str]) -> pd.DataFrame:
    listed = ", ".join(f"'{s}'" for s in symbols)
    rows = query(
        warehouse,
        "select trading_date, symbol, adj_close from marts.fct_prices_daily "
        f"where symbol in ({listed}) and adj_close is not null",
    )
    frame = pd.DataFrame(rows, columns=["trading_date", "symbol", "adj_close"])
    wide = frame.pivot(index="trading_date", columns="symbol", values="adj_close")
    return wide[symbols].sort_index().dropna()


def reference_moments(
    warehouse: Warehouse, symbols: list[str], lookback: int = LOOKBACK
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    window = prices(warehouse, symbols).iloc[-(lookback + 1) :]
    values = window.to_numpy(dtype=float)
    returns = values[1:] / values[:-1] - 1
    return returns.mean(axis=0) * 252, np.cov(returns, rowvar=False, ddof=1) * 252, window


def results(warehouse: Warehouse, run_id: str) -> dict[tuple[str, int], dict]:
    columns = (
        "method, point_index, expected_return, volatility, sharpe_ratio, weights, "
        "risk_free_rate, lookback_start_date, lookback_end_date, n_observations, max_weight, "
        "is_long_only, is_latest_run, portfolio_id"
    )
    rows = query(
        warehouse,
        f"select {columns} from marts.fct_optimization_results where run_id = '{run_id}'",
    )
    names = [name.strip() for name in columns.split(",")]
    return {(row[0], row[1]): dict(zip(names, row, strict=True)) for row in rows}


def vector(row: dict, symbols: list[str]) -> np.ndarray:
    weights = json.loads(row["weights"])
    assert list(weights) == symbols
    return np.array([weights[s] for s in symbols])


def test_min_volatility_and_max_sharpe_equal_the_closed_forms(optimized: Optimized) -> None:
    stored = results(optimized.warehouse, optimized.short_run)
    symbols = list(json.loads(stored["min_volatility", 0]["weights"]))
    mu, cov, window = reference_moments(optimized.warehouse, symbols)
    rf = stored["min_volatility", 0]["risk_free_rate"]

    min_var = np.linalg.solve(cov, np.ones(len(symbols)))
    min_var /= min_var.sum()
    assert (np.abs(min_var) < 1).all()  # the (-1, 1) bounds do not bind
    row = stored["min_volatility", 0]
    np.testing.assert_allclose(vector(row, symbols), min_var, atol=1e-6)
    assert row["volatility"] == pytest.approx(np.sqrt(min_var @ cov @ min_var), rel=1e-7)
    assert row["expected_return"] == pytest.approx(min_var @ mu, rel=1e-5)

    tangency = np.linalg.solve(cov, mu - rf)
    tangency /= tangency.sum()
    assert (np.abs(tangency) < 1).all(), tangency
    row = stored["max_sharpe", 0]
    np.testing.assert_allclose(vector(row, symbols), tangency, atol=1e-5)
    best = (tangency @ mu - rf) / np.sqrt(tangency @ cov @ tangency)
    assert row["sharpe_ratio"] == pytest.approx(best, rel=1e-7)

    assert row["n_observations"] == LOOKBACK
    assert row["lookback_start_date"] == window.index[1]
    assert row["lookback_end_date"] == window.index[-1]
    assert row["is_long_only"] is False


def test_risk_free_rate_is_the_latest_dgs3mo(optimized: Optimized) -> None:
    row = results(optimized.warehouse, optimized.short_run)["min_volatility", 0]
    (value,) = query(
        optimized.warehouse,
        "select value from marts.fct_macro_observations where indicator_id = 'DGS3MO' "
        f"and is_latest_vintage and value is not null "
        f"and observation_date <= '{row['lookback_end_date']}' "
        "order by observation_date desc limit 1",
    )[0]
    assert row["risk_free_rate"] == pytest.approx(value / 100, rel=1e-12)
    assert 0 < row["risk_free_rate"] < 0.1


def test_current_is_the_portfolios_latest_weights_under_the_same_moments(
    optimized: Optimized,
) -> None:
    stored = results(optimized.warehouse, optimized.capped_run)
    row = stored["current", 0]
    symbols = list(json.loads(row["weights"]))
    held = dict(
        query(
            optimized.warehouse,
            "select symbol, weight from marts.fct_portfolio_holdings_daily "
            f"where portfolio_id = '{PORTFOLIO}' and trading_date = "
            "(select max(trading_date) from marts.fct_portfolio_holdings_daily)",
        )
    )
    assert sorted(held) == sorted(symbols)
    weights = np.array([held[s] for s in symbols])
    mu, cov, _ = reference_moments(optimized.warehouse, symbols)
    assert row["expected_return"] == pytest.approx(weights @ mu, rel=1e-9)
    assert row["volatility"] == pytest.approx(np.sqrt(weights @ cov @ weights), rel=1e-9)
    # the current portfolio lies on or below the frontier: no better Sharpe than max_sharpe
    assert row["sharpe_ratio"] <= stored["max_sharpe", 0]["sharpe_ratio"] + 1e-9


def test_frontier_rises_from_min_volatility_within_the_caps(optimized: Optimized) -> None:
    stored = results(optimized.warehouse, optimized.capped_run)
    symbols = list(json.loads(stored["min_volatility", 0]["weights"]))
    mu, cov, _ = reference_moments(optimized.warehouse, symbols)
    frontier = [stored["frontier", i] for i in range(12)]
    assert ("frontier", 12) not in stored
    min_vol = stored["min_volatility", 0]["volatility"]
    for row in frontier:
        weights = vector(row, symbols)
        assert weights.sum() == pytest.approx(1, abs=1e-7)
        assert (weights >= -1e-8).all() and (weights <= 0.3 + 1e-8).all()
        assert row["volatility"] >= min_vol - 1e-9
        assert row["expected_return"] == pytest.approx(weights @ mu, rel=1e-9)
        assert row["volatility"] == pytest.approx(np.sqrt(weights @ cov @ weights), rel=1e-9)
        assert row["max_weight"] == 0.3 and row["is_long_only"] is True
    returns = [row["expected_return"] for row in frontier]
    assert all(b > a for a, b in itertools.pairwise(returns))
    # the top: 0.3 in each of the three best, 0.1 in the fourth (the caps' best, by hand)
    best = np.sort(mu)[::-1]
    assert returns[-1] == pytest.approx(0.3 * best[:3].sum() + 0.1 * best[3], rel=1e-5)


def test_weights_mart_is_the_long_form_of_the_results(optimized: Optimized) -> None:
    rows = query(
        optimized.warehouse,
        "select method, point_index, symbol, weight, portfolio_id, is_latest_run "
        f"from marts.fct_optimization_weights where run_id = '{optimized.capped_run}'",
    )
    stored = results(optimized.warehouse, optimized.capped_run)
    assert len(rows) == sum(len(json.loads(row["weights"])) for row in stored.values())
    for method, index, symbol, weight, portfolio_id, is_latest in rows:
        assert json.loads(stored[method, index]["weights"])[symbol] == weight
        assert (portfolio_id, is_latest) == (PORTFOLIO, True)


def test_latest_run_per_portfolio(optimized: Optimized) -> None:
    flags = dict(
        query(
            optimized.warehouse,
            "select run_id, bool_and(is_latest_run) from marts.fct_optimization_results "
            "group by run_id",
        )
    )
    assert flags[optimized.capped_run] is True
    assert flags[optimized.short_run] is False
    assert flags[optimized.adhoc_run] is True  # ad-hoc runs are their own group
    latest = query(
        optimized.warehouse,
        "select count(distinct run_id) from marts.fct_optimization_results "
        f"where portfolio_id = '{PORTFOLIO}' and is_latest_run",
    )
    assert latest == [(1,)]


def test_adhoc_universe_uses_the_given_lookback(optimized: Optimized) -> None:
    stored = results(optimized.warehouse, optimized.adhoc_run)
    assert ("current", 0) not in stored  # no portfolio, no current weights
    row = stored["min_volatility", 0]
    assert row["portfolio_id"] is None and row["n_observations"] == 252
    assert list(json.loads(row["weights"])) == ["SPY", "XLK", "XLU"]
    _, cov, _ = reference_moments(optimized.warehouse, ["SPY", "XLK", "XLU"], lookback=252)
    # long-only optimum: no feasible weight vector on a fine grid has a lower variance
    best = vector(row, ["SPY", "XLK", "XLU"])
    grid = np.linspace(0, 1, 201)
    candidates = np.array([(a, b, 1 - a - b) for a in grid for b in grid if a + b <= 1 + 1e-12])
    lowest = np.min(np.einsum("ij,jk,ik->i", candidates, cov, candidates))
    assert best @ cov @ best <= lowest + 1e-12


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--portfolio", "no-such-portfolio"], "error: unknown portfolio 'no-such-portfolio'"),
        (["--symbols", "AAPL,ZZZZ"], "error: unknown symbol ZZZZ: no prices"),
        (["--portfolio", PORTFOLIO, "--max-weight", "0.1"], "error: --max-weight 0.1 x 6 symbols"),
        (["--symbols", "AAPL"], "error: optimization needs at least 2 symbols"),
        ([], "error: give --portfolio ID or --symbols"),
    ],
)
def test_bad_input_fails_in_one_line_and_loads_nothing(
    optimized: Optimized, args: list[str], message: str
) -> None:
    count = "select count(*) from raw_portfolio.optimization_results"
    before = query(optimized.warehouse, count)
    # the first case as a user's process (its exit status), the others in-process
    run = cli if args[:2] == ["--portfolio", "no-such-portfolio"] else cli_in_process
    result = run(optimized.env, *args)
    assert result.returncode == 1
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert query(optimized.warehouse, count) == before


def test_the_demo_optimizes_the_sample_portfolio(demo_duckdb: Demo) -> None:
    """`make demo` fills both marts with one default run (long-only, uncapped, 20 frontier
    points) of the sample portfolio; test_demo_duckdb checks a second demo adds no rows."""
    rows = query(
        demo_duckdb.warehouse,
        "select portfolio_id, method, count(*), count(distinct run_id), bool_and(is_latest_run) "
        "from marts.fct_optimization_results group by portfolio_id, method order by method",
    )
    assert rows == [
        (PORTFOLIO, "current", 1, 1, True),
        (PORTFOLIO, "frontier", 20, 1, True),
        (PORTFOLIO, "max_sharpe", 1, 1, True),
        (PORTFOLIO, "min_volatility", 1, 1, True),
    ]
    assert "marketpulse demo: optimize sample-growth-income" in demo_duckdb.first.stdout


@pytest.mark.postgres
@pytest.mark.usefixtures("runs_dbt")
def test_postgres_stores_the_closed_form_portfolios(
    postgres_warehouse: Warehouse, tmp_path: Path
) -> None:
    """Once on Postgres: sample prices and FRED through dlt, the marts they feed, one ad-hoc
    optimization; the stored min-volatility and max-Sharpe weights are the closed forms."""
    from dataclasses import replace

    from marketpulse.build.dbt import run_dbt
    from marketpulse.ingest import runner
    from marketpulse.ingest.config import IngestConfig
    from marketpulse.ingest.report import Progress
    from marketpulse.portfolio.optimize import run_optimization
    from marketpulse.portfolio.optimize.engine import Settings

    symbols = ["AAPL", "JNJ", "MSFT", "PG"]
    config = replace(IngestConfig.load(), symbols=(*symbols, "SPY"), series=("DGS3MO",))
    reports = runner.run(
        config,
        postgres_warehouse,
        runner.sample_clients(),
        sources=("yahoo", "fred"),
        progress=Progress(quiet=True),
    )
    assert all(report.ok for report in reports), reports
    os.environ["DBT_TARGET_PATH"] = str(tmp_path / "target")
    os.environ["DBT_LOG_PATH"] = str(tmp_path / "logs")
    selection = ("--select", "+fct_prices_daily", "+fct_macro_observations")
    assert run_dbt(postgres_warehouse, "seed", "--quiet") == 0
    assert run_dbt(postgres_warehouse, "run", *selection, "--quiet") == 0
    run = run_optimization(
        postgres_warehouse, Settings(allow_short=True, frontier_points=3), symbols=symbols
    )
    stored = results(postgres_warehouse, run.run_id)
    mu, cov, window = reference_moments(postgres_warehouse, symbols)
    rf = stored["max_sharpe", 0]["risk_free_rate"]
    assert 0 < rf < 0.1
    min_var = np.linalg.solve(cov, np.ones(len(symbols)))
    tangency = np.linalg.solve(cov, mu - rf)
    for method, reference in (("min_volatility", min_var), ("max_sharpe", tangency)):
        reference = reference / reference.sum()
        assert (np.abs(reference) < 1).all(), (method, reference)
        np.testing.assert_allclose(vector(stored[method, 0], symbols), reference, atol=1e-5)
        volatility = np.sqrt(reference @ cov @ reference)
        assert stored[method, 0]["volatility"] == pytest.approx(volatility, rel=1e-6)
    assert stored["max_sharpe", 0]["lookback_end_date"] == window.index[-1]
    weights = query(
        postgres_warehouse,
        "select symbol, weight from marts.fct_optimization_weights "
        f"where run_id = '{run.run_id}' and method = 'min_volatility' order by symbol",
    )
    assert [symbol for symbol, _ in weights] == symbols
    assert sum(weight for _, weight in weights) == pytest.approx(1, abs=1e-9)
