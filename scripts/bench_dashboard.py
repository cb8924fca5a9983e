"""Time every dashboard view: in headless Chromium (the target) and server-side (AppTest).

    python scripts/bench_dashboard.py                  # the configured warehouse ($WAREHOUSE)
    python scripts/bench_dashboard.py --synthetic      # a scratch DuckDB: sample + 500 x 10 years,
                                                       # portfolios and optimization runs

In the browser (scripts/bench_dashboard_browser.py says exactly what "rendered" means): the
first page load and a switch to each of the seven views from the sidebar, on a cold server (the
caches empty) and warm (the next session), the median of --repeat new servers. Targets: first
load <= 2 s, each switch <= 1 s at 500 symbols x 10 years. A screenshot of each view goes to
data/bench/screenshots/ (git-ignored).

Server-side, through Streamlit's AppTest: each view's script run with cold caches (every query
runs) at the app's defaults (the last year, default symbols) and with a heavy selection (five
symbols over the whole range), and warm; with the chart count and the size of the Plotly
figures each view sends (the payload the browser parses and draws).

Output: a table on stdout and JSON (data/bench/dashboard.json). The synthetic warehouse is
built by scripts/bench_dashboard_synthetic.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "marketpulse" / "dashboard" / "app.py"
VIEWS = ("overview", "sector-rotation", "macro-lens", "trends-sentiment", "volatility-risk")
VIEWS += ("portfolio", "forecasts-backtests")
FIRST_LOAD_TARGET_S = 2.0
SWITCH_TARGET_S = 1.0


def time_views(repeat: int, heavy_symbols: list[str] | None) -> dict[str, dict[str, float]]:
    """Server-side: each view's script run through AppTest, cold, warm and heavy; and what the
    view sends at the defaults: its title, charts, tables, and the Plotly figures' size."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from marketpulse.dashboard import data
    from marketpulse.dashboard.queries import universe as universe_queries

    # A server imports the app's modules and scans installed packages for custom components once,
    # at startup; AppTest would redo the scan for every new instance (seconds with many packages).
    # Time the renders, not that: one warm-up run, and its component registry shared by the rest.
    warmup = AppTest.from_file(str(APP), default_timeout=120)
    warmup.run()
    components = warmup._bidi_component_manager

    def new_app(view: str) -> AppTest:
        app = AppTest.from_file(str(APP), default_timeout=120)
        app._bidi_component_manager = components
        app.query_params["view"] = view
        return app

    results: dict[str, dict[str, float]] = {}
    for view in VIEWS:
        default_runs, heavy_runs, warm_runs = [], [], []
        for _ in range(repeat):
            st.cache_data.clear()
            app = new_app(view)
            started = time.perf_counter()
            app.run()
            default_runs.append(time.perf_counter() - started)
            _check(app, view)
            sent = _sent(app)
            started = time.perf_counter()
            app.run()
            warm_runs.append(time.perf_counter() - started)

            target = data.Target.from_env()
            first, last = universe_queries.data_range(target)
            universe = universe_queries.symbols(target)["symbol"].tolist()
            chosen = heavy_symbols or universe[-5:]
            st.cache_data.clear()
            app.multiselect(key="symbols").set_value(chosen)
            app.date_input(key="date_range").set_value((first, last))
            started = time.perf_counter()
            app.run()
            heavy_runs.append(time.perf_counter() - started)
            _check(app, view)
            heavy_sent = _sent(app)
        results[view] = {
            "default_cold_s": statistics.median(default_runs),
            "default_warm_s": statistics.median(warm_runs),
            "five_symbols_full_range_cold_s": statistics.median(heavy_runs),
            **sent,
            "five_symbols_full_range_figure_bytes": heavy_sent["figure_bytes"],
            "five_symbols_full_range_points": heavy_sent["points"],
            "five_symbols_full_range_max_trace_points": heavy_sent["max_trace_points"],
        }
    return results


def _sent(app) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """What a render sends the browser: title, chart and table counts, the Plotly figures'
    JSON size, their data points (x values, or a heatmap's cells, over every trace) and the
    most points in one trace."""
    specs = [chart.proto.spec for chart in app.get("plotly_chart")]
    counts = [_points(trace) for spec in specs for trace in json.loads(spec)["data"]]
    return {
        "title": app.title[0].value,
        "charts": len(specs),
        "tables": len(app.dataframe),
        "figure_bytes": sum(len(spec) for spec in specs),
        "points": sum(counts),
        "max_trace_points": max(counts, default=0),
    }


def _points(trace: dict) -> int:
    for axis in ("x", "z", "y"):
        values = trace.get(axis)
        if isinstance(values, dict) and "bdata" in values:  # a typed array, base64
            import base64

            import numpy as np

            size = np.dtype(values["dtype"]).itemsize
            return len(base64.b64decode(values["bdata"])) // size
        if isinstance(values, list):
            return len(values)
    return 0


