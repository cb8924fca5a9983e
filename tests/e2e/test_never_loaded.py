"""A source that has never loaded (issue 18 items 7, 8): its raw table does not exist, and the
build still passes, with its marts empty; `make build` on an empty warehouse builds every mart
empty; `make health` names each source that never loaded."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import duckdb
import pytest

from marketpulse.warehouse import Warehouse
from tests.conftest import ROOT
from tests.e2e.test_retention_propagates import cli
from tests.sample_warehouses import load_slice

NEVER_LOADED = "never loaded: no rows in {table}; its marts are empty until `make ingest`"
RAW = {
    "yahoo": "raw_yahoo.prices_daily",
    "fred": "raw_fred.observations",
    "trends": "raw_trends.interest_over_time",
    "news": "raw_news.headlines",
}


def mart_counts(path: Path) -> dict[str, int]:
    with closing(duckdb.connect(str(path), read_only=True)) as connection:
        tables = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
        return {
            table: connection.execute(f"select count(*) from marts.{table}").fetchone()[0]
            for (table,) in tables
        }


def health_details(path: Path, tmp: Path) -> dict[str, tuple[str, str]]:
    """`marketpulse health`'s table: check name -> (status, detail)."""
    lines = cli(path, tmp, "health").stdout.splitlines()
    width = len(lines[1].split()[0])  # the dashes under "check"
    checks = {}
    for line in lines[2:]:
        level, _, detail = line[width:].strip().partition("  ")
        checks[line[:width].strip()] = (level.strip(), detail.strip())
    return checks


@pytest.mark.usefixtures("runs_dbt")
def test_build_on_an_empty_warehouse_builds_every_mart_empty(tmp_path: Path) -> None:
    warehouse = tmp_path / "empty.duckdb"  # not even the file exists: the dashboard's hint
    built = cli(warehouse, tmp_path, "build")
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-2000:]
    counts = mart_counts(warehouse)
    assert len(counts) >= 30 and "fct_trends" in counts and "fct_prices_daily" in counts
    # Only the calendar, a seed, has rows: every mart over a raw source is empty.
    assert {table for table, rows in counts.items() if rows} == {"dim_date"}
    checks = health_details(warehouse, tmp_path)
    for source, table in RAW.items():
        assert checks[f"fresh {source}"] == ("warning", NEVER_LOADED.format(table=table))


@pytest.mark.usefixtures("runs_dbt")
def test_a_source_never_loaded_builds_its_marts_empty(tmp_path: Path) -> None:
    """Prices, FRED and news loaded; trends never: its raw table does not exist."""
    path = tmp_path / "no_trends.duckdb"
    load_slice(
        Warehouse.from_env({"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(path)}),
        ("yahoo", "fred", "news"),
    )
    built = cli(path, tmp_path, "build")
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-2000:]
    counts = mart_counts(path)
    assert counts["fct_trends"] == 0
    for table in ("fct_prices_daily", "fct_macro_observations", "fct_news_sentiment"):
        assert counts[table] > 0, table
    checks = health_details(path, tmp_path)
    assert checks["fresh trends"] == ("warning", NEVER_LOADED.format(table=RAW["trends"]))
    assert checks["fresh yahoo"][0] == "info"  # sample data, loaded


@pytest.mark.usefixtures("runs_dbt")
def test_build_on_an_empty_postgres_database_builds_every_mart_empty(
    postgres_warehouse: Warehouse, tmp_path: Path
) -> None:
    """The same on a new Postgres database: every mart, empty but the calendar."""
    result = subprocess.run(
        [sys.executable, "-m", "marketpulse", "build"],
        cwd=ROOT,
        env={
            **os.environ,
            **postgres_warehouse.env(),
            "DBT_TARGET_PATH": str(tmp_path / "target"),
            "DBT_LOG_PATH": str(tmp_path / "logs"),
        },
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    with closing(postgres_warehouse.connect()) as connection:
        cursor = connection.cursor()
        cursor.execute(
            "select table_name from information_schema.tables"
            " where table_schema = 'marts' and table_type = 'BASE TABLE'"
        )
        tables = [row[0] for row in cursor.fetchall()]
        assert len(tables) >= 30 and "fct_trends" in tables
        counts = {}
        for table in tables:
            cursor.execute(f"select count(*) from marts.{table}")
            counts[table] = cursor.fetchone()[0]
    assert {table for table, rows in counts.items() if rows} == {"dim_date"}
