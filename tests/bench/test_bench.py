"""`make bench` end to end on a tiny universe, so its code path cannot rot (no timing
assertions: performance is only ever reported, as ratios, by the bench itself).

Nine years (2,268 sessions) also take every recursion across a chunk boundary of the closed
form (docs/decisions/0010-recursive-indicators.md), which the sample data is too short to do;
the warehouse the bench keeps (--keep) is checked against TA-Lib.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.__main__ import main
from bench.report import load
from marketpulse.warehouse import Warehouse
from tests.e2e.test_indicators_reference import assert_equals_talib
from tests.sample_warehouses import query


@pytest.mark.usefixtures("runs_dbt")
def test_bench_runs_and_its_warehouse_equals_talib(tmp_path: Path) -> None:
    arguments = ["--symbols", "3", "--years-list", "9", "--warehouses", "duckdb"]
    arguments += ["--no-demo", "--no-live", "--keep", "--output", str(tmp_path)]
    assert main(arguments) == 0
    report = load(tmp_path / "bench.json")  # checked against bench/bench.schema.json
    (result,) = report["runs"]
    assert result["rows"] == 3 * 9 * 252
    # The baselines read the history before the last session is appended.
    steps = result["steps"]
    assert steps["dlt_load"]["rows"] == steps["bulk_load"]["rows"] == 3 * (9 * 252 - 1)
    assert steps["talib"]["rows"] == steps["pandas"]["rows"] == 3 * (9 * 252 - 1)
    assert steps["full_models"]["models"]["fct_technical_indicators"] > 0
    assert "fct_technical_indicators" in steps["refresh_models"]["models"]
    # Every model from staging to the marts is in the refresh, nothing off the Yahoo path.
    refreshed = set(steps["refresh_models"]["models"])
    assert {"stg_yahoo__prices_daily", "fct_prices_daily", "fct_risk_metrics"} <= refreshed
    assert "stg_fred__observations" not in refreshed
    # The floor stands in for exactly the refresh's models, one no-op node each.
    floor = steps["refresh_floor"]
    assert floor["nodes"] == len(refreshed) == sum(floor["materializations"].values())
    assert 0 < result["ratios"]["refresh_floor_to_full"] < 1
    assert {(t["target"], t["warehouse"]) for t in report["targets"]} == {
        (1, "duckdb"),
        (2, "duckdb"),
        (4, "duckdb"),
        (6, "duckdb"),
    }
    (database,) = tmp_path.glob("*_9y.duckdb")
    warehouse = Warehouse.from_env(
        {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(database)}
    )
    assert query(warehouse, "select count(*) from marts.fct_technical_indicators") == [
        (3 * 9 * 252,)
    ]
    assert_equals_talib(warehouse, min_symbols=3)


def test_peak_memory_counts_the_child_processes() -> None:
    """On Spark, dbt's memory is mostly the JVM pyspark starts as its child: the bench's peak is
    the whole process tree's, not the parent's VmHWM alone."""
    import sys

    from bench.process import run_process

    child = "import time; block = bytearray(300 * 2**20); time.sleep(1.5)"
    parent = (
        f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}], check=True)"
    )
    finished = run_process([sys.executable, "-c", parent], {"PATH": "/usr/bin:/bin"})
    assert finished.peak_rss_mb > 300, finished.peak_rss_mb  # the child's 300 MB
