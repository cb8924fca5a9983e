"""Every incremental model, built incrementally after new days arrive, equals a full refresh.

The sample is loaded through dlt, its last HELD_BACK trading days are moved out of the raw
prices table, and `dbt build` runs on the truncated history. The held-back days are put back
(they include year-end dividends, so some symbols are re-adjusted and others simply continue;
a late AAPL split comes with them, which changes its as-traded volumes but not its closes),
an incremental `dbt build` runs, and every column of every incremental model under
models/marts and models/intermediate (found in target/manifest.json), and of the table marts
built from an incremental intermediate model (DOWNSTREAM), is compared with a
`dbt run --full-refresh`. A second case holds back FRED's last observations instead (late
risk-free rates): the sessions they reach are stored with a rate carried forward, and the
incremental build that follows their arrival must rewrite them.

Each dbt command selects every incremental model and its parents (SELECT), not the whole
project: the other marts never feed them, and the demo fixtures build and test the whole project.
The full refresh is a `dbt run`: its tables are checked against the incremental ones, which have
passed their tests, and the demo fixtures test the same full build of the same sample.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from marketpulse.build.dbt import failed_nodes, run_dbt
from marketpulse.ingest import runner
from marketpulse.ingest.config import IngestConfig
from marketpulse.ingest.report import Progress
from marketpulse.warehouse import Warehouse
from tests.conftest import fresh_postgres_database
from tests.sample_warehouses import query

HELD_BACK = 10
# Table marts built from an incremental intermediate model, with their unique key.
DOWNSTREAM = {"fct_risk_metrics": ["symbol", "window_name"]}
# The models a late risk-free rate must reach in an incremental run. fct_rolling_risk is not
# one yet: it recomputes only the sessions after each symbol's last stored one, so a rate that
# arrives late stays out of its stored Sharpe ratios until a full refresh.
LATE_RATES = {"int_daily_returns_enriched", "fct_risk_metrics"}
# Every incremental model with everything upstream of it, plus dim_symbol (the incremental marts'
# foreign keys point at it) and DOWNSTREAM; `dbt build` runs only the tests whose every parent
# is selected.
SELECT = (
    "--select",
    "+config.materialized:incremental",
    "+dim_symbol",
    *(f"+{model}" for model in DOWNSTREAM),
)
# The incremental build runs the data tests of what it wrote; the unit tests (fixtures, not
# these rows) run in the demo's build. The starting state is built without tests.
NO_UNIT_TESTS = ("--exclude-resource-type", "unit_test")
BUILD = ("build", *SELECT, "--indirect-selection", "cautious", *NO_UNIT_TESTS)
START = ("build", *SELECT, "--exclude-resource-type", "test", *NO_UNIT_TESTS)
# The late rates' case: the models they reach and everything those read.
LATE_SELECT = ("--select", *(f"+{model}" for model in sorted(LATE_RATES)))
# The raw data those models read: prices and corporate actions, and FRED's risk-free rate.
SOURCES = ("yahoo", "fred")


def execute(warehouse: Warehouse, *statements: str) -> None:
    with closing(warehouse.connect(read_only=False)) as connection:
        cursor = connection.cursor()
        for statement in statements:
            cursor.execute(statement)
        connection.commit()


def incremental_marts(target: Path) -> list[tuple[str, str, list[str]]]:
    """(schema, table, unique key) of every incremental model under models/marts and
    models/intermediate, and of the DOWNSTREAM marts."""
    manifest = json.loads((target / "manifest.json").read_text())
    marts = []
    for node in manifest["nodes"].values():
        config = node["config"]
        if node["resource_type"] != "model":
            continue
        layer = node["original_file_path"].split("/")[1]
        if layer in ("marts", "intermediate") and config["materialized"] == "incremental":
            key = config["unique_key"]
            marts.append((node["schema"], node["alias"], [key] if isinstance(key, str) else key))
        elif node["alias"] in DOWNSTREAM:
            marts.append((node["schema"], node["alias"], DOWNSTREAM[node["alias"]]))
    return sorted(marts)


def snapshot(warehouse: Warehouse, marts: list[tuple[str, str, list[str]]]) -> dict[str, Any]:
    tables = {}
    for schema, table, key in marts:
        with closing(warehouse.connect()) as connection:
            cursor = connection.cursor()
            cursor.execute(f"select * from {schema}.{table} order by {', '.join(key)}")
            columns = [column[0] for column in cursor.description]
            tables[f"{schema}.{table}"] = (columns, [tuple(row) for row in cursor.fetchall()])
    return tables


def assert_equal_tables(incremental: dict[str, Any], full: dict[str, Any]) -> None:
    """Equal within 1e-9 relative. A value that is the difference of two larger ones (MACD
    near a crossing) carries their absolute rounding error, so the floor is 1e-12 of the
    column's largest magnitude (measured differences are ~1e-16 of it)."""
    assert incremental.keys() == full.keys()
    for table, (columns, rows) in full.items():
        incremental_columns, incremental_rows = incremental[table]
        assert incremental_columns == columns, table
        assert len(incremental_rows) == len(rows), table
        scales = [
            max((abs(row[i]) for row in rows if isinstance(row[i], float)), default=0.0)
            for i in range(len(columns))
        ]
        for incremental_row, full_row in zip(incremental_rows, rows, strict=True):
            for i, (got, expected) in enumerate(zip(incremental_row, full_row, strict=True)):
                if isinstance(expected, float) and isinstance(got, float):
                    assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12 * scales[i]), (
                        table,
                        columns[i],
                        full_row[:2],
                        got,
                        expected,
                    )
                else:
                    assert got == expected, (table, columns[i], full_row[:2], got, expected)


