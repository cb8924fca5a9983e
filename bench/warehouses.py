"""What the bench does differently per warehouse, one class each (no branching on a kind).

Each class creates a database only when its name is free (and records it in the run's
Scratch), reads a query into pandas the fastest ordinary way for its client, bulk-loads a
frame the way that warehouse's own tooling would (the baseline for dlt's load) and carries the
issue's limits for it (None: reported, no target).
"""

from __future__ import annotations

import os
import shutil
import time
from contextlib import closing
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from bench.scratch import BenchError, Scratch
from marketpulse.warehouse import Warehouse

BULK_SCHEMA = "bench_bulk"


class WarehouseBench:
    name: ClassVar[str]
    # The targets (docs/decisions/0022-benchmark.md); None: measured, no target.
    indicator_limit: ClassVar[float | None] = None
    refresh_share_limit: ClassVar[float | None] = None
    refresh_growth_limit: ClassVar[float | None] = None
    load_limit: ClassVar[float | None] = None
    memory_limit_mb: ClassVar[float | None] = None
    bulk_method: ClassVar[str]

    def __init__(self, folder: Path, duckdb_threads: int = 1) -> None:
        self.folder = folder
        self.duckdb_threads = duckdb_threads

    def create(self, run: Scratch, years: int) -> Warehouse:
        raise NotImplementedError

    def dbt_args(self) -> list[str]:
        """Extra flags for `dbt run` / `dbt test` (the profile's threads otherwise)."""
        return []

    def file_format(self, warehouse: Warehouse) -> str:
        """The file format dlt loaded raw_yahoo.prices_daily from in the last Yahoo run (the
        source asks for parquet; dlt falls back to the warehouse's default where it cannot)."""
        import dlt

        pipeline = dlt.pipeline("marketpulse_yahoo", pipelines_dir=str(warehouse.pipelines_dir()))
        trace = pipeline.last_trace
        packages = trace.last_load_info.load_packages if trace and trace.last_load_info else []
        formats = {
            job.job_file_info.file_format
            for package in packages
            for job in package.jobs["completed_jobs"]
            if job.job_file_info.table_name == "prices_daily"
            and job.job_file_info.file_format != "sql"  # the merge that follows the load
        }
        return ",".join(sorted(formats)) or warehouse.loader_file_format() or "?"

    def read_frame(self, warehouse: Warehouse, sql: str) -> pd.DataFrame:
        with closing(warehouse.connect()) as connection:
            return connection.execute(sql).df()

    def bulk_load(self, warehouse: Warehouse, frame: pd.DataFrame) -> dict[str, float]:
        """Seconds to bulk-load `frame` (already written to files, untimed) per method."""
        raise NotImplementedError

    def server_version(self, warehouse: Warehouse) -> str:
        return ""


class DuckDBBench(WarehouseBench):
    name = "duckdb"
    indicator_limit = 3.0
    refresh_share_limit = 0.05
    refresh_growth_limit = 1.5
    load_limit = 3.0
    memory_limit_mb = 2048.0
    bulk_method = "read_csv"

    def create(self, run: Scratch, years: int) -> Warehouse:
        name = run.name(years)
        path = self.folder / f"{name}.duckdb"
        if path.exists():
            raise BenchError(
                f"{path} exists; the bench never reuses or removes a file it did not make"
            )
        warehouse = Warehouse.from_env(
            {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(path)}
        )

        def drop() -> None:
            for leftover in (path, path.with_suffix(".duckdb.wal")):
                leftover.unlink(missing_ok=True)
            shutil.rmtree(warehouse.pipelines_dir(), ignore_errors=True)

        run.record("duckdb file", str(path), drop)
        return warehouse

    def dbt_args(self) -> list[str]:
        return ["--threads", str(self.duckdb_threads)]

    def bulk_load(self, warehouse: Warehouse, frame: pd.DataFrame) -> dict[str, float]:
        csv, parquet = self.folder / "bulk.csv", self.folder / "bulk.parquet"
        frame.to_csv(csv, index=False)
        frame.to_parquet(parquet, index=False)
        seconds = {}
        try:
            with closing(warehouse.connect(read_only=False)) as connection:
                connection.execute(f"create schema if not exists {BULK_SCHEMA}")
                for method, reader in (("read_csv", "read_csv"), ("read_parquet", "read_parquet")):
                    connection.execute(f"drop table if exists {BULK_SCHEMA}.prices_daily")
                    started = time.perf_counter()
                    connection.execute(
                        f"create table {BULK_SCHEMA}.prices_daily as"
                        f" select * from {reader}('{csv if reader == 'read_csv' else parquet}')"
                    )
                    seconds[method] = time.perf_counter() - started
                connection.execute(f"drop schema {BULK_SCHEMA} cascade")
        finally:
            csv.unlink(missing_ok=True)
            parquet.unlink(missing_ok=True)
        return seconds

    def server_version(self, warehouse: Warehouse) -> str:
        import duckdb

        return f"DuckDB {duckdb.__version__}"


