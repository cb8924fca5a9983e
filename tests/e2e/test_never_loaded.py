"""A source that has never loaded (issue 18 items 7, 8): its raw table does not exist, and the
build still passes, with its marts empty; `make build` on an empty warehouse builds every mart
empty; `make health` names each source that never loaded."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import duckdb
import pytest

from marketpulse.warehouse import Warehouse
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
