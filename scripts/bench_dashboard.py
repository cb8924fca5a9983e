"""Time every dashboard view through Streamlit's AppTest against a warehouse.

    python scripts/bench_dashboard.py                  # the configured warehouse ($WAREHOUSE)
    python scripts/bench_dashboard.py --synthetic      # a scratch DuckDB: sample + 500 x 10 years

Each view is rendered with cold caches (every query runs) in two scenarios: the app's defaults
(the last year, default symbols) and a heavy selection (five symbols over the whole range).
Reports the median of --repeat runs per view and scenario, as a table and as JSON
(data/bench/dashboard.json). Target: under 2 s per view.

--synthetic loads the bundled sample through the real dlt pipelines into a scratch DuckDB file,
adds S synthetic symbols x Y years of deterministic random-walk prices to raw_yahoo, and runs
`dbt seed` + `dbt run` there (tests skipped: this is a timing fixture, not a data check).
With WAREHOUSE=postgres it builds the same universe in its own database on the configured
server (marketpulse_bench_dashboard, dropped and recreated) and times the views there.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "marketpulse" / "dashboard" / "app.py"
VIEWS = ("overview", "sector-rotation", "macro-lens", "trends-sentiment", "volatility-risk")
VIEWS += ("portfolio",)
TARGET_SECONDS = 2.0


def build_synthetic(path: Path, symbols: int, years: int) -> None:
    """Sample data through dlt, then S x Y synthetic symbols straight into raw_yahoo, then dbt."""
    import duckdb
    import exchange_calendars

    env = {**os.environ, "WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(path)}
    env["DBT_TARGET_PATH"] = str(path.parent / "target")
    env["DBT_LOG_PATH"] = str(path.parent / "logs")
    if path.exists():
        path.unlink()
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "marketpulse", "ingest", "--sample", "--quiet"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    end = date(2018, 12, 31)
    sessions = exchange_calendars.get_calendar("XNYS").sessions_in_range(
        date(end.year - years + 1, 1, 1), end
    )
    days = [session.date() for session in sessions]
    with duckdb.connect(str(path)) as connection:
        connection.execute("create temp table days (trading_date date)")
        connection.executemany("insert into days values (?)", [(d,) for d in days])
        connection.execute(
            """
            create temp table names as
            select 'SYN' || lpad(cast(i as varchar), 4, '0') as symbol, i
            from range(1, ? + 1) as t(i)
            """,
            [symbols],
        )
        # Deterministic pseudo-random numbers from a hash: same universe on every run.
        connection.execute(
            """
            create temp table walk as
            with draws as (
                select names.symbol, names.i, days.trading_date,
                    (hash(names.symbol || cast(days.trading_date as varchar)) % 1000000) / 1000000.0
                        as u1,
                    (hash(cast(days.trading_date as varchar) || names.symbol) % 1000000) / 1000000.0
                        as u2
                from names cross join days
            )
            select symbol, trading_date, u1, u2,
                (20 + i % 180) * exp(sum(
                    0.0003 + 0.018 * sqrt(-2 * ln(greatest(u1, 1e-9))) * cos(2 * pi() * u2)
                ) over (partition by symbol order by trading_date)) as close
            from draws
            """
        )
        connection.execute(
            """
            insert into raw_yahoo.prices_daily
                (symbol, trading_date, open, high, low, close, adj_close, volume,
                 exchange_timezone, data_origin, _loaded_at, _dlt_load_id)
            select symbol, trading_date,
                close * (1 + (u2 - 0.5) * 0.01) as open,
                -- the open is within 0.5% of the close: high and low bracket both, so no row
                -- is quarantined (open_outside_range) and the universe is the full S x Y
                close * (1 + 0.006 + u1 * 0.01) as high,
                close * (1 - 0.006 - u2 * 0.01) as low,
                close, close as adj_close,
                cast(1000000 + u1 * 5000000 as bigint) as volume,
                'America/New_York', 'sample_simulated', now(), 'bench_synthetic'
            from walk
            """
        )
        connection.execute(
            """
            insert into raw_yahoo.symbols
                (symbol, name, quote_type, sector, industry, currency, exchange, exchange_name,
                 exchange_timezone, data_origin, _loaded_at, _dlt_load_id, _dlt_id)
            select symbol, 'Synthetic ' || symbol, 'EQUITY', 'Synthetic', null, 'USD', 'NYQ',
                'NYSE', 'America/New_York', 'sample_simulated', now(), 'bench_synthetic', symbol
            from names
            """
        )
    for command in (("seed", "--quiet"), ("run", "--quiet")):
        subprocess.run(
            [str(Path(sys.executable).parent / "dbt"), *command], cwd=ROOT, env=env, check=True
        )
    with duckdb.connect(str(path), read_only=True) as connection:
        rows, names = connection.execute(
            "select count(*), count(distinct symbol) from marts.fct_prices_daily"
        ).fetchone()
    print(
        f"synthetic warehouse: {names} symbols, {rows:,} price rows, built in "
        f"{time.perf_counter() - started:.0f}s: {path}"
    )


BENCH_PG_DATABASE = "marketpulse_bench_dashboard"


def build_synthetic_postgres(duckdb_path: Path) -> None:
    """The same universe on the configured PostgreSQL server, in its own database (recreated):
    the sample through dlt, the synthetic rows copied from the DuckDB build, then dbt."""
    import duckdb
    import psycopg2

    admin_db = os.environ.get("PGDATABASE", "postgres")
    connect = {
        "host": os.environ.get("PGHOST", "127.0.0.1"),
        "port": int(os.environ.get("PGPORT", "5432")),
        "user": os.environ.get("PGUSER", "postgres"),
        "password": os.environ.get("PGPASSWORD") or None,
    }
    started = time.perf_counter()
    admin = psycopg2.connect(dbname=admin_db, **connect)
    admin.autocommit = True
    admin.cursor().execute(f'drop database if exists "{BENCH_PG_DATABASE}" with (force)')
    admin.cursor().execute(f'create database "{BENCH_PG_DATABASE}"')
    admin.close()
    env = {**os.environ, "WAREHOUSE": "postgres", "PGDATABASE": BENCH_PG_DATABASE}
    env["DBT_TARGET_PATH"] = str(duckdb_path.parent / "target-postgres")
    env["DBT_LOG_PATH"] = str(duckdb_path.parent / "logs")
    subprocess.run(
        [sys.executable, "-m", "marketpulse", "ingest", "--sample", "--quiet"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    exports = {}
    with duckdb.connect(str(duckdb_path), read_only=True) as source:
        for table in ("prices_daily", "symbols"):
            target = duckdb_path.parent / f"synthetic_{table}.csv"
            columns = [
                row[0]
                for row in source.execute(
                    "select column_name from information_schema.columns"
                    " where table_schema = 'raw_yahoo' and table_name = ? order by ordinal_position",
                    [table],
                ).fetchall()
            ]
            source.execute(
                f"copy (select {', '.join(columns)} from raw_yahoo.{table}"
                f" where _dlt_load_id = 'bench_synthetic') to '{target}' (header false)"
            )
            exports[table] = (target, columns)
    with psycopg2.connect(dbname=BENCH_PG_DATABASE, **connect) as connection:
        cursor = connection.cursor()
        for table, (path, columns) in exports.items():
            with path.open() as handle:
                cursor.copy_expert(
                    f"copy raw_yahoo.{table} ({', '.join(columns)}) from stdin with (format csv)",
                    handle,
                )
    for command in (("seed", "--quiet"), ("run", "--quiet")):
        subprocess.run(
            [str(Path(sys.executable).parent / "dbt"), *command], cwd=ROOT, env=env, check=True
        )
    print(
        f"synthetic postgres database {BENCH_PG_DATABASE} built in {time.perf_counter() - started:.0f}s"
    )


def time_views(repeat: int, heavy_symbols: list[str] | None) -> dict[str, dict[str, float]]:
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
        results[view] = {
            "default_cold_s": statistics.median(default_runs),
            "default_warm_s": statistics.median(warm_runs),
            "five_symbols_full_range_cold_s": statistics.median(heavy_runs),
        }
    return results


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
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "bench" / "dashboard.json")
    args = parser.parse_args(argv)

    heavy: list[str] | None = None
    if args.synthetic:
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
    results = time_views(args.repeat, heavy)
    print(f"\ndashboard render times (median of {args.repeat}, cold caches), {where}")
    print(f"{'view':<18} {'defaults':>9} {'5 sym, all':>11} {'warm':>7}")
    worst = 0.0
    for view, row in results.items():
        worst = max(worst, row["default_cold_s"], row["five_symbols_full_range_cold_s"])
        print(
            f"{view:<18} {row['default_cold_s']:>8.2f}s {row['five_symbols_full_range_cold_s']:>10.2f}s"
            f" {row['default_warm_s']:>6.2f}s"
        )
    verdict = "met" if worst < TARGET_SECONDS else "NOT met"
    print(f"target < {TARGET_SECONDS:.0f}s per view: {verdict} (worst {worst:.2f}s)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"warehouse": where, "repeat": args.repeat, "views": results}, indent=2)
    )
    print(f"json: {args.out}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
