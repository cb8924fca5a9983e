"""Changing the benchmark (issue 18 item 14): `dbt build --vars '{benchmark_symbol: "^GSPC"}'`, the
README's example, without --full-refresh, rebuilds every mart that depends on the benchmark, so
that every mart equals a fresh build with that benchmark; and back to SPY the same way."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.e2e.test_retention_propagates import assert_same_marts, cli, fresh_build, marts
from tests.sample_warehouses import Demo

BENCHMARK_MARTS = ("fct_rolling_risk", "fct_sector_rotation", "fct_risk_metrics")
BENCHMARK_MARTS += ("dim_portfolio", "fct_portfolio_performance_daily", "fct_portfolio_risk")


def test_a_new_benchmark_rebuilds_every_mart_that_depends_on_it(
    demo_duckdb: Demo, tmp_path: Path
) -> None:
    warehouse = tmp_path / "benchmark.duckdb"
    shutil.copy(demo_duckdb.built_file, warehouse)
    spy = marts(warehouse)

    gspc_vars = ("--vars", '{benchmark_symbol: "^GSPC"}')
    built = cli(warehouse, tmp_path, "build", "--threads", "1", *gspc_vars)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-2000:]
    gspc = marts(warehouse)
    assert_same_marts(gspc, marts(fresh_build(warehouse, tmp_path, *gspc_vars)))
    for table in BENCHMARK_MARTS:
        columns, rows = gspc[table]
        if "benchmark_symbol" in columns:
            assert {row[columns.index("benchmark_symbol")] for row in rows} == {"^GSPC"}, table
    # relative strength is against the new benchmark on every session, the first included
    columns, rows = gspc["fct_sector_rotation"]
    old = {row[:2]: row for row in spy["fct_sector_rotation"][1]}
    strength = columns.index("relative_strength")
    assert all(row[strength] != old[row[:2]][strength] for row in rows)

    built = cli(warehouse, tmp_path, "build", "--threads", "1")  # the default again
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-2000:]
    assert_same_marts(marts(warehouse), spy)
