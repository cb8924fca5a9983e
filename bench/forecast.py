"""`make bench-forecast` / `python -m bench.forecast`: issue 21's refresh target.

At --symbols x --years (500 x 10 by default) of synthetic prices (bench.universe's GBM paths on
the NYSE sessions ending 2018-12-31, plus a SPY for the regimes) in a scratch DuckDB file, as
marts.fct_prices_daily and marts.fct_macro_asof_daily:

1. refit: `marketpulse forecast` as on the first session of a month: it reads the marts, fits
   every non-deep model (GARCH per symbol, the six LightGBM boosters, the HMM) on what was
   known then, forecasts the month's sessions so far and loads them through dlt (no dbt);
2. refresh: one new session appended (not a month's first: the stored models predict it) and
   `marketpulse forecast` run again: read, features, predict, dlt load;
3. floor: reading the marts alone (what any refresh costs before it computes anything);
4. marts: the dbt build `marketpulse forecast` runs after its load (fct_forecasts and
   fct_forecast_accuracy are full tables, ADR 0043), over a whole walk-forward's history: the
   stored rows are copied back to every earlier session since the first year (18 rows per
   symbol-session, the non-deep models' shape; ~20M at 500 x 10 y), so the build reads what a
   user's tenth year would hold.

Each step is timed in this process; the target is the daily refresh as a user runs it, the
forecasts plus the marts' build (steps 2 and 4), <= 120 s (issue 21), reported with the ratios
refresh / refit and refresh / floor. Writes data/bench/forecast.json.

--deep adds the LSTM's cost, apart (bench/forecast_deep.py; the `deep` extra), under "deep";
--write-docs then renders it into docs/forecasts.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.universe import generate
from marketpulse.forecast import Settings, build_marts, read_inputs, run_forecast
from marketpulse.forecast import regimes as regime_model
from marketpulse.live.watch import patched_environ
from marketpulse.warehouse import Warehouse

TARGET_SECONDS = 120.0
MACRO = {"DGS3MO": 2.0, "DGS10": 2.8, "T10Y2Y": 0.6, "UNRATE": 4.0}


def synthetic_marts(symbols: int, years: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    prices, _ = generate(symbols, years)
    prices = prices[["symbol", "trading_date", "adj_close"]]
    wide = prices.pivot(index="trading_date", columns="symbol", values="adj_close")
    spy = pd.DataFrame(
        {
            "symbol": "SPY",
            "trading_date": wide.index,
            "adj_close": 100 * np.exp(np.log(wide).diff().mean(axis=1).fillna(0).cumsum()),
        }
    )
    prices = pd.concat([prices, spy], ignore_index=True)
    rng = np.random.default_rng(21)
    macro = pd.concat(
        [
            pd.DataFrame(
                {
                    "trading_date": wide.index,
                    "indicator_id": series,
                    "value": level + np.cumsum(rng.normal(0, 0.01, len(wide))),
                }
            )
            for series, level in MACRO.items()
        ],
        ignore_index=True,
    )
    return prices, macro


def write_marts(warehouse: Warehouse, prices: pd.DataFrame, macro: pd.DataFrame) -> None:
    with closing(warehouse.connect(read_only=False)) as connection:
        connection.execute("create schema if not exists marts")
        connection.register("prices_frame", prices)
        connection.register("macro_frame", macro)
        connection.execute(
            "create or replace table marts.fct_prices_daily as select symbol,"
            " cast(trading_date as date) as trading_date, cast(adj_close as double) as adj_close"
            " from prices_frame"
        )
        connection.execute(
            "create or replace table marts.fct_macro_asof_daily as select"
            " cast(trading_date as date) as trading_date, indicator_id, value from macro_frame"
        )


def backfill_history(warehouse: Warehouse, first: str) -> int:
    """Copy each stored (symbol, target, model, horizon) forecast back to every session from a
    year after the prices start up to `first`: the walk-forward's history in the shape and
    types dlt stored (marts.dim_symbol too, which the marts' relationship tests read). Returns
    raw_forecast.forecasts' rows."""
    with closing(warehouse.connect(read_only=False)) as connection:
        connection.execute(
            "create or replace table marts.dim_symbol as"
            " select distinct symbol from marts.fct_prices_daily"
        )
        connection.execute(
            "insert into raw_forecast.forecasts"
            " select stored.* replace (prices.trading_date as as_of_date,"
            " prices.trading_date as fitted_through_date)"
            " from (select * from raw_forecast.forecasts"
            "  qualify row_number() over (partition by symbol, target, model, horizon"
            "  order by as_of_date) = 1) as stored"
            " join marts.fct_prices_daily as prices on prices.symbol = stored.symbol"
            " and prices.trading_date < ?"
            " and prices.trading_date >= (select min(trading_date) + interval 1 year"
            "  from marts.fct_prices_daily)",
            [first],
        )
        return connection.execute("select count(*) from raw_forecast.forecasts").fetchone()[0]


def timed(step: Any) -> tuple[Any, float]:
    clock = time.perf_counter()
    result = step()
    return result, time.perf_counter() - clock


def bench(
    symbols: int, years: int, folder: Path, marts: tuple[pd.DataFrame, pd.DataFrame] | None = None
) -> dict[str, Any]:
    path = str(folder / "bench_forecast.duckdb")
    warehouse = Warehouse.from_env({"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": path})
    prices, macro = marts or synthetic_marts(symbols, years)
    days = sorted(prices["trading_date"].unique())
    new_day = days[-1]
    month = pd.Timestamp(new_day).to_period("M")
    first = next(d for d in days if pd.Timestamp(d).to_period("M") == month)
    assert first != new_day, "the new session must not start a month"
    # 1. as on a month's first session: everything known up to it, models fitted
    write_marts(warehouse, prices[prices["trading_date"] <= first], macro)
    settings = Settings(refit="monthly", since=first)
    regimes = regime_model.Settings(refit="monthly", since=pd.Timestamp(first))
    refit, refit_seconds = timed(
        lambda: run_forecast(warehouse, settings, regime_settings=regimes, build=False)
    )
    # the rest of the month but its last session, predicted with the stored models
    write_marts(warehouse, prices[prices["trading_date"] < new_day], macro)
    run_forecast(warehouse, settings, regime_settings=regimes, build=False)
    # 2. one new session
    write_marts(warehouse, prices, macro)
    refresh, refresh_seconds = timed(
        lambda: run_forecast(warehouse, settings, regime_settings=regimes, build=False)
    )
    # 3. the floor: reading the marts
    _, floor_seconds = timed(lambda: read_inputs(warehouse))
    # 4. the marts' dbt build over a whole history
    history_rows = backfill_history(warehouse, str(first))
    with tempfile.TemporaryDirectory(prefix="bench_forecast_dbt_") as dbt_folder:
        dbt_paths = {
            "DBT_TARGET_PATH": str(Path(dbt_folder) / "target"),
            "DBT_LOG_PATH": str(Path(dbt_folder) / "logs"),
        }
        with patched_environ(dbt_paths):
            _, build_seconds = timed(lambda: build_marts(warehouse))
    daily = refresh_seconds + build_seconds
    return {
        "symbols": symbols,
        "years": years,
        "sessions": len(days),
        "new_session": str(new_day),
        "refit_date": str(first),
        "refit": {
            "seconds": round(refit_seconds, 2),
            "rows": refit.forecasts,
            "steps": {k: round(v, 2) for k, v in refit.seconds.items()},
        },
        "refresh": {
            "seconds": round(refresh_seconds, 2),
            "rows": refresh.forecasts,
            "refits": refresh.refits,
            "steps": {k: round(v, 2) for k, v in refresh.seconds.items()},
        },
        "floor_read_seconds": round(floor_seconds, 2),
        "marts_build": {"seconds": round(build_seconds, 2), "forecast_rows": history_rows},
        "daily_refresh_seconds": round(daily, 2),
        "refresh_over_refit": round(refresh_seconds / refit_seconds, 3),
        "refresh_over_floor": round(refresh_seconds / floor_seconds, 2),
        "target_seconds": TARGET_SECONDS,
        "met": daily <= TARGET_SECONDS,
        "cpu_count": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "measured_on": date.today().isoformat(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.forecast", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--json", default="data/bench/forecast.json")
    parser.add_argument("--deep", action="store_true", help="and the LSTM's cost, apart")
    parser.add_argument("--deep-symbols", type=int, default=50, help="the LSTM's subset")
    parser.add_argument("--deep-years", type=int, default=3, help="the LSTM's subset")
    parser.add_argument(
        "--write-docs", action="store_true", help="with --deep: the figures into docs/forecasts.md"
    )
    args = parser.parse_args(argv)
    if args.deep:
        from marketpulse.forecast import lstm

        if not lstm.available():
            print(f"error: {lstm.MISSING_EXTRA}", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory(prefix="bench_forecast_") as folder:
        marts = synthetic_marts(args.symbols, args.years)
        result = bench(args.symbols, args.years, Path(folder), marts)
        if args.deep:
            from bench.forecast_deep import bench_deep

            subset = synthetic_marts(args.deep_symbols, args.deep_years)
            result["deep"] = bench_deep(
                *marts,
                subset,
                args.symbols,
                args.years,
                args.deep_symbols,
                args.deep_years,
                Path(folder),
            )
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    refresh, refit, marts = result["refresh"], result["refit"], result["marts_build"]
    print(
        f"forecast daily refresh at {args.symbols} symbols x {args.years} y:"
        f" {result['daily_refresh_seconds']} s; target <= {TARGET_SECONDS:.0f} s:"
        f" {'met' if result['met'] else 'MISSED'}"
    )
    print(
        f"  forecasts {refresh['seconds']} s for {refresh['rows']:,} rows ({refresh['steps']});"
        f" the marts' dbt build {marts['seconds']} s over {marts['forecast_rows']:,} forecasts"
    )
    print(
        f"  refit day (new month): {refit['seconds']} s ({refit['steps']}); reading the marts"
        f" alone {result['floor_read_seconds']} s; load average {result['load_average']}"
    )
    if args.deep:
        from bench.forecast_deep import render, write_docs

        for line in render(result)[1:-1]:
            print(f"  {line}")
        if args.write_docs:
            write_docs(result)
            print("  -> docs/forecasts.md, docs/forecast-bench.json")
    print(f"  -> {out}")
    return 0 if result["met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
