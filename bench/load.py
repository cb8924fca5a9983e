"""`python -m bench.load`: target 4 of issue 16 on its own, in a minute rather than the whole
bench: dlt's load of the synthetic universe through the real Yahoo pipeline, against the
warehouse's own bulk load of the same rows.

dlt: `marketpulse.ingest.runner.run_source("yahoo", ...)` with bench/yahoo_client.py at the
client boundary, into a new raw_yahoo: the source's frame -> Arrow conversion, dlt's extract,
normalize and load (parquet into DuckDB, and into Postgres through ADBC) and its merge.
Bulk: the same rows written to a file (untimed), then read by the warehouse's own bulk path
(bench/warehouses.py: DuckDB `read_csv`, Postgres `COPY FROM`). Each warehouse is a new
DuckDB file / Postgres database under this run's own name (bench/scratch.py), removed after.
`make bench` measures the same in its full run (bench/run.py, step dlt_load / bulk_load).
"""

from __future__ import annotations

import argparse
import json
import time

from bench.scratch import DEFAULT_PREFIX, scratch
from bench.universe import generate, load_through_source, raw_prices
from bench.warehouses import bench_for
from bench.yahoo_client import SyntheticYahooClient
from marketpulse.build.dbt import ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--symbols", type=int, default=500, help="S (default 500)")
    parser.add_argument("--years", type=int, default=10, help="Y (default 10)")
    parser.add_argument("--warehouses", default="duckdb,postgres")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="database name prefix")
    args = parser.parse_args(argv)
    folder = (ROOT / "data" / "bench").absolute()
    folder.mkdir(parents=True, exist_ok=True)
    prices, actions = generate(args.symbols, args.years)
    client = SyntheticYahooClient(prices, actions)
    results = []
    with scratch(args.prefix) as run:
        for name in args.warehouses.split(","):
            bench = bench_for(name.strip(), folder)
            warehouse = bench.create(run, args.years)
            started = time.perf_counter()
            load_through_source(warehouse, client)
            dlt_seconds = time.perf_counter() - started
            bulk = bench.bulk_load(warehouse, raw_prices(prices))[bench.bulk_method]
            result = {
                "warehouse": bench.name,
                "rows": len(prices),
                "dlt_seconds": dlt_seconds,
                "file_format": bench.file_format(warehouse),
                "bulk_method": bench.bulk_method,
                "bulk_seconds": bulk,
                "dlt_to_bulk": dlt_seconds / bulk,
                "limit": bench.load_limit,
            }
            print(
                f"{bench.name}: {len(prices):,} rows, dlt {dlt_seconds:.1f}s"
                f" ({len(prices) / dlt_seconds:,.0f} rows/s, {result['file_format']}),"
                f" {bench.bulk_method} {bulk:.1f}s: dlt / bulk = {result['dlt_to_bulk']:.2f}x"
                f" (limit {bench.load_limit}x)",
                flush=True,
            )
            results.append(result)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