def assert_marks_current(warehouse: Warehouse) -> None:
    """Every reader of the restatement log has committed its newest generation
    (docs/decisions/0038), so its next incremental run recomputes only the symbols logged
    after it and continues the others: a mark left behind (a first build once took it as 0)
    makes the next run delete and recompute every symbol, which the equality check below
    cannot see."""
    logged = query(
        warehouse,
        "select max(generation) from intermediate.fct_prices_daily__restated where is_committed",
    )[0][0]
    readers = [
        row[0]
        for row in query(
            warehouse,
            "select table_name from information_schema.tables"
            " where table_schema = 'intermediate' and table_name like '%restated_mark'",
        )
    ]
    assert logged is not None
    assert "fct_technical_indicators__restated_mark" in readers, readers
    for reader in readers:
        marks = query(
            warehouse,
            f"select generation from intermediate.{reader} where is_committed",
        )
        assert marks == [(logged,)], (reader, marks, logged)


def check_incremental_equals_full(
    warehouse: Warehouse, tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp / "logs"))
    reports = runner.run(
        IngestConfig.load(),
        warehouse,
        runner.sample_clients(),
        sources=SOURCES,
        progress=Progress(quiet=True),
    )
    assert all(report.ok for report in reports)
    cutoff = held_back_cutoff(warehouse)
    execute(
        warehouse,
        "create schema held_back",
        "create table held_back.prices_daily as select * from raw_yahoo.prices_daily"
        f" where trading_date > '{cutoff}'",
        f"delete from raw_yahoo.prices_daily where trading_date > '{cutoff}'",
    )
    assert run_dbt(warehouse, *START, quiet=True) == 0, (
        "dbt build on the truncated sample",
        failed_nodes(tmp / "target"),
    )
    marts = incremental_marts(tmp / "target")
    tables = {table for _, table, _ in marts}
    assert {"fct_technical_indicators", "int_daily_returns_enriched", *DOWNSTREAM} <= tables
    assert_marks_current(warehouse)
    before = query(warehouse, "select count(*) from marts.fct_technical_indicators")[0][0]

    # With the new days, a 2:1 AAPL split on the first of them: it restates AAPL's stored
    # as-traded volumes, but not its closes (Yahoo's closes are split-adjusted already).
    execute(
        warehouse,
        "insert into raw_yahoo.prices_daily select * from held_back.prices_daily",
        "create table held_back.split as select * from raw_yahoo.corporate_actions limit 1",
        "update held_back.split set symbol = 'AAPL', action_type = 'split', value = 2,"
        " ex_date = (select min(trading_date)"
        " from held_back.prices_daily where symbol = 'AAPL')",
        "insert into raw_yahoo.corporate_actions select * from held_back.split",
    )
    assert run_dbt(warehouse, *BUILD, quiet=True) == 0, (
        "incremental dbt build",
        failed_nodes(tmp / "target"),
    )
    after = query(warehouse, "select count(*) from marts.fct_technical_indicators")[0][0]
    assert after > before
    assert_marks_current(warehouse)
    incremental = snapshot(warehouse, marts)

    assert run_dbt(warehouse, "run", *SELECT, "--full-refresh", quiet=True) == 0, (
        "full refresh",
        failed_nodes(tmp / "target"),
    )
    assert_equal_tables(incremental, snapshot(warehouse, marts))


