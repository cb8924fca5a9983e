"""One warehouse at one history length, step by step (docs/decisions/0022-benchmark.md).

1. A new database under this run's own name; the other sample sources loaded (untimed).
2. dlt load of the universe without its last session, timed; then the bulk-load baseline of
   the same rows (DuckDB read_csv / read_parquet, Postgres COPY, the lake's parquet write).
3. The full build: `dbt seed`, `dbt run --full-refresh` (all models) and the data tests
   (`dbt test --select test_type:data`), each timed.
4. Baselines reading the same rows from the warehouse and computing: TA-Lib and pandas for the
   indicator model, empyrical for the risk metrics.
5. The daily refresh: the last session appended to raw through the same dlt path, then
   `dbt run` of every model downstream of the Yahoo daily tables and their data tests, timed.
6. The refresh's floor: the same number of dbt nodes, same materializations, doing no work
   (bench/floor.py), timed the same way.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.floor import refresh_floor
from bench.process import run_process
from bench.scratch import Scratch
from bench.steps import INDICATOR_MODEL, REFRESH_SELECTION, RISK_MODEL, baseline, dbt_step
from bench.universe import (
    generate,
    import_portfolio,
    load_other_samples,
    load_through_source,
    raw_prices,
)
from bench.warehouses import WarehouseBench
from bench.yahoo_client import SyntheticYahooClient
from marketpulse.build.dbt import ROOT

Say = Callable[[str], None]


class Steps(dict[str, Any]):
    """The steps' figures, each printed as it comes in (a run stopped half-way still shows
    what it measured)."""

    def __init__(self, say: Say, label: str) -> None:
        super().__init__()
        self.say, self.label = say, label

    def __setitem__(self, name: str, figures: dict[str, Any]) -> None:
        super().__setitem__(name, figures)
        node = figures.get("node_seconds")
        extra = f", dbt node time {node:.2f} s" if node is not None else ""
        self.say(f"{self.label}   {name}: {figures['seconds']:.2f} s{extra}")


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def bench_one(
    bench: WarehouseBench, run: Scratch, symbols: int, years: int, say: Say
) -> dict[str, Any]:
    say(f"[{bench.name} {symbols} x {years}y] generating the universe")
    prices, actions = generate(symbols, years)
    last_day = prices["trading_date"].max()
    history = prices[prices["trading_date"] < last_day]
    warehouse = bench.create(run, years)
    target = bench.folder / "target" / f"{run.name(years)}_{bench.name}"
    run.record("dbt target folder", str(target), lambda: shutil.rmtree(target, ignore_errors=True))
    steps = Steps(say, f"[{bench.name} {symbols} x {years}y]")

    say(f"[{bench.name} {symbols} x {years}y] loading (dlt, then the bulk-load baseline)")
    load_other_samples(warehouse)
    client = SyntheticYahooClient(history, actions[actions["ex_date"] < last_day])
    started = time.perf_counter()
    load_through_source(warehouse, client)
    steps["dlt_load"] = {
        "seconds": time.perf_counter() - started,
        "rows": len(history),
        "file_format": bench.file_format(warehouse),
    }
    import_portfolio(warehouse, history, bench.folder)
    bulk = bench.bulk_load(warehouse, raw_prices(history))
    steps["bulk_load"] = {
        "seconds": bulk[bench.bulk_method],
        "method": bench.bulk_method,
        "rows": len(history),
        "methods": bulk,
    }

    say(f"[{bench.name} {symbols} x {years}y] full build (models, then data tests)")
    steps["seed"] = dbt_step(bench, warehouse, target, "seed")
    steps["full_models"] = dbt_step(bench, warehouse, target, "run", "--full-refresh")
    steps["full_data_tests"] = dbt_step(
        bench, warehouse, target, "test", "--select", "test_type:data"
    )

    say(f"[{bench.name} {symbols} x {years}y] baselines (TA-Lib, pandas, empyrical)")
    for method in ("talib", "pandas", "empyrical"):
        steps[method] = baseline(bench, warehouse, method)

    say(f"[{bench.name} {symbols} x {years}y] daily refresh: one session appended")
    client = SyntheticYahooClient(
        prices[prices["trading_date"] == last_day], actions[actions["ex_date"] == last_day]
    )
    started = time.perf_counter()
    load_through_source(warehouse, client)
    steps["refresh_load"] = {"seconds": time.perf_counter() - started}
    steps["refresh_models"] = dbt_step(
        bench, warehouse, target, "run", "--select", *REFRESH_SELECTION
    )
    steps["refresh_data_tests"] = dbt_step(
        bench,
        warehouse,
        target,
        "test",
        "--select",
        *REFRESH_SELECTION,
        "--exclude",
        "test_type:unit",
    )
    # What dbt alone costs for the same nodes doing no work (bench/floor.py).
    steps["refresh_floor"] = refresh_floor(bench, warehouse, REFRESH_SELECTION, symbols)
    full, refresh = steps["full_models"], steps["refresh_models"]
    return {
        "warehouse": bench.name,
        "server": bench.server_version(warehouse),
        "database": run.name(years),
        "symbols": symbols,
        "years": years,
        "rows": len(prices),
        "steps": dict(steps),
        "ratios": {
            "dlt_load_to_bulk_load": ratio(steps["dlt_load"]["seconds"], bulk[bench.bulk_method]),
            "indicators_to_talib": ratio(
                full["models"].get(INDICATOR_MODEL), steps["talib"]["seconds"]
            ),
            "indicators_to_pandas": ratio(
                full["models"].get(INDICATOR_MODEL), steps["pandas"]["seconds"]
            ),
            "risk_to_empyrical": ratio(
                full["models"].get(RISK_MODEL), steps["empyrical"]["seconds"]
            ),
            "refresh_to_full": ratio(refresh["node_seconds"], full["node_seconds"]),
            "refresh_to_full_wall": ratio(refresh["seconds"], full["seconds"]),
            "refresh_floor_to_full": ratio(
                steps["refresh_floor"]["node_seconds"], full["node_seconds"]
            ),
            "refresh_tests_to_full_tests": ratio(
                steps["refresh_data_tests"]["node_seconds"],
                steps["full_data_tests"]["node_seconds"],
            ),
        },
        "build_peak_rss_mb": max(full["peak_rss_mb"], steps["full_data_tests"]["peak_rss_mb"]),
        "load_average": list(os.getloadavg()),
    }


def bench_demo(folder: Path, run: Scratch, say: Say) -> dict[str, Any]:
    """`marketpulse demo` on a new DuckDB file, timed as a user runs it (one process)."""

    say("[demo] marketpulse demo on a new DuckDB file")
    work = folder / f"{run.run_id}_demo"
    work.mkdir(parents=True)
    run.record("demo folder", str(work), lambda: shutil.rmtree(work, ignore_errors=True))
    env = dict(os.environ) | {
        "WAREHOUSE": "duckdb",
        "MARKETPULSE_DUCKDB_PATH": str(work / "demo.duckdb"),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
    }
    finished = run_process([sys.executable, "-m", "marketpulse", "demo", "--quiet"], env)
    return {
        "warehouse": "duckdb",
        "seconds": finished.seconds,
        "peak_rss_mb": finished.peak_rss_mb,
        "steps": demo_steps(finished.output),
        "database": str(work / "demo.duckdb"),
        "load_average": list(os.getloadavg()),
    }


DEMO_LINE = re.compile(r"marketpulse demo: [\d.]+ s: ")
DEMO_STEP = re.compile(r"(\w+) ([\d.]+) \(cpu ([\d.]+)\)")


def demo_steps(output: str) -> dict[str, dict[str, float]]:
    """step -> wall and CPU seconds, from the demo's timing line
    ("marketpulse demo: 95.1 s: load 11.3 (cpu 9.8), build ..."); {} when it is missing."""
    lines = [line for line in output.splitlines() if DEMO_LINE.match(line)]
    if not lines:
        return {}
    return {
        name: {"seconds": float(wall), "cpu_seconds": float(cpu)}
        for name, wall, cpu in DEMO_STEP.findall(lines[-1].split(" s: ", 1)[1])
    }


def bench_live(folder: Path, demo: Path | None, symbols: int, say: Say) -> dict[str, Any]:
    """scripts/bench_live.py at `symbols` symbols (latency only), its figures as JSON."""

    say(f"[live] bar -> marts -> WebSocket subscriber at {symbols} symbols")
    out = folder / f"live_{os.getpid()}.json"
    command = [
        sys.executable,
        str(ROOT / "scripts" / "bench_live.py"),
        "--symbols",
        str(symbols),
        "--subscribers",
        "0",
        "--json",
        str(out),
    ]
    if demo is not None and demo.exists():
        command += ["--warehouse", str(demo)]
    run_process(command, dict(os.environ))
    try:
        return json.loads(out.read_text())["live"]
    finally:
        out.unlink(missing_ok=True)
