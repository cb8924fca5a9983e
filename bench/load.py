"""`python -m bench.load`: dlt's load of the synthetic universe through the real Yahoo source,
against the warehouse's own bulk load of the same rows (issue 16, target 4).

dlt: `marketpulse.ingest.runner.run_source("yahoo", ...)` with bench/yahoo_client.py at the
client boundary, into an empty raw_yahoo: the source's frame -> Arrow conversion, dlt's
extract, normalize and load (parquet into DuckDB, csv + COPY into Postgres) and its merge.
Bulk: the rows dlt landed, written to a CSV file (untimed), then read by the warehouse's own
bulk path into a new table of the same column types: DuckDB `read_csv`, Postgres `COPY FROM`.
Each warehouse is a new DuckDB file / Postgres database under this run's own name, removed
afterwards; the bench never touches one it did not create.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from bench.universe import generate
from bench.yahoo_client import SyntheticYahooClient
from marketpulse.build.dbt import ROOT
from marketpulse.ingest import runner
from marketpulse.ingest.report import Progress
from marketpulse.sources.yahoo import yahoo_source
from marketpulse.warehouse import Warehouse

COLUMNS = (
    "symbol",
    "trading_date",
    "open",
    "high",
    "low",
    "close",
    "adj_close",
    "volume",
    "exchange_timezone",
    "data_origin",
    "_loaded_at",
)
BULK_TABLE = "bench_bulk_prices_daily"


def dlt_load(warehouse: Warehouse, client: SyntheticYahooClient) -> float:
    """Seconds for one run of the Yahoo pipeline over every symbol of `client`."""
    started = time.perf_counter()
    report = runner.run_source(
        "yahoo",
        lambda report: yahoo_source(client.symbols, client, report, Progress(quiet=True)),
        warehouse,
    )
    seconds = time.perf_counter() - started
    if not report.ok:
        raise RuntimeError(f"dlt load failed: {report.fatal or report.failed}")
    return seconds


def bulk_load_duckdb(warehouse: Warehouse, folder: Path) -> float:
    csv = folder / "bulk_prices_daily.csv"
    with closing(warehouse.connect(read_only=False)) as connection:
        connection.execute(
            f"copy (select {', '.join(COLUMNS)} from raw_yahoo.prices_daily) to '{csv}' (header)"
        )
        connection.execute(
            f"create table raw_yahoo.{BULK_TABLE} as"
            f" select {', '.join(COLUMNS)} from raw_yahoo.prices_daily limit 0"
        )
        started = time.perf_counter()
        connection.execute(f"insert into raw_yahoo.{BULK_TABLE} select * from read_csv('{csv}')")
        seconds = time.perf_counter() - started
        connection.execute(f"drop table raw_yahoo.{BULK_TABLE}")
    csv.unlink()
    return seconds


def bulk_load_postgres(warehouse: Warehouse, folder: Path) -> float:
    csv = folder / "bulk_prices_daily.csv"
    with closing(warehouse.connect(read_only=False)) as connection:
        cursor = connection.cursor()
        with csv.open("w") as sink:
            cursor.copy_expert(
                f"copy (select {', '.join(COLUMNS)} from raw_yahoo.prices_daily) to stdout"
                " with (format csv)",
                sink,
            )
        cursor.execute(
            f"create table raw_yahoo.{BULK_TABLE} as"
            f" select {', '.join(COLUMNS)} from raw_yahoo.prices_daily limit 0"
        )
        connection.commit()
        started = time.perf_counter()
        with csv.open() as source:
            cursor.copy_expert(f"copy raw_yahoo.{BULK_TABLE} from stdin with (format csv)", source)
        connection.commit()
        seconds = time.perf_counter() - started
        cursor.execute(f"drop table raw_yahoo.{BULK_TABLE}")
        connection.commit()
    csv.unlink()
    return seconds


def _postgres_admin() -> Any:
    import psycopg2

    pg = Warehouse.from_env({"WAREHOUSE": "postgres", **_pg_env()}).pg
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


def _pg_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("PG")}


def measure(kind: str, client: SyntheticYahooClient, rows: int, name: str, folder: Path) -> dict:
    """dlt and bulk seconds on a new warehouse called `name` (created here, removed here)."""
    if kind == "duckdb":
        path = folder / f"{name}.duckdb"
        if path.exists():
            raise SystemExit(f"error: {path} exists; the bench never reuses a file")
        warehouse = Warehouse.from_env(
            {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(path)}
        )
        try:
            dlt_seconds = dlt_load(warehouse, client)
            bulk_seconds = bulk_load_duckdb(warehouse, folder)
        finally:
            path.unlink(missing_ok=True)
            path.with_suffix(".duckdb.wal").unlink(missing_ok=True)
            shutil.rmtree(warehouse.pipelines_dir(), ignore_errors=True)
        method = "read_csv"
    elif kind == "postgres":
        with closing(_postgres_admin()) as admin:
            admin.cursor().execute(f'create database "{name}"')  # fails when the name is taken
        warehouse = Warehouse.from_env({"WAREHOUSE": "postgres", **_pg_env(), "PGDATABASE": name})
        try:
            dlt_seconds = dlt_load(warehouse, client)
            bulk_seconds = bulk_load_postgres(warehouse, folder)
        finally:
            with closing(_postgres_admin()) as admin:
                admin.cursor().execute(f'drop database if exists "{name}" with (force)')
            shutil.rmtree(warehouse.pipelines_dir(), ignore_errors=True)
        method = "COPY"
    else:
        raise SystemExit(f"error: --warehouses: {kind!r} is not duckdb or postgres")
    return {
        "warehouse": kind,
        "rows": rows,
        "dlt_seconds": dlt_seconds,
        "dlt_rows_per_second": rows / dlt_seconds,
        "bulk_method": method,
        "bulk_seconds": bulk_seconds,
        "ratio_dlt_to_bulk": dlt_seconds / bulk_seconds,
        "file_format": warehouse.loader_file_format(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--warehouses", default="duckdb,postgres")
    parser.add_argument(
        "--prefix",
        default="marketpulse_bench_load",
        help="name prefix of the scratch DuckDB files / Postgres databases (a run id follows)",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "data" / "bench")
    args = parser.parse_args(argv)
    folder = args.output.absolute()
    folder.mkdir(parents=True, exist_ok=True)
    prices, actions = generate(args.symbols, args.years)
    client = SyntheticYahooClient(prices, actions)
    run_id = f"{os.getpid()}_{int(time.time())}"
    results = []
    for kind in args.warehouses.split(","):
        result = measure(kind, client, len(prices), f"{args.prefix}_{run_id}_{kind}", folder)
        print(
            f"{kind}: {result['rows']:,} rows, dlt {result['dlt_seconds']:.1f}s"
            f" ({result['dlt_rows_per_second']:,.0f} rows/s),"
            f" {result['bulk_method']} {result['bulk_seconds']:.1f}s:"
            f" dlt / bulk = {result['ratio_dlt_to_bulk']:.2f}x",
            flush=True,
        )
        results.append(result)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