def check_late_rates_rewrite_stored_returns(
    warehouse: Warehouse, tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FRED's observations of the last HELD_BACK price sessions arrive after a build: the
    stored returns of those sessions (their rate carried forward from an older observation)
    are rewritten, and LATE_RATES equal a full refresh."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp / "logs"))
    reports = runner.run(
        IngestConfig.load(),
        warehouse,
        runner.sample_clients(),
        sources=SOURCES,
        progress=Progress(quiet=True),
    )
    assert all(report.ok for report in reports)
    cutoff = held_back_cutoff(warehouse)
    execute(
        warehouse,
        "create schema held_back",
        "create table held_back.observations as select * from raw_fred.observations"
        f" where observation_date > '{cutoff}'",
        f"delete from raw_fred.observations where observation_date > '{cutoff}'",
    )
    assert query(warehouse, "select count(*) from held_back.observations")[0][0] > 0
    start = ("build", *LATE_SELECT, "--exclude-resource-type", "test", *NO_UNIT_TESTS)
    assert run_dbt(warehouse, *start, quiet=True) == 0, (
        "dbt build without the late rates",
        failed_nodes(tmp / "target"),
    )
    marts = [mart for mart in incremental_marts(tmp / "target") if mart[1] in LATE_RATES]
    assert len(marts) == len(LATE_RATES), marts
    rates = (
        "select trading_date, risk_free_rate_daily from intermediate.int_daily_returns_enriched"
        " where symbol = 'SPY' order by trading_date"
    )
    before = query(warehouse, rates)

    execute(
        warehouse,
        "insert into raw_fred.observations select * from held_back.observations",
    )
    step = ("build", *LATE_SELECT, "--indirect-selection", "cautious", *NO_UNIT_TESTS)
    assert run_dbt(warehouse, *step, quiet=True) == 0, (
        "incremental dbt build",
        failed_nodes(tmp / "target"),
    )
    after = query(warehouse, rates)
    assert len(after) == len(before)
    changed = [day for (day, old), (_, new) in zip(before, after, strict=True) if old != new]
    assert changed and min(changed) > cutoff, (cutoff, changed[:3])
    incremental = snapshot(warehouse, marts)

    assert run_dbt(warehouse, "run", *LATE_SELECT, "--full-refresh", quiet=True) == 0, (
        "full refresh",
        failed_nodes(tmp / "target"),
    )
    assert_equal_tables(incremental, snapshot(warehouse, marts))


def held_back_cutoff(warehouse: Warehouse) -> Any:
    """The last raw session kept: the HELD_BACK sessions after it come back as the new data.

    Both incremental paths must be exercised: symbols re-adjusted by a dividend in the
    held-back days (recomputed in full) and symbols that simply continue from their stored
    state.
    """
    cutoff = query(
        warehouse,
        "select trading_date from (select distinct trading_date from raw_yahoo.prices_daily)"
        f" as days order by trading_date desc limit 1 offset {HELD_BACK}",
    )[0][0]
    readjusted, symbols = query(
        warehouse,
        "select (select count(distinct symbol) from raw_yahoo.corporate_actions"
        f" where ex_date > '{cutoff}'), (select count(distinct symbol) from raw_yahoo.symbols)",
    )[0]
    assert 0 < readjusted < symbols
    return cutoff


@pytest.mark.usefixtures("runs_dbt")
def test_incremental_build_equals_full_refresh_on_duckdb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = Warehouse.from_env(
        {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(tmp_path / "wh.duckdb")}
    )
    check_incremental_equals_full(warehouse, tmp_path, monkeypatch)


@pytest.fixture
def postgres_database(postgres_admin_db: str) -> Iterator[Warehouse]:
    with fresh_postgres_database(postgres_admin_db) as warehouse:
        yield warehouse


@pytest.mark.usefixtures("runs_dbt")
def test_incremental_build_equals_full_refresh_on_postgres(
    postgres_database: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_incremental_equals_full(postgres_database, tmp_path, monkeypatch)


@pytest.mark.usefixtures("runs_dbt")
def test_late_risk_free_rates_rewrite_stored_returns_on_duckdb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = Warehouse.from_env(
        {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(tmp_path / "wh.duckdb")}
    )
    check_late_rates_rewrite_stored_returns(warehouse, tmp_path, monkeypatch)


@pytest.mark.usefixtures("runs_dbt")
def test_late_risk_free_rates_rewrite_stored_returns_on_postgres(
    postgres_database: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_late_rates_rewrite_stored_returns(postgres_database, tmp_path, monkeypatch)
