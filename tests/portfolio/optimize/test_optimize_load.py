"""The optimization run through dlt into raw_portfolio: the ADR 0013 columns, appended."""

from __future__ import annotations

import json
from contextlib import closing
from datetime import UTC, datetime

import pytest

from marketpulse.portfolio.optimize import Run, Universe, engine, load, report_lines
from marketpulse.warehouse import Warehouse
from tests.portfolio.optimize.test_optimize_engine import SYMBOLS, synthetic_prices

RESULT_COLUMNS = [
    "run_id",
    "portfolio_id",
    "method",
    "point_index",
    "expected_return",
    "volatility",
    "sharpe_ratio",
    "weights",
    "risk_free_rate",
    "lookback_start_date",
    "lookback_end_date",
    "n_observations",
    "max_weight",
    "is_long_only",
    "created_at",
]
WEIGHT_COLUMNS = ["run_id", "method", "point_index", "symbol", "weight"]


def make_run(run_id: str, portfolio_id: str | None) -> Run:
    window = engine.returns_window(synthetic_prices(), 756)
    settings = engine.Settings(max_weight=0.5, frontier_points=4)
    current = {"AAA": 0.25, "BBB": 0.25, "CCC": 0.25, "DDD": 0.25} if portfolio_id else None
    result = engine.optimize(window, 0.02, settings, current)
    universe = Universe(SYMBOLS, portfolio_id, current, None)
    return Run(run_id, datetime(2024, 5, 1, 12, 30, tzinfo=UTC), universe, result)


def columns(warehouse: Warehouse, table: str) -> dict[str, str]:
    with closing(warehouse.connect()) as connection:
        rows = connection.execute(
            "select column_name, data_type from information_schema.columns "
            f"where table_schema = 'raw_portfolio' and table_name = '{table}'"
        ).fetchall()
    return {name: kind for name, kind in rows if not name.startswith("_dlt")}


def test_runs_append_with_the_contract_columns(duckdb_warehouse: Warehouse) -> None:
    load(duckdb_warehouse, make_run("run-1", "my-fund"))
    load(duckdb_warehouse, make_run("run-2", None))
    results = columns(duckdb_warehouse, "optimization_results")
    assert list(results) == RESULT_COLUMNS
    assert results["created_at"] == "TIMESTAMP WITH TIME ZONE"
    assert results["lookback_start_date"] == "DATE"
    assert results["expected_return"] == "DOUBLE" and results["is_long_only"] == "BOOLEAN"
    assert list(columns(duckdb_warehouse, "optimization_weights")) == WEIGHT_COLUMNS
    with closing(duckdb_warehouse.connect()) as connection:
        counts = connection.execute(
            "select run_id, portfolio_id, count(*), count(distinct method) "
            "from raw_portfolio.optimization_results group by all order by run_id"
        ).fetchall()
        # max_sharpe, min_volatility, 4 frontier points, + current for a portfolio
        assert counts == [("run-1", "my-fund", 7, 4), ("run-2", None, 6, 3)]
        weights = connection.execute(
            "select count(*), sum(weight) from raw_portfolio.optimization_weights "
            "where run_id = 'run-1' and method = 'current'"
        ).fetchone()
        assert weights[0] == 4 and weights[1] == pytest.approx(1.0, abs=1e-12)
        stored = connection.execute(
            "select weights, max_weight, is_long_only, n_observations, created_at "
            "from raw_portfolio.optimization_results where run_id = 'run-1' and method = 'current'"
        ).fetchone()
    assert json.loads(stored[0]) == {"AAA": 0.25, "BBB": 0.25, "CCC": 0.25, "DDD": 0.25}
    assert stored[1:4] == (0.5, True, 756)
    assert stored[4] == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)


def test_report_shows_the_window_and_each_method() -> None:
    lines = report_lines(make_run("run-1", "my-fund"))
    assert lines[0] == "optimization run-1 for portfolio my-fund: AAA, BBB, CCC, DDD"
    assert "756 daily returns" in lines[1]
    methods = [line.split()[0] for line in lines[4:-1]]
    assert methods == ["max_sharpe", "min_volatility", "frontier[0]", "frontier[3]", "current"]
