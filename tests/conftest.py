"""Shared fixtures: recorded payloads, a scratch DuckDB warehouse, and a real Postgres database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from marketpulse.ingest.config import IngestConfig
from marketpulse.warehouse import Warehouse

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLE = ROOT / "sample_data"


@pytest.fixture
def duckdb_warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse.from_env(
        {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(tmp_path / "wh.duckdb")}
    )


def fixture_config(**changes: object) -> IngestConfig:
    config = IngestConfig(
        symbols=("AAPL", "SPY"),
        yahoo_start=date(2014, 1, 1),
        yahoo_lag_days=7,
        series=("DGS10", "CPIAUCSL"),
        fred_start=date(2014, 1, 1),
        fred_lag_days=30,
        fred_api_key=None,
    )
    from dataclasses import replace

    return replace(config, **changes)  # type: ignore[arg-type]


def _pg_connect(dbname: str):  # type: ignore[no-untyped-def]
    import psycopg2

    return psycopg2.connect(
        host=os.environ.get("PGHOST", "127.0.0.1"),
        port=int(os.environ.get("PGPORT", "5432")),
        user=os.environ.get("PGUSER", "postgres"),
        password=os.environ.get("PGPASSWORD") or None,
        dbname=dbname,
        connect_timeout=5,
    )


@pytest.fixture(scope="session")
def postgres_admin_db() -> str:
    """The maintenance database; under CI=true an unreachable server fails the test."""
    import psycopg2

    admin = os.environ.get("PGDATABASE", "postgres")
    try:
        _pg_connect(admin).close()
    except psycopg2.OperationalError as exc:
        message = f"PostgreSQL is not reachable at {os.environ.get('PGHOST', '127.0.0.1')}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message + " (start one, see docs/warehouses.md; CI never skips)")
    return admin


def spark_missing() -> str | None:
    """Why WAREHOUSE=spark cannot run here (no pyspark / dbt-spark, no Java 17+), or None."""
    import importlib.util
    import re
    import shutil
    import subprocess

    for module, extra in (("pyspark", "spark"), ("dbt.adapters.spark", "spark")):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            return f"{module} is not installed (`make setup WAREHOUSE=spark` installs .[{extra}])"
    if shutil.which("java") is None:
        return "java is not on PATH; Spark needs a Java 17+ runtime (openjdk-17-jre-headless)"
    version = subprocess.run(
        ["java", "-version"], capture_output=True, text=True, check=False
    ).stderr
    match = re.search(r'version "(\d+)', version)
    if match and int(match.group(1)) < 17:
        return f"Spark 4 needs Java 17+, found: {version.splitlines()[0]}"
    return None


@pytest.fixture(scope="session")
def spark_available() -> None:
    """Spark's prerequisites; under CI=true a missing one fails the test (like PostgreSQL)."""
    reason = spark_missing()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"WAREHOUSE=spark cannot run: {reason}")
    pytest.skip(f"WAREHOUSE=spark cannot run: {reason} (CI never skips)")


@pytest.fixture
def postgres_warehouse(postgres_admin_db: str) -> Iterator[Warehouse]:
    with fresh_postgres_database(postgres_admin_db) as warehouse:
        yield warehouse


@contextmanager
def fresh_postgres_database(postgres_admin_db: str) -> Iterator[Warehouse]:
    """A fresh, uniquely named database, dropped afterwards."""
    name = f"marketpulse_test_{uuid.uuid4().hex[:10]}"
    admin = _pg_connect(postgres_admin_db)
    admin.autocommit = True
    admin.cursor().execute(f'create database "{name}"')
    env = {k: v for k, v in os.environ.items() if k.startswith("PG")}
    env.update({"WAREHOUSE": "postgres", "PGDATABASE": name})
    env.setdefault("PGHOST", "127.0.0.1")
    try:
        yield Warehouse.from_env(env)
    finally:
        admin.cursor().execute(f'drop database if exists "{name}" with (force)')
        admin.close()
