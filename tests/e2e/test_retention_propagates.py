"""Retention propagates to the marts (issue 18 item 5, docs/decisions/0033-retention-propagates.md).

The demo is pruned at several cut-offs in turn, each `marketpulse prune --apply` followed by the
`marketpulse build` an operator runs next. After each: the build passes its tests, no mart keeps a
session before the cut-off, and every mart equals a fresh build of the pruned raw data (the raw
schemas copied into a new warehouse and built from nothing). The portfolios that start before the
retained prices are flagged in dim_portfolio and not valued, never a failed build. Then
`make demo` runs on the pruned warehouse, and finally the pruned history is loaded again: the
incremental marts extend back to it, and equal the original demo's.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from marketpulse.ops.retention import INCREMENTAL_INTERMEDIATE, INCREMENTAL_MARTS
from tests.conftest import ROOT
from tests.sample_warehouses import OPS_MARTS, Demo, run_demo

# The raw tables a prune deleted from, loaded again at the end.
RESTORED = (
    ("raw_yahoo.prices_daily", "trading_date"),
    ("raw_yahoo.corporate_actions", "ex_date"),
    ("raw_fred.observations", "observation_date"),
    ("raw_news.headlines", "published_at"),
)
# (as-of date, RETENTION__PRICES, the first prices date kept): a prune of the built demo, then
# a second prune of the pruned and rebuilt warehouse. The news headlines (3 months) lose every
# row at the last cut-off, which therefore needs --yes.
CUTOFFS = [
    (date(2017, 6, 30), "2 years", date(2015, 6, 30)),
    (date(2019, 6, 30), "1 year", date(2018, 6, 30)),
]


def cli(
    warehouse_file: Path, tmp: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """`marketpulse <args>` as an operator's process on this warehouse (stdin not a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "marketpulse", *args],
        cwd=ROOT,
        env={
            **os.environ,
            "WAREHOUSE": "duckdb",
            "MARKETPULSE_DUCKDB_PATH": str(warehouse_file),
            "DBT_TARGET_PATH": str(tmp / "target"),
            "DBT_LOG_PATH": str(tmp / "logs"),
            **env,
        },
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def marts(path: Path) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every mart but the run audit's, its columns and its rows in a total order, and the
    incremental intermediate models (INCREMENTAL_INTERMEDIATE) as intermediate.<model>."""
    with closing(duckdb.connect(str(path), read_only=True)) as connection:
        tables = [
            f"marts.{row[0]}"
            for row in connection.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'marts' and table_type = 'BASE TABLE' order by 1"
            ).fetchall()
            if row[0] not in OPS_MARTS
        ] + [f"intermediate.{model}" for model in INCREMENTAL_INTERMEDIATE]
        snapshot = {}
        for table in tables:
            cursor = connection.execute(f"select * from {table} order by all")
            columns = [column[0] for column in cursor.description]
            name = table.removeprefix("marts.")
            snapshot[name] = (columns, [tuple(row) for row in cursor.fetchall()])
    return snapshot


def assert_same_marts(got: dict[str, Any], expected: dict[str, Any]) -> None:
    assert got.keys() == expected.keys()
    for table, (columns, rows) in expected.items():
        got_columns, got_rows = got[table]
        assert got_columns == columns, table
        assert len(got_rows) == len(rows), (table, len(got_rows), len(rows))
        for got_row, row in zip(got_rows, rows, strict=True):
            for column, a, b in zip(columns, got_row, row, strict=True):
                if isinstance(a, float) and isinstance(b, float):
                    same = (math.isnan(a) and math.isnan(b)) or math.isclose(
                        a, b, rel_tol=1e-9, abs_tol=1e-12
                    )
                    assert same, (table, column, row[:3], a, b)
                else:
                    assert a == b, (table, column, row[:3], a, b)


def fresh_build(pruned: Path, tmp: Path, *build_args: str) -> Path:
    """A new warehouse holding only the given warehouse's raw schemas, built from nothing."""
    fresh = tmp / "fresh.duckdb"
    fresh.unlink(missing_ok=True)
    with closing(duckdb.connect(str(fresh))) as connection:
        connection.execute(f"attach '{pruned}' as pruned (read_only)")
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_catalog = 'pruned' and table_schema like 'raw_%'"
            " and table_type = 'BASE TABLE'"
        ).fetchall()
        for schema, table in tables:
            connection.execute(f'create schema if not exists "{schema}"')
            connection.execute(
                f'create table "{schema}"."{table}" as select * from pruned."{schema}"."{table}"'
            )
        connection.execute("detach pruned")
    # The reference's models only: its data and unit tests would check the same rows a second
    # time (the build under test runs them), at about a third of the build's time.
    no_tests = ("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
    built = cli(fresh, tmp / "fresh", "build", "--threads", "1", *no_tests, *build_args)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-2000:]
    return fresh


RUN_OUTPUTS = ("fct_market_regimes",)


