"""Shared fixtures: recorded payloads, a scratch DuckDB warehouse, and a real Postgres database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from marketpulse.ingest.config import IngestConfig
from marketpulse.warehouse import Warehouse

if TYPE_CHECKING:
    from tests.spark_cluster import SparkCluster
    from tests.throwaway_postgres import Cluster

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLE = ROOT / "sample_data"


def cli(*args: str, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """`python -m marketpulse ARGS` in the checkout (its .dlt/config.toml), as a user runs it,
    with `env` over this process's environment; the exit code and output are the caller's."""
    return subprocess.run(
        [sys.executable, "-m", "marketpulse", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


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


def recorded_clients():  # type: ignore[no-untyped-def]
    """The Yahoo and FRED clients answering from tests/fixtures' recorded payloads."""
    from marketpulse.sources.fred.client import ReplayFredClient
    from marketpulse.sources.yahoo.client import ReplayYahooClient

    return (
        ReplayYahooClient(FIXTURES / "yahoo", origin="recorded"),
        ReplayFredClient(FIXTURES / "fred", origin="recorded"),
    )


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
def deep_available() -> None:
    """The `deep` extra (Keras 3 on JAX) for the LSTM's tests: `make test` installs it; without
    it they skip, and under CI=true they fail (docs/decisions/0044)."""
    from marketpulse.forecast import lstm

    if lstm.available():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(lstm.MISSING_EXTRA)
    pytest.skip(f"{lstm.MISSING_EXTRA} (CI never skips)")


@pytest.fixture(scope="session")
def spark_available() -> None:
    """Spark's prerequisites; under CI=true a missing one fails the test (like PostgreSQL)."""
    reason = spark_missing()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"WAREHOUSE=spark cannot run: {reason}")
    pytest.skip(f"WAREHOUSE=spark cannot run: {reason} (CI never skips)")


@pytest.fixture(scope="session")
def spark_cluster(
    spark_available: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SparkCluster]:
    """A Spark standalone cluster on loopback for the session (tests/spark_cluster.py): its
    worker sees this session's temporary folder only as `shared`, the storage a second
    machine would mount; the rest (Derby's metastore, dbt's target) is the driver's alone.
    Cannot start: fails under CI=true, else skips."""
    from tests.spark_cluster import ClusterUnavailable, SparkCluster, standalone_cluster

    base = tmp_path_factory.getbasetemp()
    shared = base / "spark-shared"
    try:
        with standalone_cluster(base, [shared], base / "spark-cluster-logs") as cluster:
            yield SparkCluster(cluster, shared)
    except ClusterUnavailable as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"cannot start a Spark standalone cluster: {exc}")
        pytest.skip(f"cannot start a Spark standalone cluster: {exc} (CI never skips)")


@pytest.fixture(scope="session")
def throwaway_postgres() -> Iterator[Cluster]:
    """A PostgreSQL cluster of our own (tests/throwaway_postgres.py): scram-sha-256 for every
    connection, TLS with a test CA (`.ca`; `.wrong_ca` did not sign it), log_statement = all
    in `.log`. Stopped and deleted at the session's end. Without the server binaries or
    openssl it skips, and under CI=true it fails."""
    from tests.throwaway_postgres import ClusterUnavailable, start_cluster

    try:
        cluster = start_cluster()
    except ClusterUnavailable as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"cannot start a throwaway PostgreSQL cluster: {exc}")
        pytest.skip(f"cannot start a throwaway PostgreSQL cluster: {exc} (CI never skips)")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_warehouse(postgres_admin_db: str) -> Iterator[Warehouse]:
    with fresh_postgres_database(postgres_admin_db) as warehouse:
        yield warehouse


def create_postgres_database(postgres_admin_db: str) -> Warehouse:
    """A new, uniquely named database (one per caller, so xdist workers never share one)."""
    name = f"marketpulse_test_{uuid.uuid4().hex[:10]}"
    admin = _pg_connect(postgres_admin_db)
    admin.autocommit = True
    with closing(admin):
        admin.cursor().execute(f'create database "{name}"')
    return postgres_database_named(name)


def postgres_database_named(name: str) -> Warehouse:
    env = {k: v for k, v in os.environ.items() if k.startswith("PG")}
    env.update({"WAREHOUSE": "postgres", "PGDATABASE": name})
    env.setdefault("PGHOST", "127.0.0.1")
    return Warehouse.from_env(env)


