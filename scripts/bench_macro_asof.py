"""How fct_macro_asof_daily scales: its compiled SQL against the by-definition range join.

Synthetic FRED-like vintages for 14 series (5 daily, published the next business day; 9
monthly with three vintages each) over 10 and 40 years, in an in-memory DuckDB. Prints wall
times and ratios measured in the same process (the machine is shared: compare ratios, not
seconds). Run: `python scripts/bench_macro_asof.py` (after `make setup`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent

NAIVE = """
with valid as (
    select dim_date.date_day as trading_date, obs.indicator_id, obs.observation_date,
           obs.realtime_start, obs.value,
           row_number() over (
               partition by obs.indicator_id, dim_date.date_day
               order by obs.observation_date desc
           ) as newest
    from fct_macro_observations as obs
    inner join dim_date
        on dim_date.is_trading_day
        and obs.realtime_start <= dim_date.date_day
        and obs.realtime_end >= dim_date.date_day
    where dim_date.date_day <= (select max(realtime_start) from fct_macro_observations)
)
select trading_date, indicator_id, observation_date, realtime_start, value
from valid where newest = 1
"""


def compiled_sql() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "WAREHOUSE": "duckdb",
            "MARKETPULSE_DUCKDB_PATH": str(Path(tmp) / "bench.duckdb"),
            "DBT_TARGET_PATH": str(Path(tmp) / "target"),
            "DBT_LOG_PATH": str(Path(tmp) / "logs"),
            "DBT_PROJECT_DIR": str(ROOT / "dbt_project"),
            "DBT_PROFILES_DIR": str(ROOT),
        }
        dbt = str(Path(sys.executable).with_name("dbt"))
        subprocess.run(
            [dbt, "compile", "--quiet", "--select", "fct_macro_asof_daily"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        path = next(Path(tmp, "target").rglob("fct_macro_asof_daily.sql"))
        sql = path.read_text()
    return re.sub(r'"[^"]+"\."marts"\.', "", sql)


def load(connection: duckdb.DuckDBPyConnection, years: int) -> int:
    first = 2024 - years
    connection.execute(f"""
        create or replace table dim_date as
        select cast(day as date) as date_day, extract(isodow from day) <= 5 as is_trading_day
        from range(date '{first}-01-01', date '2025-12-31', interval 1 day) as days(day)
    """)
    connection.execute(f"""
        create or replace table fct_macro_observations as
        with days as (
            select date_day from dim_date where is_trading_day and date_day < date '2024-12-31'
        ),
        daily as (
            select 'DAILY' || series as indicator_id, date_day as observation_date,
                   cast(date_day + interval 1 day as date) as realtime_start,
                   date '9999-12-31' as realtime_end, random() as value
            from days cross join range(5) as s(series)
        ),
        months as (
            select cast(month as date) as observation_date
            from range(date '{first}-01-01', date '2024-12-01', interval 1 month) as m(month)
        ),
        monthly as (
            select 'MONTHLY' || series as indicator_id, observation_date,
                   cast(observation_date + interval (32 * (vintage + 1) + series) day as date)
                       as realtime_start,
                   random() as value, vintage
            from months cross join range(9) as s(series) cross join range(3) as v(vintage)
        )
        select indicator_id, observation_date, realtime_start, realtime_end, value from daily
        union all
        select indicator_id, observation_date, realtime_start,
               coalesce(cast(lead(realtime_start) over (
                   partition by indicator_id, observation_date order by realtime_start
               ) - interval 1 day as date), date '9999-12-31') as realtime_end,
               value
        from monthly
    """)
    return connection.execute("select count(*) from fct_macro_observations").fetchone()[0]


def timed(connection: duckdb.DuckDBPyConnection, sql: str, repeat: int = 3) -> tuple[float, int]:
    best, rows = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        rows = connection.execute(f"select count(*) from ({sql}) as q").fetchone()[0]
        best = min(best, time.perf_counter() - start)
    return best, rows


def main() -> None:
    ours = compiled_sql()
    connection = duckdb.connect()
    connection.execute("set threads = 1")  # a shared 2-core machine: one thread, stable ratios
    results = {}
    for years in (10, 40):
        vintages = load(connection, years)
        ours_time, ours_rows = timed(connection, ours)
        naive_time, naive_rows = timed(connection, NAIVE)
        same = connection.execute(
            f"select count(*) from (({ours}) except ({NAIVE})) as q"
        ).fetchone()[0]
        assert ours_rows == naive_rows and same == 0, "as-of differs from the definition"
        results[years] = (ours_time, naive_time)
        print(
            f"{years:>2} years: {vintages:>7,} vintages -> {ours_rows:>7,} as-of rows;"
            f" ours {ours_time:.3f}s, range join {naive_time:.3f}s,"
            f" ours/range join = {ours_time / naive_time:.2f}"
        )
    growth = results[40][0] / results[10][0]
    naive_growth = results[40][1] / results[10][1]
    print(f"40y/10y time: ours x{growth:.1f}, range join x{naive_growth:.1f} (data x4)")


if __name__ == "__main__":
    main()
