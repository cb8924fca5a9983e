"""One baseline in its own process: read the rows from the warehouse, compute, print JSON.

    python -m bench.baseline <warehouse> talib|pandas|empyrical

The warehouse comes from the environment (WAREHOUSE, MARKETPULSE_DUCKDB_PATH, PG*); the
first argument picks how the bench reads it (bench/warehouses.py). Nothing is written back:
the baseline's cost is read + compute, the same work the model does inside the warehouse.
"""

from __future__ import annotations

import json
import os
import sys
import time

from bench.baselines import empyrical_risk, pandas_indicators, talib_indicators
from bench.warehouses import bench_for
from marketpulse.build.dbt import ROOT
from marketpulse.warehouse import Warehouse

PRICES = (
    "select symbol, trading_date, adj_high as high, adj_low as low, adj_close as close,"
    " cast(volume as double precision) as volume from marts.fct_prices_daily"
    " order by symbol, trading_date"
)
CLOSES = "select symbol, trading_date, adj_close from marts.fct_prices_daily"
RISK_FREE = (
    "select observation_date, value from marts.fct_macro_observations"
    " where indicator_id = 'DGS3MO' and is_latest_vintage order by observation_date"
)
BENCHMARK = "SPY"


def main(warehouse_name: str, method: str) -> dict[str, float]:
    warehouse = Warehouse.from_env(dict(os.environ))
    reader = bench_for(warehouse_name, ROOT / "data" / "bench")
    started = time.perf_counter()
    if method == "empyrical":
        closes = reader.read_frame(warehouse, CLOSES)
        risk_free = reader.read_frame(warehouse, RISK_FREE)
        read = time.perf_counter()
        result = empyrical_risk(closes, risk_free, BENCHMARK)
        rows = len(closes)
    else:
        prices = reader.read_frame(warehouse, PRICES)
        read = time.perf_counter()
        compute = talib_indicators if method == "talib" else pandas_indicators
        result = compute(prices)
        rows = len(prices)
    computed = time.perf_counter()
    return {
        "rows": rows,
        "result_rows": len(result),
        "read_seconds": read - started,
        "compute_seconds": computed - read,
        "seconds": computed - started,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
