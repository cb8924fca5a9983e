"""The demo on DuckDB, Postgres and Spark, each built once per session and shared by the e2e
tests (and by pytest-xdist's workers: tests/shared_builds.py, docs/decisions/0018-test-loop.md)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from marketpulse.build.dbt import dbt_env
from marketpulse.warehouse import Warehouse
from tests.conftest import ROOT, create_postgres_database, postgres_database_named
from tests.sample_warehouses import (
    Demo,
    DocsSite,
    SparkDemo,
    build_sample,
    run_demo,
    spark_litter,
)
from tests.shared_builds import register_session_database, shared_build
from tests.spark_cluster import SparkCluster


@pytest.fixture(scope="session")
def demo_duckdb(tmp_path_factory: pytest.TempPathFactory, runs_dbt: None) -> Demo:
    """`make demo` run once per session as a user's process; each worker reads its own copy
    of the warehouse file (a test may run the demo again on it: test_demo_duckdb)."""

    def build(folder: Path) -> dict[str, object]:
        result = run_demo(folder / "marketpulse.duckdb", folder)
        return {"returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr}

    shared, built = shared_build(tmp_path_factory, "demo-duckdb", build)
    first = subprocess.CompletedProcess(
        ["marketpulse", "demo"], built["returncode"], built["stdout"], built["stderr"]
    )
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    tmp = tmp_path_factory.mktemp("duckdb")
    shutil.copy(shared / "marketpulse.duckdb", tmp / "marketpulse.duckdb")
    shutil.copytree(shared / "target", tmp / "target")
    warehouse = Warehouse.from_env(
        {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(tmp / "marketpulse.duckdb")}
    )
    return Demo(warehouse, first, tmp, shared / "marketpulse.duckdb")


@pytest.fixture(scope="session")
def demo_postgres(
    tmp_path_factory: pytest.TempPathFactory, postgres_admin_db: str, runs_dbt: None
) -> Warehouse:
    """The demo's steps once per session into one database that every worker reads (no test
    writes to it; one that must, copies the DuckDB demo instead). Dropped at the session's end."""

    def build(folder: Path) -> dict[str, object]:
        warehouse = create_postgres_database(postgres_admin_db)
        register_session_database(tmp_path_factory, warehouse.pg["database"])
        build_sample(warehouse, folder)
        return {"database": warehouse.pg["database"]}

    _, built = shared_build(tmp_path_factory, "demo-postgres", build)
    return postgres_database_named(str(built["database"]))


@pytest.fixture(scope="session")
def docs_site(demo_duckdb: Demo, tmp_path_factory: pytest.TempPathFactory) -> DocsSite:
    """`dbt docs generate --static` on the demo warehouse (what `make docs` builds), once per
    session, on a copy of the demo in the shared folder."""

    def build(folder: Path) -> dict[str, object]:
        shutil.copy(demo_duckdb.warehouse.duckdb_path, folder / "marketpulse.duckdb")
        warehouse = Warehouse.from_env(
            {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(folder / "marketpulse.duckdb")}
        )
        env = {**dbt_env(warehouse), "DBT_TARGET_PATH": str(folder / "target")}
        env["DBT_LOG_PATH"] = str(folder / "logs")
        dbt = str(Path(sys.executable).with_name("dbt"))
        result = subprocess.run(
            [dbt, "--no-use-colors", "docs", "generate", "--static"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-2000:]
        return {}

    shared, _ = shared_build(tmp_path_factory, "docs-site", build)
    target = shared / "target"
    return DocsSite(
        manifest=json.loads((target / "manifest.json").read_text()),
        catalog=json.loads((target / "catalog.json").read_text()),
        site=(target / "static_index.html").read_text(),
        site_bytes=(target / "static_index.html").stat().st_size,
    )


@pytest.fixture(scope="session")
def spark_sample(
    tmp_path_factory: pytest.TempPathFactory, spark_cluster: SparkCluster, runs_dbt: None
) -> SparkDemo:
    """What `make demo WAREHOUSE=spark` does, as build_sample, on the session's standalone
    cluster: the sample data through dlt into a parquet lake on the shared storage, the sample
    portfolios, `dbt build` (the driver here, the executors on the worker that sees only the
    shared storage), the demo's optimization. Shared by the session's Spark tests, which all run
    on one xdist worker (the `spark` group); a test that changes the lake or the marts
    (appends a load, rebuilds) must say so and leave the marts as a full build would."""
    tmp = tmp_path_factory.mktemp("spark")
    warehouse = spark_cluster.warehouse("spark-sample", tmp)
    litter_before = spark_litter()
    code = build_sample(warehouse, tmp, require_green=False)  # test_spark reports a red build
    return SparkDemo(warehouse, code, tmp, litter_before)