def _check(app, view: str) -> None:  # type: ignore[no-untyped-def]
    if app.exception:
        raise SystemExit(f"{view}: the view raised: {app.exception[0].value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="reuse an existing synthetic file")
    parser.add_argument("--no-browser", action="store_true", help="server-side (AppTest) only")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "bench" / "dashboard.json")
    parser.add_argument("--screenshots", type=Path, default=ROOT / "data" / "bench" / "screenshots")
    args = parser.parse_args(argv)

    heavy: list[str] | None = None
    if args.synthetic:
        from bench_dashboard_synthetic import (
            BENCH_PG_DATABASE,
            build_synthetic,
            build_synthetic_postgres,
        )

        path = ROOT / "data" / "bench" / "dashboard" / "synthetic.duckdb"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not (args.reuse and path.exists()):
            build_synthetic(path, args.symbols, args.years)
        if os.environ.get("WAREHOUSE", "duckdb") == "postgres":
            if not args.reuse:
                build_synthetic_postgres(path)
            os.environ["PGDATABASE"] = BENCH_PG_DATABASE
        else:
            os.environ["WAREHOUSE"] = "duckdb"
            os.environ["MARKETPULSE_DUCKDB_PATH"] = str(path)
        heavy = [f"SYN{i:04d}" for i in (1, 100, 200, 300, 400)]
    from marketpulse.warehouse import Warehouse

    where = Warehouse.from_env().describe()
    report: dict[str, object] = {"warehouse": where, "repeat": args.repeat}
    if not args.no_browser:
        from bench_dashboard_browser import find_chromium

        find_chromium()  # fail early, before minutes of AppTest runs
    server = time_views(args.repeat, heavy)
    report["views"] = server
    _server_table(server, args.repeat, where)
    if not args.no_browser:
        from bench_dashboard_browser import time_in_browser

        expected = {
            view: (str(row["title"]), int(row["charts"]), int(row["tables"]))
            for view, row in server.items()
        }
        load_before = os.getloadavg()[0]
        browser = time_in_browser(dict(os.environ), expected, args.repeat, args.screenshots)
        # The machine's 1-minute load average around the browser runs: on a shared machine
        # the browser's times grow with it (two cores at load 4 give the browser half of one).
        browser["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        browser["cpus"] = os.cpu_count()
        report["browser"] = browser
        _browser_table(browser, args.repeat, where)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str))
    print(f"json: {args.out}")
    return 0


def _server_table(results: dict[str, dict[str, float]], repeat: int, where: str) -> None:
    print(f"\nserver side (AppTest script run, median of {repeat}), {where}")
    print(
        f"{'view':<20} {'defaults':>9} {'warm':>7} {'5 sym, all':>11}"
        f" {'charts':>7} {'figures':>9} {'points':>8} {'5 sym, all: figures':>20}"
        f" {'max/trace':>10}"
    )
    for view, row in results.items():
        print(
            f"{view:<20} {row['default_cold_s']:>8.2f}s {row['default_warm_s']:>6.2f}s"
            f" {row['five_symbols_full_range_cold_s']:>10.2f}s {row['charts']:>7}"
            f" {row['figure_bytes'] / 1000:>7.0f}kB {row['points']:>8,}"
            f" {row['five_symbols_full_range_figure_bytes'] / 1000:>18.0f}kB"
            f" {row['five_symbols_full_range_max_trace_points']:>10,}"
        )


def _browser_table(browser: dict[str, object], repeat: int, where: str) -> None:
    print(f"\nin the browser: {browser['browser']}, median of {repeat} servers, {where}")
    before, after = browser["load_average"]
    print(f"load average {before:.1f} before, {after:.1f} after, on {browser['cpus']} CPUs")
    print(f"{'':<31} {'cold':>7} {'warm':>7} {'sent (cold)':>12}")
    worst_load, worst_switch = 0.0, 0.0
    rows = [("first load (overview)", browser["cold"]["first_load"], browser["warm"]["first_load"])]
    rows += [
        (f"switch to {view}", browser["cold"]["switch"][view], browser["warm"]["switch"][view])
        for view in browser["cold"]["switch"]
    ]
    for index, (label, cold, warm) in enumerate(rows):
        print(
            f"{label:<31} {cold['seconds']:>6.2f}s {warm['seconds']:>6.2f}s"
            f" {cold['ws_bytes'] / 1000:>10.0f}kB"
        )
        if index == 0:
            worst_load = max(cold["seconds"], warm["seconds"])
        else:
            worst_switch = max(worst_switch, cold["seconds"], warm["seconds"])
    floor = browser["floor_first_load"]["seconds"]
    print(
        f"{'floor: Streamlit alone':<31} {floor:>6.2f}s"
        "  (a page with the sidebar and a title, nothing of ours: scripts/bench_dashboard_floor_app.py)"
    )
    load_ok = "met" if worst_load <= FIRST_LOAD_TARGET_S else "NOT met"
    switch_ok = "met" if worst_switch <= SWITCH_TARGET_S else "NOT met"
    print(
        f"targets: first load <= {FIRST_LOAD_TARGET_S:.0f} s {load_ok} ({worst_load:.2f} s);"
        f" each switch <= {SWITCH_TARGET_S:.0f} s {switch_ok} (worst {worst_switch:.2f} s)"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