class PostgresBench(WarehouseBench):
    name = "postgres"
    indicator_limit = 20.0
    refresh_share_limit = 0.05
    refresh_growth_limit = 1.5
    load_limit = 3.0
    bulk_method = "COPY"

    def _admin(self) -> Any:
        import psycopg2

        admin = Warehouse.from_env(
            {"WAREHOUSE": "postgres", **{k: v for k, v in os.environ.items() if k.startswith("PG")}}
        )
        pg = admin.pg
        connection = psycopg2.connect(
            host=pg["host"],
            port=int(pg["port"]),
            user=pg["username"],
            password=pg["password"] or None,
            dbname=pg["database"],
            connect_timeout=10,
        )
        connection.autocommit = True
        return connection

    def create(self, run: Scratch, years: int) -> Warehouse:
        import psycopg2

        name = run.name(years)
        with closing(self._admin()) as admin:
            try:
                # Fails when the name is taken: the bench never drops what it did not create.
                admin.cursor().execute(f'create database "{name}"')
            except psycopg2.errors.DuplicateDatabase as exc:
                raise BenchError(f"database {name} exists; the bench never reuses it") from exc
        env = {k: v for k, v in os.environ.items() if k.startswith("PG")}
        warehouse = Warehouse.from_env({"WAREHOUSE": "postgres", **env, "PGDATABASE": name})

        def drop() -> None:
            with closing(self._admin()) as admin:
                admin.cursor().execute(f'drop database if exists "{name}" with (force)')
            shutil.rmtree(warehouse.pipelines_dir(), ignore_errors=True)

        run.record("postgres database", name, drop)
        return warehouse

    def read_frame(self, warehouse: Warehouse, sql: str) -> pd.DataFrame:
        """COPY (query) TO STDOUT as CSV into pandas: the fast way out of Postgres."""
        import io

        buffer = io.StringIO()
        with closing(warehouse.connect()) as connection:
            connection.cursor().copy_expert(
                f"copy ({sql}) to stdout with (format csv, header)", buffer
            )
        buffer.seek(0)
        return pd.read_csv(buffer)

    def bulk_load(self, warehouse: Warehouse, frame: pd.DataFrame) -> dict[str, float]:
        csv = self.folder / "bulk.csv"
        frame.to_csv(csv, index=False, header=False)
        types = {"int64": "bigint", "float64": "double precision", "object": "text"}
        columns = ", ".join(
            f"{column} {types.get(str(dtype), 'timestamptz' if 'datetime' in str(dtype) else 'text')}"
            for column, dtype in frame.dtypes.items()
        )
        columns = columns.replace("trading_date text", "trading_date date")
        try:
            with closing(warehouse.connect(read_only=False)) as connection:
                cursor = connection.cursor()
                cursor.execute(f"create schema {BULK_SCHEMA}")
                cursor.execute(f"create table {BULK_SCHEMA}.prices_daily ({columns})")
                connection.commit()
                started = time.perf_counter()
                with csv.open() as source:
                    cursor.copy_expert(
                        f"copy {BULK_SCHEMA}.prices_daily from stdin with (format csv)", source
                    )
                connection.commit()
                seconds = time.perf_counter() - started
                cursor.execute(f"drop schema {BULK_SCHEMA} cascade")
                connection.commit()
        finally:
            csv.unlink(missing_ok=True)
        return {"COPY": seconds}

    def server_version(self, warehouse: Warehouse) -> str:
        with closing(warehouse.connect()) as connection:
            cursor = connection.cursor()
            cursor.execute("show server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"


class SparkBench(WarehouseBench):
    name = "spark"
    refresh_share_limit = 0.25
    bulk_method = "parquet"

    def create(self, run: Scratch, years: int) -> Warehouse:
        folder = self.folder / run.name(years)
        if folder.exists():
            raise BenchError(
                f"{folder} exists; the bench never reuses or removes a folder it did not make"
            )
        folder.mkdir(parents=True)
        run.record("spark folder", str(folder), lambda: shutil.rmtree(folder, ignore_errors=True))
        return Warehouse.from_env(
            {
                "WAREHOUSE": "spark",
                "MARKETPULSE_LAKE_URL": str(folder / "lake"),
                "MARKETPULSE_SPARK_DIR": str(folder / "spark"),
            }
        )

    def bulk_load(self, warehouse: Warehouse, frame: pd.DataFrame) -> dict[str, float]:
        """The lake's bulk load is writing one parquet file with pyarrow."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        target = Path(warehouse.lake_url) / BULK_SCHEMA / "prices_daily.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), target)
        seconds = time.perf_counter() - started
        shutil.rmtree(target.parent, ignore_errors=True)
        return {"parquet": seconds}


BENCHES: dict[str, type[WarehouseBench]] = {
    bench.name: bench for bench in (DuckDBBench, PostgresBench, SparkBench)
}


def bench_for(name: str, folder: Path, duckdb_threads: int = 1) -> WarehouseBench:
    try:
        return BENCHES[name](folder, duckdb_threads)
    except KeyError:
        raise BenchError(
            f"--warehouses: unknown warehouse {name!r}; use some of {', '.join(BENCHES)}"
        ) from None
