"""A small real warehouse for the quality tests: a slice of the bundled sample through the dlt
pipelines, on DuckDB and on Postgres, with parameterised SQL helpers."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from marketpulse.build.dbt import run_dbt
from marketpulse.ingest import runner
from marketpulse.ingest.report import Progress
from marketpulse.warehouse import Warehouse
from tests.conftest import fixture_config, fresh_postgres_database

SLICE = {
    "symbols": ("AAPL", "SPY"),
    "yahoo_start": date(2018, 10, 1),
    "series": ("DGS10", "CPIAUCSL"),
    "fred_start": date(2018, 1, 1),
    "news_symbols": ("AAPL", "SPY"),
}


def execute(warehouse: Warehouse, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one statement with bound parameters (written with %s) and commit; rows if any."""
    if warehouse.kind == "duckdb":
        sql = sql.replace("%s", "?")
    with closing(warehouse.connect(read_only=False)) as connection:
        cursor = connection.cursor()
        cursor.execute(sql, tuple(params))
        rows = [tuple(row) for row in cursor.fetchall()] if cursor.description else []
        connection.commit()
        return rows


def load_slice(warehouse: Warehouse, sources: tuple[str, ...] = runner.SOURCES) -> None:
    """The slice through the real pipelines; every source unless told (dbt needs them all)."""
    reports = runner.run(
        fixture_config(**SLICE),
        warehouse,
        runner.sample_clients(),
        sources,
        progress=Progress(quiet=True),
    )
    assert all(report.ok for report in reports), [r for r in reports if not r.ok]


def dbt(warehouse: Warehouse, tmp: Path, *args: str) -> int:
    os.environ["DBT_TARGET_PATH"] = str(tmp / "target")
    os.environ["DBT_LOG_PATH"] = str(tmp / "logs")
    return run_dbt(warehouse, *args, quiet=True)


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def slice_warehouse(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Warehouse]:
    """A fresh warehouse with the sample slice loaded (raw only), on each warehouse. A test
    module may set SLICE_SOURCES to load fewer sources."""
    tmp = tmp_path_factory.mktemp(request.param)
    sources = getattr(request.module, "SLICE_SOURCES", runner.SOURCES)
    if request.param == "duckdb":
        warehouse = Warehouse.from_env(
            {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(tmp / "wh.duckdb")}
        )
        load_slice(warehouse, sources)
        yield warehouse
        return
    admin = request.getfixturevalue("postgres_admin_db")
    with fresh_postgres_database(admin) as warehouse:
        load_slice(warehouse, sources)
        yield warehouse
