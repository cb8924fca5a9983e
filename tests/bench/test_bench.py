"""`make bench` end to end on a tiny universe, so its code path cannot rot (no timing
assertions: performance is only ever reported, as ratios, by the bench itself).

Nine years (2,268 sessions) also take every recursion across a chunk boundary of the closed
form (docs/decisions/0010-recursive-indicators.md), which the sample data is too short to do;
the warehouse the bench leaves behind is checked against TA-Lib.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.__main__ import main
from marketpulse.warehouse import Warehouse
from tests.e2e.conftest import query
from tests.e2e.test_indicators_reference import assert_equals_talib


def test_bench_runs_and_its_warehouse_equals_talib(tmp_path: Path) -> None:
    assert (
        main(
            [
                "--symbols",
                "3",
                "--years",
                "9",
                "--incremental-years",
                "",
                "--warehouses",
                "duckdb",
                "--output",
                str(tmp_path),
            ]
        )
        == 0
    )
    report = json.loads((tmp_path / "bench_3x9.json").read_text())
    (result,) = report["results"]
    assert result["rows"] == 3 * 9 * 252
    # The baselines run before the last session is appended.
    assert result["talib"]["rows"] == result["pandas"]["rows"] == 3 * (9 * 252 - 1)
    assert result["full"]["models"]["fct_technical_indicators"] > 0
    assert result["incremental"]["models"]["fct_technical_indicators"] > 0
    assert set(report["targets"]["duckdb"]) == {
        "full_indicators_vs_talib",
        "incremental_share_of_full",
        "incremental_growth_vs_smallest_y",
    }
    warehouse = Warehouse.from_env(
        {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(tmp_path / "bench_9y.duckdb")}
    )
    assert query(warehouse, "select count(*) from marts.fct_technical_indicators") == [
        (3 * 9 * 252,)
    ]
    assert_equals_talib(warehouse, min_symbols=3)


def test_peak_memory_counts_the_child_processes() -> None:
    """On Spark, dbt's memory is mostly the JVM pyspark starts as its child: the bench's peak is
    the whole process tree's, not the parent's VmHWM alone."""
    import sys

    from bench.__main__ import run_process

    child = "import time; block = bytearray(300 * 2**20); time.sleep(1.5)"
    parent = (
        f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}], check=True)"
    )
    _, peak, _ = run_process([sys.executable, "-c", parent], {"PATH": "/usr/bin:/bin"})
    assert peak > 300, peak  # the child's 300 MB, though the parent itself stays small
