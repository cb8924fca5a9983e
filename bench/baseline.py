"""One baseline run, in its own process so its peak memory is its own:
`python -m bench.baseline talib|pandas` on the warehouse of the environment (WAREHOUSE, ...).

End to end like the dbt model: read the adjusted prices from fct_prices_daily, compute the
indicators, write them into bench_baselines.<method>_indicators. Prints the timings as JSON.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from contextlib import closing

import pandas as pd

from bench.baselines import pandas_indicators, talib_indicators
from marketpulse.warehouse import Warehouse

PRICES = (
    "select symbol, trading_date, adj_high as high, adj_low as low, adj_close as close,"
    " cast(volume as double precision) as volume from marts.fct_prices_daily"
    " order by symbol, trading_date"
)
METHODS = {"talib": talib_indicators, "pandas": pandas_indicators}


def read_prices(warehouse: Warehouse) -> pd.DataFrame:
    with closing(warehouse.connect()) as connection:
        if warehouse.kind == "duckdb":
            return connection.execute(PRICES).df()
        cursor = connection.cursor()
        cursor.execute(PRICES)
        return pd.DataFrame(cursor.fetchall(), columns=[c[0] for c in cursor.description])


def write_result(warehouse: Warehouse, table: str, frame: pd.DataFrame) -> None:
    if warehouse.kind == "spark":  # a parquet table in Spark's warehouse, as Spark writes one
        import shutil
        from pathlib import Path

        folder = Path(warehouse.spark_warehouse_url) / "bench_baselines.db" / table
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        frame.to_parquet(folder / "part-00000.parquet", index=False)
        return
    with closing(warehouse.connect(read_only=False)) as connection:
        cursor = connection.cursor()
        cursor.execute("create schema if not exists bench_baselines")
        cursor.execute(f"drop table if exists bench_baselines.{table}")
        if warehouse.kind == "duckdb":
            connection.register("result_frame", frame)
            connection.execute(
                f"create table bench_baselines.{table} as select * from result_frame"
            )
            return
        columns = ", ".join(
            f"{name} {'text' if name == 'symbol' else 'date' if name == 'trading_date' else 'double precision'}"
            for name in frame.columns
        )
        cursor.execute(f"create table bench_baselines.{table} ({columns})")
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, header=False, na_rep="")
        buffer.seek(0)
        cursor.copy_expert(f"copy bench_baselines.{table} from stdin with (format csv)", buffer)
        connection.commit()


def main(method: str) -> dict[str, float]:
    warehouse = Warehouse.from_env(dict(os.environ))
    started = time.perf_counter()
    prices = read_prices(warehouse)
    read = time.perf_counter()
    result = METHODS[method](prices)
    computed = time.perf_counter()
    write_result(warehouse, f"{method}_indicators", result)
    written = time.perf_counter()
    return {
        "rows": len(result),
        "read_seconds": read - started,
        "compute_seconds": computed - read,
        "write_seconds": written - computed,
        "total_seconds": written - started,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
