"""Least privilege: the BI role created by `grant-bi` logs in, reads every mart (also the tables
a later dbt build recreates) and can neither write anything nor read raw or staging. And TLS:
PGSSLMODE reaches every client (psycopg2, dlt, dbt), proven against a server without TLS."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import psycopg2
import pytest

from marketpulse.cli import main
from marketpulse.ops.grants import grant_bi
from marketpulse.warehouse import ConfigError, Warehouse
from tests.conftest import ROOT, fresh_postgres_database
from tests.sample_warehouses import dbt, execute, load_slice

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def built_postgres(
    postgres_admin_db: str, tmp_path_factory: pytest.TempPathFactory, runs_dbt: None
) -> Iterator[tuple[Warehouse, Path]]:
    tmp = tmp_path_factory.mktemp("grants")
    with fresh_postgres_database(postgres_admin_db) as warehouse:
        load_slice(warehouse)
        assert (
            dbt(warehouse, tmp, "build", "--resource-type", "seed", "--resource-type", "model") == 0
        )
        yield warehouse, tmp


@pytest.fixture
def bi_role(built_postgres: tuple[Warehouse, Path]) -> Iterator[str]:
    warehouse, _ = built_postgres
    role = f"marketpulse_bi_{uuid.uuid4().hex[:8]}"
    yield role
    execute(warehouse, f'drop owned by "{role}"')  # its grants, in this database
    execute(warehouse, f'drop role if exists "{role}"')


def as_role(warehouse: Warehouse, role: str, password: str, sql: str) -> list[tuple[object, ...]]:
    with closing(
        psycopg2.connect(
            host=warehouse.pg["host"],
            port=int(warehouse.pg["port"]),
            user=role,
            password=password,
            dbname=warehouse.pg["database"],
            connect_timeout=5,
        )
    ) as connection:
        cursor = connection.cursor()
        cursor.execute(sql)
        rows = cursor.fetchall() if cursor.description else []
        connection.commit()
        return rows


def test_bi_role_reads_marts_only(built_postgres: tuple[Warehouse, Path], bi_role: str) -> None:
    warehouse, tmp = built_postgres
    done = grant_bi(warehouse, bi_role, "s3cret-bi")
    assert done[0] == f"created login role {bi_role}"
    assert grant_bi(warehouse, bi_role, "s3cret-bi")[0] == f"updated login role {bi_role}"

    marts = [
        row[0]
        for row in execute(
            warehouse,
            "select table_name from information_schema.tables where table_schema = 'marts'",
        )
    ]
    assert {"fct_prices_daily", "fct_data_quality", "dim_symbol"} <= set(marts)
    for mart in marts:
        (count,) = as_role(warehouse, bi_role, "s3cret-bi", f"select count(*) from marts.{mart}")[0]
        assert count == execute(warehouse, f"select count(*) from marts.{mart}")[0][0], mart

    denied = [
        "select * from raw_yahoo.prices_daily limit 1",
        "select * from raw_fred.observations limit 1",
        "select * from staging.stg_yahoo__prices_daily limit 1",
        "select * from intermediate.int_prices_quarantine limit 1",
        "insert into marts.dim_indicator (indicator_id) values ('X')",
        "update marts.fct_prices_daily set close = 0",
        "delete from marts.fct_prices_daily",
        "truncate marts.fct_prices_daily",
        "drop table marts.fct_prices_daily",
        "create table marts.bi_scratch (x int)",
        "create table public.bi_scratch (x int)",
        "create schema bi_scratch",
    ]
    for statement in denied:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            as_role(warehouse, bi_role, "s3cret-bi", statement)

    # dbt recreates mart tables on every build; the default privileges cover the new ones.
    assert dbt(warehouse, tmp, "run", "--select", "dim_indicator") == 0
    (count,) = as_role(warehouse, bi_role, "s3cret-bi", "select count(*) from marts.dim_indicator")[
        0
    ]
    assert count == 2


def test_grant_bi_cli_errors_are_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = [
        ({"WAREHOUSE": "postgres"}, "error: MARKETPULSE_BI_PASSWORD is not set"),
        (
            {
                "WAREHOUSE": "postgres",
                "MARKETPULSE_BI_PASSWORD": "x",
                "MARKETPULSE_BI_ROLE": "bi; drop",
            },
            "error: MARKETPULSE_BI_ROLE='bi; drop' is not a valid role name",
        ),
        (
            {"WAREHOUSE": "duckdb", "MARKETPULSE_BI_PASSWORD": "x"},
            "error: grant-bi needs WAREHOUSE=postgres",
        ),
    ]
    for env, message in cases:
        for name in ("MARKETPULSE_BI_ROLE", "MARKETPULSE_BI_PASSWORD"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("MARKETPULSE_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        assert main(["grant-bi"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(message) and err.count("\n") == 1, err


def test_grant_bi_refuses_duckdb() -> None:
    with pytest.raises(ConfigError, match="needs WAREHOUSE=postgres"):
        grant_bi(Warehouse.from_env({"WAREHOUSE": "duckdb"}), "marketpulse_bi", "x")


def test_pgsslmode_reaches_psycopg2_dlt_and_dbt(
    built_postgres: tuple[Warehouse, Path], tmp_path: Path
) -> None:
    """The test server has no TLS: sslmode=require must make every client refuse to connect,
    and sslmode=disable must work, so the setting demonstrably reaches each of them."""
    import dlt

    warehouse, _ = built_postgres
    env = {
        **os.environ,
        "WAREHOUSE": "postgres",
        "PGDATABASE": warehouse.pg["database"],
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    require = Warehouse.from_env({**env, "PGSSLMODE": "require"})
    with pytest.raises(psycopg2.OperationalError, match="server does not support SSL"):
        require.connect()
    assert execute(Warehouse.from_env({**env, "PGSSLMODE": "disable"}), "select 1") == [(1,)]

    pipeline = dlt.pipeline(
        pipeline_name=f"ssl_probe_{uuid.uuid4().hex[:6]}",
        destination=require.dlt_destination(),
        dataset_name="ssl_probe",
        pipelines_dir=str(tmp_path / "dlt"),
    )
    with pytest.raises(Exception, match="server does not support SSL"):
        pipeline.run([{"x": 1}], table_name="probe")

    debug = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "debug"],
        cwd=ROOT,
        env={**env, "PGSSLMODE": "require"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert debug.returncode != 0 and "server does not support SSL" in debug.stdout

    summary = subprocess.run(
        [sys.executable, "-m", "marketpulse", "summary"],
        cwd=ROOT,
        env={**env, "PGSSLMODE": "require"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert summary.returncode == 2 and "server does not support SSL" in summary.stderr


def test_grant_bi_sends_a_scram_verifier_never_the_password(throwaway_postgres, tmp_path):
    """On a server logging every statement (log_statement = all) and admitting only
    scram-sha-256: `marketpulse grant-bi` leaves no trace of the password in the log, the
    stored secret is the verifier it sent (4096 iterations), and the role logs in with the
    password over TLS, and not with another one."""
    cluster = throwaway_postgres
    database = f"grants_{uuid.uuid4().hex[:8]}"
    admin = Warehouse.from_env(cluster.env())
    with closing(admin.connect(read_only=False)) as connection:
        connection.autocommit = True
        connection.cursor().execute(f'create database "{database}"')
    role = f"bi_{uuid.uuid4().hex[:8]}"
    password = f"pw-{uuid.uuid4().hex}"
    before = len(cluster.log_text())
    result = subprocess.run(
        [sys.executable, "-m", "marketpulse", "grant-bi"],
        cwd=tmp_path,
        env={
            **os.environ,
            **cluster.env(PGDATABASE=database),
            "MARKETPULSE_BI_ROLE": role,
            "MARKETPULSE_BI_PASSWORD": password,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"created login role {role}"

    logged = cluster.log_text()[before:]
    assert f'create role "{role}" with login password' in logged  # the log does log statements
    assert password not in logged
    assert password not in result.stdout + result.stderr
    [(secret,)] = execute(admin, f"select rolpassword from pg_authid where rolname = '{role}'")
    assert re.fullmatch(
        r"SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+", secret
    )
    assert f"'{secret}'" in logged  # what was sent is the verifier the server stored

    as_bi = Warehouse.from_env(cluster.env(PGUSER=role, PGPASSWORD=password, PGDATABASE=database))
    assert execute(
        as_bi, "select current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()"
    ) == [(role, True)]
    assert f'identity="{role}" method=scram-sha-256' in cluster.log_text()
    wrong = Warehouse.from_env(cluster.env(PGUSER=role, PGPASSWORD="not-it", PGDATABASE=database))
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        wrong.connect()
