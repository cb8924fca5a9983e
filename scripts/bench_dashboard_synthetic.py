"""The synthetic warehouse `make bench-dashboard SYNTHETIC=1` times the dashboard on.

The bundled sample through the real dlt pipelines into a scratch DuckDB file, S synthetic
symbols x Y years of deterministic random-walk prices added to raw_yahoo, the sample's holdings
file and a 25-symbol synthetic portfolio through `marketpulse import-portfolio`, `dbt seed` +
`dbt run` (tests skipped: a timing fixture, not a data check), then one `marketpulse optimize`
per portfolio, so the Portfolio view is timed on holdings, performance and a frontier rather
than on its empty state, and `marketpulse forecast` (the last year, every symbol) and
`marketpulse backtest` for the Forecasts & Backtests view. With WAREHOUSE=postgres the same universe is built in its own database
on the configured server (marketpulse_bench_dashboard, dropped and recreated).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_synthetic(path: Path, symbols: int, years: int) -> None:
    """Sample data through dlt, then S x Y synthetic symbols straight into raw_yahoo, then dbt."""
    import duckdb
    import exchange_calendars

    env = _dbt_env({**os.environ, "WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(path)})
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
    _import_portfolios(path.parent, env)
    for command in (("seed", "--quiet"), ("run", "--quiet")):
        subprocess.run(
            [str(Path(sys.executable).parent / "dbt"), *command], cwd=ROOT, env=env, check=True
        )
    _optimize_portfolios(env)
    _forecast_and_backtest(env)
    with duckdb.connect(str(path), read_only=True) as connection:
        rows, names = connection.execute(
            "select count(*), count(distinct symbol) from marts.fct_prices_daily"
        ).fetchone()
        portfolios, runs = connection.execute(
            "select (select count(*) from marts.dim_portfolio),"
            " (select count(distinct run_id) from marts.fct_optimization_results)"
        ).fetchone()
    print(
        f"synthetic warehouse: {names} symbols, {rows:,} price rows, {portfolios} portfolios,"
        f" {runs} optimization runs, built in {time.perf_counter() - started:.0f}s: {path}"
    )


# The Portfolio view's default (first by name): 25 synthetic holdings since 2010, beside the
# sample's two portfolios; each of the three gets one optimization run.
SYNTHETIC_PORTFOLIO = "Bench Synthetic 25"
SYNTHETIC_PORTFOLIO_ID = "bench-synthetic-25"
SAMPLE_PORTFOLIOS = ROOT / "sample_data" / "portfolio" / "sample_portfolios.csv"


def _dbt_env(env: dict[str, str]) -> dict[str, str]:
    """dbt's project and profiles as the Makefile sets them, so the script also runs alone."""
    env.setdefault("DBT_PROJECT_DIR", str(ROOT / "dbt_project"))
    env.setdefault("DBT_PROFILES_DIR", str(ROOT))
    return env


def _import_portfolios(folder: Path, env: dict[str, str]) -> None:
    """The sample's holdings file and a 25-symbol synthetic one, through `marketpulse
    import-portfolio` (validated against raw_yahoo, as a user's import is)."""
    holdings = folder / "synthetic_portfolio.csv"
    lines = ["portfolio_name,symbol,quantity,target_weight,cost_basis,as_of_date,base_currency"]
    for i in range(1, 26):
        symbol = f"SYN{i * 19:04d}"  # spread over the universe
        lines.append(f"{SYNTHETIC_PORTFOLIO},{symbol},{100 * (1 + i % 7)},0.04,,2010-01-04,USD")
    holdings.write_text("\n".join(lines) + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "marketpulse",
            "import-portfolio",
            str(SAMPLE_PORTFOLIOS),
            str(holdings),
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )


def _optimize_portfolios(env: dict[str, str]) -> None:
    """One `marketpulse optimize` run (default settings) per portfolio: the frontier marts."""
    for portfolio in (SYNTHETIC_PORTFOLIO_ID, "sample-growth-income", "sample-sector-model"):
        subprocess.run(
            [sys.executable, "-m", "marketpulse", "optimize", "--portfolio", portfolio],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )


def _forecast_and_backtest(env: dict[str, str]) -> None:
    """The Forecasts & Backtests view's marts: the last year's walk-forward forecasts of every
    symbol (quarterly refits) and regimes, and the shipped backtests.toml."""
    for command in (
        ("forecast", "--since", FORECAST_SINCE, "--refit", "quarterly"),
        ("backtest",),
    ):
        subprocess.run(
            [sys.executable, "-m", "marketpulse", *command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )


FORECAST_SINCE = "2018-01-01"  # the synthetic history ends 2018-12-31
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
    env = _dbt_env({**os.environ, "WAREHOUSE": "postgres", "PGDATABASE": BENCH_PG_DATABASE})
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
    _import_portfolios(duckdb_path.parent, env)
    for command in (("seed", "--quiet"), ("run", "--quiet")):
        subprocess.run(
            [str(Path(sys.executable).parent / "dbt"), *command], cwd=ROOT, env=env, check=True
        )
    _optimize_portfolios(env)
    _forecast_and_backtest(env)
    print(
        f"synthetic postgres database {BENCH_PG_DATABASE} built in {time.perf_counter() - started:.0f}s"
    )