def test_prune_at_several_cutoffs_then_build_equals_a_fresh_build(
    demo_duckdb: Demo, tmp_path: Path
) -> None:
    warehouse = tmp_path / "pruned.duckdb"
    shutil.copy(demo_duckdb.built_file, warehouse)
    original = marts(warehouse)
    previous = original

    for as_of, prices_period, first_kept in CUTOFFS:
        args = ("prune", "--as-of", as_of.isoformat(), "--apply")
        pruned = cli(warehouse, tmp_path, *args, RETENTION__PRICES=prices_period)
        if as_of == CUTOFFS[-1][0]:
            # Every news headline goes: refused without --yes, nothing deleted.
            assert pruned.returncode == 2, pruned.stdout + pruned.stderr
            assert pruned.stderr == (
                "error: the prune would delete every row of news (raw_news.headlines);"
                " nothing deleted; run again with --yes (make prune APPLY=1 YES=1) to confirm\n"
            )
            assert_same_marts(marts(warehouse), previous)
            pruned = cli(warehouse, tmp_path, *args, "--yes", RETENTION__PRICES=prices_period)
        assert pruned.returncode == 0, pruned.stdout + pruned.stderr
        assert "marts.fct_technical_indicators" in pruned.stdout
        assert "intermediate.int_daily_returns_enriched" in pruned.stdout
        built = cli(warehouse, tmp_path, "build", "--threads", "1")
        assert built.returncode == 0, (as_of, built.stdout[-3000:] + built.stderr[-2000:])

        after = marts(warehouse)
        for table, (columns, rows) in after.items():
            # every price mart (per symbol or portfolio); the macro marts keep 5 years. The
            # regimes are a forecast run's output (raw_forecast, which no retention covers yet,
            # like the optimization and backtest runs): kept, and equal to a fresh build below.
            if table in RUN_OUTPUTS:
                continue
            if "trading_date" in columns and ({"symbol", "portfolio_id"} & set(columns)):
                index = columns.index("trading_date")
                assert all(row[index] >= first_kept for row in rows), (as_of, table)
        assert_same_marts(after, marts(fresh_build(warehouse, tmp_path)))

        portfolios = {row[0]: row for row in after["dim_portfolio"][1]}
        flag = after["dim_portfolio"][0].index("is_before_retained_prices")
        inception = after["dim_portfolio"][0].index("inception_date")
        first_priced = min(row[1] for row in after["fct_prices_daily"][1])
        for portfolio_id, row in portfolios.items():
            assert row[flag] == (row[inception] < first_priced), (as_of, portfolio_id)
        valued = {row[0] for row in after["fct_portfolio_performance_daily"][1]}
        assert valued == {p for p, row in portfolios.items() if not row[flag]}, as_of
        unvalued = sorted(p for p, row in portfolios.items() if row[flag])
        assert unvalued, as_of  # the first cut-off flags one portfolio, the later ones both
        health = cli(warehouse, tmp_path, "health")
        line = next(line for line in health.stdout.splitlines() if line.startswith("portfolios"))
        assert line.split()[1] == "warning"
        assert line.endswith(
            f"not valued, older than the retained prices (from {first_priced}): "
            + ", ".join(f"{p} (inception {portfolios[p][inception]})" for p in unvalued)
        )
        previous = after

    # `make demo` on the pruned warehouse: the sample's cursors are past the pruned sessions, so
    # it loads nothing older; it builds, and every mart is what a fresh build makes of the raw.
    again = run_demo(warehouse, tmp_path)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-2000:]
    assert_same_marts(marts(warehouse), marts(fresh_build(warehouse, tmp_path)))

    # The pruned history loaded again (as a load does: stamped now): the incremental marts
    # extend every symbol back, as a fresh build does, and the original demo's marts return.
    with closing(duckdb.connect(str(warehouse))) as connection:
        connection.execute(f"attach '{demo_duckdb.built_file}' as original (read_only)")
        for schema_table, column in RESTORED:
            # the rows older than every row left: what the prunes deleted
            connection.execute(
                f"insert into {schema_table} by name"
                f" select * replace (now() as _loaded_at) from original.{schema_table}"
                f" where {column} < coalesce((select min({column}) from {schema_table}),"
                f" (select max({column}) from original.{schema_table}) + interval 1 day)"
            )
        connection.execute("detach original")
    built = cli(warehouse, tmp_path, "build", "--threads", "1")
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-2000:]
    restored = marts(warehouse)
    assert min(row[1] for row in restored["fct_prices_daily"][1]) == date(2013, 1, 2)
    assert_same_marts(restored, marts(fresh_build(warehouse, tmp_path)))
    for table in (
        "fct_technical_indicators",
        "fct_drawdowns",
        "fct_rolling_risk",
        "fct_risk_metrics",
        "intermediate.int_daily_returns_enriched",
    ):
        assert_same_marts({table: restored[table]}, {table: original[table]})


def test_prune_empties_every_incremental_mart(demo_duckdb: Demo) -> None:
    """INCREMENTAL_MARTS and INCREMENTAL_INTERMEDIATE name exactly the incremental models under
    models/marts and models/intermediate (dbt's manifest of the demo's build), in the schema
    the prune empties."""
    manifest = json.loads((demo_duckdb.tmp / "target" / "manifest.json").read_text())

    def incremental(layer: str) -> set[tuple[str, str]]:
        return {
            (node["schema"], node["alias"])
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model"
            and node["original_file_path"].startswith(f"models/{layer}/")
            and node["config"]["materialized"] == "incremental"
        }

    assert incremental("marts") == {("marts", mart) for mart in INCREMENTAL_MARTS}
    assert incremental("intermediate") == {
        ("intermediate", model) for model in INCREMENTAL_INTERMEDIATE
    }
