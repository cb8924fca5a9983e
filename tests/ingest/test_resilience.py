"""A killed ingest, a database that refuses us, hostile identifiers, and secrets that must not
leak: each end to end, as a user's process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from ingest import runner
from ingest.report import Progress
from ingest.warehouse import Warehouse
from tests.conftest import ROOT, fresh_postgres_database
from tests.ingest.interrupted_run import config

RAW_TABLES = (
    "raw_yahoo.prices_daily",
    "raw_yahoo.corporate_actions",
    "raw_yahoo.symbols",
    "raw_fred.observations",
    "raw_fred.series",
)
LOAD_COLUMNS = {"_loaded_at", "_dlt_load_id", "_dlt_id"}


def warehouse_env(warehouse: Warehouse) -> dict[str, str]:
    if warehouse.kind == "duckdb":
        return {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(warehouse.duckdb_path)}
    return {"WAREHOUSE": "postgres", "PGDATABASE": warehouse.pg["database"]}


def snapshot(warehouse: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    """Every raw row, minus the columns that record when it was loaded."""
    tables = {}
    with closing(warehouse.connect()) as connection:
        cursor = connection.cursor()
        for table in RAW_TABLES:
            schema, name = table.split(".")
            cursor.execute(
                "select column_name from information_schema.columns"
                f" where table_schema = '{schema}' and table_name = '{name}'"
                " order by column_name"
            )
            columns = [row[0] for row in cursor.fetchall() if row[0] not in LOAD_COLUMNS]
            cursor.execute(f"select {', '.join(columns)} from {table}")
            tables[table] = sorted(
                (tuple(row) for row in cursor.fetchall()), key=lambda r: tuple(map(str, r))
            )
    return tables


def prices_loaded(warehouse: Warehouse) -> int:
    with closing(warehouse.connect()) as connection:
        cursor = connection.cursor()
        cursor.execute(
            "select count(*) from information_schema.tables"
            " where table_schema = 'raw_yahoo' and table_name = 'prices_daily'"
        )
        if cursor.fetchone()[0] == 0:
            return 0
        cursor.execute("select count(*) from raw_yahoo.prices_daily")
        return int(cursor.fetchone()[0])


def killed_run(warehouse: Warehouse, phase: str) -> None:
    """Start the ingest, wait for its kill point, SIGKILL it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.ingest.interrupted_run", phase],
        cwd=ROOT,
        env={**os.environ, **warehouse_env(warehouse)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.strip() == "KILLPOINT":
                break
            assert line.strip() != "FINISHED", "the run ended before its kill point"
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(scope="module")
def clean_snapshot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[Any, ...]]]:
    warehouse = Warehouse.from_env(
        {
            "WAREHOUSE": "duckdb",
            "MARKETPULSE_DUCKDB_PATH": str(tmp_path_factory.mktemp("clean") / "clean.duckdb"),
        }
    )
    reports = runner.run(
        config(), warehouse, runner.sample_clients(), progress=Progress(quiet=True)
    )
    assert all(report.ok for report in reports)
    return snapshot(warehouse)


@pytest.mark.parametrize(
    ("kind", "phase"), [("duckdb", "extract"), ("duckdb", "load"), ("postgres", "load")]
)
def test_sigkill_mid_run_then_the_next_run_loses_and_doubles_nothing(
    kind: str,
    phase: str,
    clean_snapshot: dict[str, list[tuple[Any, ...]]],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    def scenario(warehouse: Warehouse) -> None:
        killed_run(warehouse, phase)
        # The kill really left the warehouse short: no prices yet, or fewer than a clean run.
        assert prices_loaded(warehouse) < len(clean_snapshot["raw_yahoo.prices_daily"])
        reports = runner.run(
            config(), warehouse, runner.sample_clients(), progress=Progress(quiet=True)
        )
        assert all(report.ok for report in reports), reports
        after = snapshot(warehouse)
        for table in RAW_TABLES:
            assert len(after[table]) == len(clean_snapshot[table]), table
            assert after[table] == clean_snapshot[table], table

    if kind == "duckdb":
        scenario(
            Warehouse.from_env(
                {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(tmp_path / "wh.duckdb")}
            )
        )
    else:
        with fresh_postgres_database(request.getfixturevalue("postgres_admin_db")) as pg:
            scenario(pg)
