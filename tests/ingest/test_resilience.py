"""A killed ingest, a database that refuses us, hostile identifiers, and secrets that must not
leak: each end to end, as a user's process."""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from marketpulse.ingest import runner
from marketpulse.ingest.report import Progress
from marketpulse.warehouse import Warehouse
from tests.conftest import ROOT, fresh_postgres_database
from tests.ingest.interrupted_run import config

RAW_TABLES = (
    "raw_yahoo.prices_daily",
    "raw_yahoo.corporate_actions",
    "raw_yahoo.symbols",
    "raw_fred.observations",
    "raw_fred.series",
)
LOAD_COLUMNS = {"_loaded_at", "_dlt_load_id", "_dlt_id"}


def warehouse_env(warehouse: Warehouse) -> dict[str, str]:
    if warehouse.kind == "duckdb":
        return {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(warehouse.duckdb_path)}
    return {"WAREHOUSE": "postgres", "PGDATABASE": warehouse.pg["database"]}


def snapshot(warehouse: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    """Every raw row, minus the columns that record when it was loaded."""
    tables = {}
    with closing(warehouse.connect()) as connection:
        cursor = connection.cursor()
        for table in RAW_TABLES:
            schema, name = table.split(".")
            cursor.execute(
                "select column_name from information_schema.columns"
                f" where table_schema = '{schema}' and table_name = '{name}'"
                " order by column_name"
            )
            columns = [row[0] for row in cursor.fetchall() if row[0] not in LOAD_COLUMNS]
            cursor.execute(f"select {', '.join(columns)} from {table}")
            tables[table] = sorted(
                (tuple(row) for row in cursor.fetchall()), key=lambda r: tuple(map(str, r))
            )
    return tables


def prices_loaded(warehouse: Warehouse) -> int:
    with closing(warehouse.connect()) as connection:
        cursor = connection.cursor()
        cursor.execute(
            "select count(*) from information_schema.tables"
            " where table_schema = 'raw_yahoo' and table_name = 'prices_daily'"
        )
        if cursor.fetchone()[0] == 0:
            return 0
        cursor.execute("select count(*) from raw_yahoo.prices_daily")
        return int(cursor.fetchone()[0])


def killed_run(warehouse: Warehouse, phase: str) -> None:
    """Start the ingest, wait for its kill point, SIGKILL it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.ingest.interrupted_run", phase],
        cwd=ROOT,
        env={**os.environ, **warehouse_env(warehouse)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.strip() == "KILLPOINT":
                break
            assert line.strip() != "FINISHED", "the run ended before its kill point"
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(scope="module")
def clean_snapshot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[Any, ...]]]:
    warehouse = Warehouse.from_env(
        {
            "WAREHOUSE": "duckdb",
            "MARKETPULSE_DUCKDB_PATH": str(tmp_path_factory.mktemp("clean") / "clean.duckdb"),
        }
    )
    reports = runner.run(
        config(), warehouse, runner.sample_clients(), progress=Progress(quiet=True)
    )
    assert all(report.ok for report in reports)
    return snapshot(warehouse)


@pytest.mark.parametrize(
    ("kind", "phase"),
    [
        ("duckdb", "extract"),
        ("duckdb", "load"),
        ("postgres", "load"),
        ("duckdb", "committed"),  # a job's rows were in, dlt had not marked it done
        ("postgres", "committed"),
    ],
)
def test_sigkill_mid_run_then_the_next_run_loses_and_doubles_nothing(
    kind: str,
    phase: str,
    clean_snapshot: dict[str, list[tuple[Any, ...]]],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    def scenario(warehouse: Warehouse) -> None:
        killed_run(warehouse, phase)
        # The kill really left the warehouse short: no prices yet, or fewer than a clean run.
        assert prices_loaded(warehouse) < len(clean_snapshot["raw_yahoo.prices_daily"])
        reports = runner.run(
            config(), warehouse, runner.sample_clients(), progress=Progress(quiet=True)
        )
        assert all(report.ok for report in reports), reports
        after = snapshot(warehouse)
        for table in RAW_TABLES:
            assert len(after[table]) == len(clean_snapshot[table]), table
            assert after[table] == clean_snapshot[table], table

    if kind == "duckdb":
        scenario(
            Warehouse.from_env(
                {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(tmp_path / "wh.duckdb")}
            )
        )
    else:
        with fresh_postgres_database(request.getfixturevalue("postgres_admin_db")) as pg:
            scenario(pg)


def ingest_cli(
    *args: str, env: dict[str, str], cwd: Path = ROOT, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "marketpulse", *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def raw_schemas(warehouse: Warehouse) -> list[str]:
    with closing(warehouse.connect()) as connection:
        cursor = connection.cursor()
        cursor.execute(
            "select schema_name from information_schema.schemata"
            " where schema_name like 'raw%' or schema_name in ('staging', 'marts')"
        )
        return sorted(row[0] for row in cursor.fetchall())


def test_postgres_refusing_us_is_one_line_exit_2_and_no_write(postgres_admin_db: str) -> None:
    """The local server trusts every login (pg_hba `trust`), so a wrong password cannot be
    provoked here; an unknown role and a closed port take the same path (psycopg2
    OperationalError at the pre-flight connect, before anything is fetched or written)."""
    with fresh_postgres_database(postgres_admin_db) as warehouse:
        database = warehouse.pg["database"]
        base = {"WAREHOUSE": "postgres", "PGDATABASE": database, "PGHOST": "127.0.0.1"}
        unknown_role = ingest_cli(
            "ingest", "--sample", env={**base, "PGUSER": "marketpulse_nobody"}, timeout=120
        )
        closed_port = ingest_cli("demo", env={**base, "PGPORT": "1"}, timeout=120)
        assert raw_schemas(warehouse) == []  # nothing written, not even the audit
    for result, who in (
        (unknown_role, "marketpulse_nobody@127.0.0.1:5432"),
        (closed_port, "postgres@127.0.0.1:1"),
    ):
        assert result.returncode == 2
        error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(error_lines) == 1, result.stderr
        assert error_lines[0].startswith(f"error: cannot connect to postgres {who}/{database}: ")
        assert "Traceback" not in result.stderr
    assert 'role "marketpulse_nobody" does not exist' in unknown_role.stderr
    assert "Connection refused" in closed_port.stderr


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        (
            {"SOURCES__YAHOO__LARGE_CAPS": '["AAPL", "AAPL\'; drop table x;--"]'},
            ("ingest", "--sample"),
            'error: not a valid Yahoo symbol: "AAPL\'; DROP TABLE X;--" '
            "(letters, digits, ^ . - = only)",
        ),
        (
            {"SOURCES__FRED__SERIES": '["DGS10", "x); delete from raw_fred.series; --"]'},
            ("demo",),
            "error: not a valid FRED series id: 'X); DELETE FROM RAW_FRED.SERIES; --' "
            "(letters, digits, _ only)",
        ),
        (
            {},
            ("ingest", "--series", "DGS10,UNRATE' or '1'='1"),
            "error: not a valid FRED series id: \"UNRATE' OR '1'='1\" (letters, digits, _ only)",
        ),
    ],
)
def test_hostile_identifiers_are_refused_at_config_load_and_on_the_cli(
    env: dict[str, str], args: tuple[str, ...], message: str, tmp_path: Path
) -> None:
    warehouse_file = tmp_path / "wh.duckdb"
    result = ingest_cli(
        *args, env={**env, "MARKETPULSE_DUCKDB_PATH": str(warehouse_file)}, timeout=120
    )
    assert result.returncode == 2
    assert result.stderr.strip() == message
    assert not warehouse_file.exists()  # refused before the warehouse was touched


# Where Python code reaches a database with SQL text built at runtime. Each entry is a
# (file, function) whose interpolated names come from constants in the code, never from a
# user; every value a user controls is a bound parameter.
TRUSTED_SQL_BUILDERS = {
    (
        "marketpulse/build/summary.py",
        "mart_stats",
    ),  # mart and column names from MARTS / DATE_COLUMNS
    (
        "marketpulse/ops/alerts/conditions.py",
        "last_live_loads",
    ),  # table names from FRESHNESS_TABLES
    ("marketpulse/ops/health.py", "_freshness"),  # table names from FRESHNESS_TABLES
    (
        "marketpulse/ops/retention.py",
        "prune",
    ),  # table names from RETENTION_TABLES; the cut-off is bound
    ("marketpulse/ops/grants.py", "grant_bi"),
    # Spark's tables as DuckDB views: schema and table names are the lake's and Spark's folder
    # names (quoted identifiers), the file glob a quoted literal; no user value reaches it.
    ("marketpulse/warehouse/lake.py", "__init__"),
    # raw tables written from Python (the run audit): schema names from RawTable constants
    ("marketpulse/warehouse/base.py", "ensure_tables"),
    ("marketpulse/warehouse/base.py", "append_rows"),
    # the server's catalog: `show tables in` / `describe` take no parameters; the schema names are
    # the project's, the table names the server's own listing, each a quoted identifier (_quoted)
    ("marketpulse/warehouse/spark_server.py", "tables"),
    ("marketpulse/warehouse/spark_server.py", "columns"),
}


def _builds_sql(node: ast.AST) -> bool:
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(value, ast.FormattedValue) for value in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("format", "replace")
    )


def test_no_sql_is_built_from_user_values_by_string_pasting() -> None:
    """Every `.execute(...)` / `.executemany(...)` in marketpulse/ gets constant SQL text, or is one
    of the reviewed builders above that only interpolate constant identifiers."""
    found = set()
    for path in sorted((ROOT / "marketpulse").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("execute", "executemany")
                    and node.args
                ):
                    continue
                first = node.args[0]
                if _builds_sql(first):
                    found.add((str(path.relative_to(ROOT)), function.name))
                elif isinstance(first, ast.Name):
                    # a variable: where it is assigned in this function must be constant too
                    for assign in ast.walk(function):
                        if (
                            isinstance(assign, ast.Assign)
                            and any(
                                isinstance(t, ast.Name) and t.id == first.id for t in assign.targets
                            )
                            and _builds_sql(assign.value)
                        ):
                            found.add((str(path.relative_to(ROOT)), function.name))
    assert found <= TRUSTED_SQL_BUILDERS, found - TRUSTED_SQL_BUILDERS
    # And the user-facing values really are parameters in the audit writer.
    from marketpulse.ops import audit

    for table in audit._tables().values():
        names = table.columns.names
        assert table.insert.endswith(f"values ({', '.join(':' + name for name in names)})")


FAKE_PG_PASSWORD = "pg-Secret-7f3a9c1e"
FAKE_FRED_KEY = "fredkey0a1b2c3d4e5f60718293a4b5c6d"
OFFLINE = {
    key: "http://127.0.0.1:9" for key in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")
}


@pytest.mark.usefixtures("runs_dbt")
def test_secrets_never_reach_output_reports_artifacts_or_state(
    postgres_admin_db: str, tmp_path: Path
) -> None:
    """A database password and a FRED key in the environment, then a sample load, a live FRED
    run that fails (no network), a dbt build and `health`: neither secret appears anywhere."""
    work = tmp_path / "work"
    (work / ".dlt").mkdir(parents=True)
    (work / ".dlt" / "config.toml").write_text((ROOT / ".dlt" / "config.toml").read_text())
    with fresh_postgres_database(postgres_admin_db) as warehouse:
        env = {
            "WAREHOUSE": "postgres",
            "PGHOST": "127.0.0.1",
            "PGDATABASE": warehouse.pg["database"],
            "PGPASSWORD": FAKE_PG_PASSWORD,  # the server trusts local logins: accepted, unused
            "FRED_API_KEY": FAKE_FRED_KEY,
            "DBT_TARGET_PATH": str(tmp_path / "target"),
            "DBT_LOG_PATH": str(tmp_path / "logs"),
            "ALERTS__STATE_PATH": str(tmp_path / "alerts.json"),
        }
        results = [
            ingest_cli("ingest", "--sample", "--sources", "fred", env=env, cwd=work),
            ingest_cli(  # live FRED with the key, no network (a warehouse of its own: live)
                "ingest",
                "--sources",
                "fred",
                "--series",
                "UNRATE",
                env={
                    **env,
                    **OFFLINE,
                    "WAREHOUSE": "duckdb",
                    "MARKETPULSE_DUCKDB_PATH": str(tmp_path / "live.duckdb"),
                },
                cwd=work,
            ),
            ingest_cli(
                "build",
                "--select",
                "staging.fred",
                "dim_indicator",
                "--indirect-selection",
                "cautious",
                env=env,
                cwd=work,
            ),
            ingest_cli("health", env=env, cwd=work),
        ]
        assert results[0].returncode == 0, results[0].stderr
        assert results[1].returncode == 1 and "fred: FAILED: no network" in results[1].stderr
        assert results[2].returncode == 0, results[2].stdout[-2000:]
        with closing(warehouse.connect()) as connection:
            cursor = connection.cursor()
            dumped = []
            for table in (
                "raw_audit.pipeline_runs",
                "raw_audit.pipeline_run_failures",
                "raw_fred._dlt_loads",
                "raw_fred._dlt_pipeline_state",
                "raw_fred._dlt_version",
            ):
                cursor.execute(f"select * from {table}")
                dumped.append(repr(cursor.fetchall()))
        assert len(dumped[0]) > 100  # the runs really were recorded
    texts = [r.stdout + r.stderr for r in results] + dumped
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "manifest.json" for p in files)
    assert any(p.name == "run_results.json" for p in files)
    assert any(p.name == "dbt.log" for p in files)
    assert any(".dlt" in p.parts for p in files)  # dlt's working state and traces
    for secret in (FAKE_PG_PASSWORD, FAKE_FRED_KEY):
        assert not [t for t in texts if secret in t], secret
        assert not [p for p in files if secret.encode() in p.read_bytes()], secret


def test_rerun_after_sigkill_mid_load_reports_what_it_really_loaded(
    postgres_admin_db: str,
) -> None:
    """Issue 17, item 5: the rerun loads the package the killed run left, counts its rows in
    the audit and the summary, and shows the user no dlt internals."""
    from tests.ingest.interrupted_run import SERIES, SYMBOLS

    with fresh_postgres_database(postgres_admin_db) as warehouse:
        killed_run(warehouse, "load")
        before = prices_loaded(warehouse)
        env = {
            **warehouse_env(warehouse),
            "SOURCES__YAHOO__SYMBOLS": repr(list(SYMBOLS)).replace("'", '"'),
            "SOURCES__FRED__SERIES": repr(list(SERIES)).replace("'", '"'),
            "SOURCES__YAHOO__START_DATE": "2017-01-01",
            "SOURCES__FRED__START_DATE": "2015-01-01",
        }
        result = ingest_cli("ingest", "--sample", "--sources", "yahoo,fred", "--quiet", env=env)
        after = prices_loaded(warehouse)
        with closing(warehouse.connect()) as connection:
            cursor = connection.cursor()
            cursor.execute(
                "select source, table_name, rows_loaded from raw_audit.pipeline_run_tables"
                " where run_id = (select max(run_id) from raw_audit.pipeline_runs)"
                " order by source, table_name"
            )
            audit_rows = {(s, t): n for s, t, n in cursor.fetchall()}
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no dlt warning about pending packages, no traceback
    assert before < after
    lines = result.stdout.splitlines()
    assert any(line.startswith(f"yahoo: ok; {len(SYMBOLS)} loaded; rows: ") for line in lines)
    [note] = [line for line in lines if line.startswith("yahoo: note: finished loading")]
    resumed = int(note.rsplit(": ", 1)[1].removesuffix(" rows").replace(",", ""))
    # the killed run's package held every price row: this run loaded all of them
    assert audit_rows[("yahoo", "prices_daily")] >= after - before
    assert resumed >= after - before >= 3_000  # 6 symbols, 2017-2018
