"""The run audit in the warehouse, and `health` reading it back (DuckDB and Postgres)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from marketpulse.ingest import runner
from marketpulse.ingest.report import Progress, SourceReport
from marketpulse.ops import audit
from marketpulse.ops.health import NO_QUALITY, check
from marketpulse.retry import RetryPolicy
from marketpulse.warehouse import Warehouse
from tests.conftest import cli, fixture_config, fresh_postgres_database, recorded_clients
from tests.fake_servers import FakeHttp

FAST = RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0)
QUALITY_COLUMNS = (
    "entity_type text, entity_id text, window_name text, as_of_date date,"
    " expected_points integer, actual_points integer, completeness_ratio double precision,"
    " gap_count integer, max_gap_days integer, days_since_update integer,"
    " outlier_count integer, quality_score double precision, quality_grade text,"
    " passes_completeness boolean, passes_gaps boolean, passes_freshness boolean"
)


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    if request.param == "duckdb":
        yield Warehouse.from_env(
            {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(tmp_path / "wh.duckdb")}
        )
        return
    admin = request.getfixturevalue("postgres_admin_db")
    with fresh_postgres_database(admin) as pg:
        yield pg


def rows(warehouse: Warehouse, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with closing(warehouse.connect()) as connection:
        cursor = connection.cursor()
        cursor.execute(sql.replace("?", "%s") if warehouse.kind == "postgres" else sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def execute(warehouse: Warehouse, *statements: str) -> None:
    with closing(warehouse.connect(read_only=False)) as connection:
        cursor = connection if warehouse.kind == "duckdb" else connection.cursor()
        for statement in statements:
            cursor.execute(statement)
        connection.commit()


def test_every_run_writes_one_row_per_source_and_one_per_failed_item(
    warehouse: Warehouse,
) -> None:
    reports = runner.run(
        fixture_config(symbols=("AAPL", "NOPE", "SPY")),
        warehouse,
        recorded_clients(),
        progress=Progress(quiet=True),
        retry=FAST,
        run_id="20261122T000000Z-test0001",
    )
    runs = rows(
        warehouse,
        "select run_id, source, status, error, items_loaded, items_failed, rows_loaded,"
        " data_origin from raw_audit.pipeline_runs order by source desc",
    )
    assert runs == [
        ("20261122T000000Z-test0001", "yahoo", "partial", None, 2, 1, 16, "recorded"),
        ("20261122T000000Z-test0001", "fred", "success", None, 2, 0, 12, "recorded"),
    ]
    tables = rows(
        warehouse,
        "select source, table_name, rows_loaded from raw_audit.pipeline_run_tables"
        " order by source, table_name",
    )
    # Independent of the report: the rows really in the raw tables after one run.
    assert tables == [
        ("fred", "observations", 10),
        ("fred", "series", 2),
        ("yahoo", "corporate_actions", 2),
        ("yahoo", "prices_daily", 12),
        ("yahoo", "symbols", 2),
    ]
    assert rows(warehouse, "select count(*) from raw_yahoo.prices_daily") == [(12,)]
    failures = rows(warehouse, "select source, item, reason from raw_audit.pipeline_run_failures")
    assert failures == [("yahoo", "NOPE", "unknown or delisted symbol at Yahoo")]
    started, finished = rows(
        warehouse,
        "select started_at, finished_at from raw_audit.pipeline_runs where source = ?",
        "yahoo",
    )[0]
    assert started <= finished
    assert reports[0].started_at is not None


def test_health_reads_runs_freshness_and_quality(warehouse: Warehouse) -> None:
    runner.run(
        fixture_config(), warehouse, recorded_clients(), progress=Progress(quiet=True), retry=FAST
    )
    health = check(warehouse)
    by_name = {c.name: c for c in health.checks}
    assert by_name["warehouse"].level == "ok"
    assert by_name["run yahoo"].level == by_name["run fred"].level == "ok"
    assert by_name["fresh yahoo"].level == "info"  # recorded data: freshness not judged
    assert (by_name["quality"].level, by_name["quality"].detail) == ("info", NO_QUALITY)
    assert not health.critical and health.alerts == []

    execute(
        warehouse,
        "create schema if not exists marts",
        f"create table marts.fct_data_quality ({QUALITY_COLUMNS})",
        "insert into marts.fct_data_quality values"
        " ('symbol', 'AAPL', '30d', date '2014-06-10', 21, 21, 1.0, 0, 1, 0, 0, 0.98,"
        "  'Excellent', true, true, true),"
        " ('symbol', 'SPY', '30d', date '2014-06-10', 21, 14, 0.6667, 1, 9, 0, 0, 0.6167,"
        "  'Poor', false, false, true),"
        " ('series', 'DGS10', '30d', date '2014-06-10', 21, 20, 0.95, 0, 3, 0, 0, 0.95,"
        "  'Excellent', true, true, true),"
        " ('symbol', 'SPY', '30d', date '2014-06-09', 21, 21, 1.0, 0, 1, 0, 0, 0.10,"
        "  'Poor', true, true, true),"
        " ('symbol', 'SPY', 'full', date '2014-06-10', 100, 10, 0.1, 5, 30, 0, 0, 0.05,"
        "  'Poor', false, false, true)",
    )
    health = check(warehouse)
    quality = {c.name: c for c in health.checks}
    # Only the latest 30-day rows count: SPY 0.6167 < 0.7, the older and full-window rows do not.
    assert quality["quality"].level == "warning"
    assert quality["quality"].detail == (
        "3 entities as of 2014-06-10: Excellent 2, Poor 1; 1 under 0.7; "
        "worst: SPY 0.62, DGS10 0.95, AAPL 0.98"
    )
    assert quality["quality checks"].detail == "failing: completeness 1, gaps 1, freshness 0"
    assert [a.key for a in health.alerts] == ["quality:symbol:SPY"]
    assert not health.critical  # low quality warns and alerts; it is not critical


def test_a_failed_latest_run_and_stale_live_data_are_critical(warehouse: Warehouse) -> None:
    failed = SourceReport("fred", fatal="no network: cannot reach FRED (no network)")
    audit.record(
        warehouse, "20261120T000000Z-aaaa", [SourceReport("yahoo", loaded=["AAPL"])], "live"
    )
    audit.record(warehouse, "20261121T000000Z-bbbb", [failed], "live")
    execute(
        warehouse,
        "create schema if not exists raw_yahoo",
        "create table raw_yahoo.prices_daily (symbol text, trading_date date,"
        " data_origin text, _loaded_at timestamp with time zone)",
        "insert into raw_yahoo.prices_daily values"
        " ('AAPL', date '2026-11-20', 'live', timestamp with time zone '2026-11-20 21:00:00+00')",
    )
    monday_1555_ny = datetime(2026, 11, 23, 20, 55, tzinfo=UTC)
    health = check(warehouse, now=monday_1555_ny)
    levels = {c.name: c.level for c in health.checks}
    assert levels["run fred"] == "critical" and levels["run yahoo"] == "ok"
    assert levels["fresh yahoo"] == "critical"
    assert levels["fresh fred"] == "warning"  # no table at all
    assert health.critical
    assert [a.key for a in health.alerts] == ["stale:yahoo"]
    monday_1000_ny = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    assert {c.name: c.level for c in check(warehouse, now=monday_1000_ny).checks}[
        "fresh yahoo"
    ] == "ok"


def test_health_cli_exit_code_and_table(tmp_path: Path) -> None:
    result = cli("health", env={"MARKETPULSE_DUCKDB_PATH": str(tmp_path / "none.duckdb")})
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["check", "status", "detail"]
    assert lines[2].split(None, 2)[:2] == ["warehouse", "critical"]
    assert lines[2].endswith("none.duckdb: no such file; run `make demo` or `make ingest` first")


@pytest.mark.usefixtures("runs_dbt")
def test_a_failed_build_is_audited_alerted_and_critical_in_health(tmp_path: Path) -> None:
    """`python -m marketpulse build` on a warehouse whose raw prices hold a date that is no
    date: dbt fails, Slack hears it. (An empty warehouse builds: test_build_on_an_empty_...)"""
    slack = FakeHttp().start()
    env = {
        "WAREHOUSE": "duckdb",
        "MARKETPULSE_DUCKDB_PATH": str(tmp_path / "broken.duckdb"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "ALERTS__SLACK_WEBHOOK_URL": f"{slack.url}/slack/hook",
        "ALERTS__STATE_PATH": str(tmp_path / "alerts.json"),
    }
    execute(
        Warehouse.from_env(env),
        "create schema raw_yahoo",
        "create table raw_yahoo.prices_daily (symbol text, trading_date text, close double,"
        " _loaded_at timestamp with time zone)",
        "insert into raw_yahoo.prices_daily values ('AAPL', 'not a date', 1.0, now())",
    )
    try:
        result = cli("build", env=env)
    finally:
        slack.stop()
    assert result.returncode == 1
    assert "error: dbt build failed; see the output above" in result.stderr
    assert "alert sent: build_failed -> slack" in result.stdout
    # The alert names what failed (issue 18 item 13): the staging test that casts the date first
    # (dbt build skips what depends on it), with the database's error.
    (text,) = [r.body["text"] for r in slack.requests]
    title, *details = text.splitlines()
    assert title.startswith(":rotating_light: *marketpulse: dbt build failed: ")
    assert details and all(
        line.startswith(("model ", "test ", "unit test ", "...")) for line in details
    )
    assert any(
        line.startswith("test ")
        and "on stg_yahoo__prices_daily_rows" in line
        and 'invalid date field format: "not a date"' in line
        for line in details
    ), details
    warehouse = Warehouse.from_env(env)
    assert rows(warehouse, "select source, status from raw_audit.pipeline_runs") == [
        ("dbt", "failed")
    ]
    health = cli("health", env=env)
    assert health.returncode == 1
    build_line = next(line for line in health.stdout.splitlines() if line.startswith("build dbt"))
    assert build_line.split()[2:4] == ["critical", "latest"]
    assert "failed: dbt build failed (exit code 1)" in build_line


def test_a_live_ingest_refused_by_a_sample_warehouse_is_no_failed_run(tmp_path: Path) -> None:
    """Issue 18 item 10: `marketpulse ingest` (live) on the demo's sample warehouse is refused
    before it fetches anything: exit 2 and one error line; no run recorded, no alert, and
    health stays as it was."""
    slack = FakeHttp().start()
    env = {
        "WAREHOUSE": "duckdb",
        "MARKETPULSE_DUCKDB_PATH": str(tmp_path / "demo.duckdb"),
        "ALERTS__SLACK_WEBHOOK_URL": f"{slack.url}/slack/hook",
        "ALERTS__STATE_PATH": str(tmp_path / "alerts.json"),
        "ALERTS__COOLDOWN_MINUTES": "0",
    }
    try:
        sample = cli("ingest", "--sample", "--quiet", env=env)
        assert sample.returncode == 0, sample.stderr
        warehouse = Warehouse.from_env(env)
        before = rows(warehouse, "select run_id, source, status from raw_audit.pipeline_runs")
        assert {status for _, _, status in before} == {"success"} and len(before) == 4
        health_before = cli("health", env=env)

        live = cli("ingest", "--quiet", env=env)
    finally:
        slack.stop()
    assert live.returncode == 2, live.stdout + live.stderr
    assert "Traceback" not in live.stderr
    reset = f"MARKETPULSE_DUCKDB_PATH={tmp_path / 'demo.duckdb'} make reset YES=1"
    assert live.stderr.splitlines()[-1] == (
        "error: refused (yahoo, fred, trends, news), nothing written and no run recorded: "
        "the warehouse holds sample Yahoo data and this run would add live data; "
        f"use another warehouse, or empty this one first: {reset}"
    )
    assert "FAILED" not in live.stdout + live.stderr
    assert rows(warehouse, "select run_id, source, status from raw_audit.pipeline_runs") == before
    assert rows(warehouse, "select count(*) from raw_audit.pipeline_run_failures") == [(0,)]
    assert slack.requests == []  # no alert: nothing failed
    health = cli("health", env=env)
    assert health.returncode == 0, health.stdout
    assert [line for line in health.stdout.splitlines() if line.startswith("run ")] == [
        line for line in health_before.stdout.splitlines() if line.startswith("run ")
    ]
    assert all(
        line.split()[2] == "ok" for line in health.stdout.splitlines() if line.startswith("run ")
    )


def test_freshness_covers_every_source_and_names_those_never_loaded(
    warehouse: Warehouse,
) -> None:
    """Issue 18 items 7 and 9: trends and news are judged like prices and FRED; a source whose
    raw table has no rows (never loaded) is named, with what that means for its marts."""
    execute(
        warehouse,
        "create schema if not exists raw_trends",
        "create table raw_trends.interest_over_time (keyword text, observed_date date,"
        " data_origin text, _loaded_at timestamp with time zone)",
        "insert into raw_trends.interest_over_time values ('inflation', date '2026-11-22',"
        " 'live', timestamp with time zone '2026-11-23 15:00:00+00')",
        "create schema if not exists raw_news",
        "create table raw_news.headlines (article_id text, data_origin text,"
        " _loaded_at timestamp with time zone)",
        "insert into raw_news.headlines values"
        " ('a1', 'live', timestamp with time zone '2026-11-19 21:00:00+00')",
    )
    monday_1555_ny = datetime(2026, 11, 23, 20, 55, tzinfo=UTC)
    health = check(warehouse, now=monday_1555_ny)
    by_name = {c.name: c for c in health.checks}
    # trends: loaded 10:00 New York, 5.9 market hours before 15:55: within the 6 hours.
    assert by_name["fresh trends"].level == "ok"
    assert by_name["fresh trends"].detail.endswith("5.9 market hours since (limit 6)")
    # news: loaded Thursday 16:00 New York; Friday's and Monday's sessions since.
    assert by_name["fresh news"].level == "critical"
    assert "stale:news" in [alert.key for alert in health.alerts]
    assert "stale:trends" not in [alert.key for alert in health.alerts]
    for source, table in (("yahoo", "raw_yahoo.prices_daily"), ("fred", "raw_fred.observations")):
        assert (by_name[f"fresh {source}"].level, by_name[f"fresh {source}"].detail) == (
            "warning",
            f"never loaded: no rows in {table}; its marts are empty until `make ingest`",
        )