def drop_postgres_database(postgres_admin_db: str, name: str) -> None:
    admin = _pg_connect(postgres_admin_db)
    admin.autocommit = True
    with closing(admin):
        admin.cursor().execute(f'drop database if exists "{name}" with (force)')


@contextmanager
def fresh_postgres_database(postgres_admin_db: str) -> Iterator[Warehouse]:
    """A fresh, uniquely named database, dropped afterwards."""
    warehouse = create_postgres_database(postgres_admin_db)
    try:
        yield warehouse
    finally:
        drop_postgres_database(postgres_admin_db, warehouse.pg["database"])


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def slice_warehouse(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Warehouse]:
    """A fresh warehouse with a slice of the sample loaded (raw only: tests/sample_warehouses.py),
    on each warehouse. A test module may set SLICE_SOURCES to load fewer sources."""
    from marketpulse.ingest import runner
    from tests.sample_warehouses import load_slice

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


# --- markers from fixtures, and the per-worker set-up for pytest-xdist -----------------------

# Every fixture or test that runs dbt asks for `runs_dbt` (directly, or through a fixture such
# as demo_duckdb): such a test is marked `build`, and `make test-fast` (-m "not build") leaves
# it out.
BUILD_FIXTURES = frozenset({"runs_dbt"})
# Spark runs in one JVM per process and takes both cores: its tests stay on one xdist worker.
SPARK_FIXTURES = frozenset({"spark_available"})


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks `build` and `spark` from the fixtures each test uses. xdist groups: the Spark tests
    in one, first in the queue (the longest chain starts first); a module's build tests in one
    (a module-scoped build is not repeated on the other worker; session builds are shared by
    tests/shared_builds.py)."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & SPARK_FIXTURES:
            item.add_marker(pytest.mark.spark)
            item.add_marker(pytest.mark.xdist_group("spark"))
        if used & BUILD_FIXTURES:
            item.add_marker(pytest.mark.build)
            if not used & SPARK_FIXTURES:
                # A module's build tests on one worker: its module-scoped builds run once.
                item.add_marker(pytest.mark.xdist_group(item.path.stem))
    items.sort(key=lambda item: item.get_closest_marker("spark") is None)
    if hasattr(config, "workerinput") and config.getvalue("loadgroup"):
        for item in items:
            _apply_xdist_group(item)


def _apply_xdist_group(item: pytest.Item) -> None:
    """pytest 9 keeps a node id in `item._id`; pytest-xdist 3.8 appends the group to the old
    `item._nodeid`, which nothing reads any more, so --dist loadgroup ignores every
    xdist_group. The same `@group` suffix, where pytest 9 reads it (a no-op when xdist's own
    works: the suffix is then there already)."""
    names = sorted(
        {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
    )
    suffix = "@" + "_".join(names)
    if not names or item.nodeid.endswith(suffix):
        return
    if hasattr(item, "_id"):
        from _pytest.nodeid import NodeId

        item._id = NodeId.parse(item.nodeid + suffix)
    else:
        item._nodeid = item.nodeid + suffix


@pytest.fixture(scope="session", autouse=True)
def dbt_paths_per_worker(tmp_path_factory: pytest.TempPathFactory) -> None:
    """dbt's target and logs default to this process's temp folder, never dbt_project/target,
    which two xdist workers would share (partial parse, run results)."""
    base = tmp_path_factory.getbasetemp()
    os.environ.setdefault("DBT_TARGET_PATH", str(base / "dbt-target"))
    os.environ.setdefault("DBT_LOG_PATH", str(base / "dbt-logs"))


@pytest.fixture(scope="session")
def runs_dbt() -> None:
    """Asked for by every fixture and test that runs a dbt build: marks its tests `build`."""


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drops the Postgres databases the session's workers shared, once all are done: here in
    the main process (xdist's controller, or the only process)."""
    if hasattr(session.config, "workerinput"):
        return
    from tests.shared_builds import session_databases

    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None:
        return
    names = session_databases(factory.getbasetemp())
    for name in names:
        drop_postgres_database(os.environ.get("PGDATABASE", "postgres"), name)
