"""A server that checks who connects: wrong passwords and TLS, against the throwaway cluster
(tests/throwaway_postgres.py: scram-sha-256 only, a certificate signed by a test CA).

Every command runs as a user runs it (`python -m marketpulse ...`, the PG* variables). A
refused connection is one line on stderr saying what to change, exit 2, no traceback, and
nothing written: no schema in the database, no dlt state on disk.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import psycopg2
import pytest

from marketpulse.build.dbt import dbt_env
from marketpulse.warehouse import Warehouse
from tests.conftest import ROOT, cli
from tests.sample_warehouses import execute
from tests.throwaway_postgres import Cluster

pytestmark = pytest.mark.postgres

HOLDINGS = (
    "portfolio_name,symbol,quantity,target_weight,cost_basis,as_of_date,base_currency\n"
    "P,AAPL,5,,,2014-06-05,USD\n"
)
USER_SCHEMAS = (
    "select schema_name from information_schema.schemata where left(schema_name, 3) <> 'pg_'"
    " and schema_name not in ('information_schema', 'public') order by 1"
)


@pytest.fixture
def database(throwaway_postgres: Cluster) -> Iterator[str]:
    """A fresh database on the throwaway cluster, dropped afterwards."""
    name = f"auth_{uuid.uuid4().hex[:8]}"
    admin = Warehouse.from_env(throwaway_postgres.env())
    with closing(admin.connect(read_only=False)) as connection:
        connection.autocommit = True
        connection.cursor().execute(f'create database "{name}"')
    yield name
    with closing(admin.connect(read_only=False)) as connection:
        connection.autocommit = True
        connection.cursor().execute(f'drop database if exists "{name}" with (force)')


COMMANDS = {
    "import-portfolio": ("import-portfolio", "{tmp}/holdings.csv"),
    "ingest": ("ingest", "--sample", "--sources", "fred"),
    "query": ("query", "select 1"),
    "build": ("build",),
    "summary": ("summary",),
    "export": ("export", "--portfolio", "p", "--out", "{tmp}/out"),
}
PREFIX = {
    "import-portfolio": "error: cannot connect to",
    "ingest": "error: cannot connect to",
    "query": "error: query failed on",
    "build": "error: cannot connect to",
    "summary": "error: cannot connect to",
    "export": "error: cannot connect to",
}


def args(command: str, tmp: Path) -> list[str]:
    return [arg.format(tmp=tmp) for arg in COMMANDS[command]]


def dlt_state(cluster: Cluster, database: str) -> Path:
    """The local dlt folder a load into `database` would create (PostgresWarehouse)."""
    return ROOT / "data" / ".dlt" / f"postgres-127.0.0.1-{cluster.port}-{database}"


@pytest.mark.parametrize("command", list(COMMANDS))
def test_wrong_password_is_one_line_exit_2_and_writes_nothing(
    throwaway_postgres: Cluster, database: str, tmp_path: Path, command: str
) -> None:
    cluster = throwaway_postgres
    (tmp_path / "holdings.csv").write_text(HOLDINGS)
    result = cli(*args(command, tmp_path), env=cluster.env(PGDATABASE=database, PGPASSWORD="wrong"))
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(PREFIX[command])
    assert lines[0].endswith(
        'password authentication failed for user "postgres"; check PGUSER and PGPASSWORD'
    ), lines[0]
    assert f"postgres@127.0.0.1:{cluster.port}/{database}" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert "wrong" not in result.stderr  # the password is never printed
    assert execute(Warehouse.from_env(cluster.env(PGDATABASE=database)), USER_SCHEMAS) == []
    assert not dlt_state(cluster, database).exists()
    assert not (tmp_path / "out").exists()


def test_verify_full_with_the_right_ca_reaches_psycopg2_dlt_and_dbt(
    throwaway_postgres: Cluster, database: str, tmp_path: Path
) -> None:
    """PGSSLMODE=verify-full + PGSSLROOTCERT: a query runs over TLS, dlt loads FRED's sample
    over it, and dbt's connection check passes."""
    env = throwaway_postgres.env(PGDATABASE=database)
    query = cli("query", "select ssl from pg_stat_ssl where pid = pg_backend_pid()", env=env)
    assert query.returncode == 0, query.stderr
    assert query.stdout.split() == ["ssl", "True"]
    ingest = cli("ingest", "--sample", "--sources", "fred", env=env)
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr
    warehouse = Warehouse.from_env(env)
    assert dlt_state(throwaway_postgres, database).exists()
    shutil.rmtree(dlt_state(throwaway_postgres, database))
    [(observations,)] = execute(warehouse, "select count(*) from raw_fred.observations")
    assert observations > 1000
    for rootcert, connects in ((throwaway_postgres.ca, True), (throwaway_postgres.wrong_ca, False)):
        debug = subprocess.run(
            [str(Path(sys.executable).with_name("dbt")), "--no-use-colors", "debug"],
            cwd=ROOT,
            env={
                **dbt_env(warehouse),
                "PGSSLROOTCERT": str(rootcert),
                "DBT_TARGET_PATH": str(tmp_path / "target"),
                "DBT_LOG_PATH": str(tmp_path / "logs"),
            },
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert (debug.returncode == 0) is connects, debug.stdout[-2000:]
        assert ("Connection test: [OK connection ok]" in debug.stdout) is connects
        assert ("certificate verify failed" in debug.stdout) is not connects


@pytest.mark.parametrize("command", ["query", "ingest"])
def test_verify_full_with_a_wrong_ca_refuses_in_one_line(
    throwaway_postgres: Cluster, database: str, tmp_path: Path, command: str
) -> None:
    cluster = throwaway_postgres
    env = cluster.env(PGDATABASE=database, PGSSLROOTCERT=str(cluster.wrong_ca))
    result = cli(*args(command, tmp_path), env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].endswith(
        "SSL error: certificate verify failed; the server's TLS certificate is not signed by "
        f"the CA in PGSSLROOTCERT ({cluster.wrong_ca}); point PGSSLROOTCERT at the CA that "
        "signed it"
    ), lines[0]
    assert execute(Warehouse.from_env(cluster.env(PGDATABASE=database)), USER_SCHEMAS) == []
    assert not dlt_state(cluster, database).exists()


def test_the_warehouse_passes_pgsslrootcert_itself(throwaway_postgres: Cluster) -> None:
    """Settings given to Warehouse.from_env (not in os.environ) reach the driver: the right
    CA connects, the wrong one is refused, a missing one says which variable to set."""
    cluster = throwaway_postgres
    assert "PGSSLROOTCERT" not in os.environ
    assert execute(Warehouse.from_env(cluster.env()), "select 1") == [(1,)]
    wrong = Warehouse.from_env(cluster.env(PGSSLROOTCERT=str(cluster.wrong_ca)))
    with pytest.raises(psycopg2.OperationalError, match="certificate verify failed; the server"):
        wrong.connect()
    missing = Warehouse.from_env(cluster.env(PGSSLROOTCERT=str(cluster.directory / "none.crt")))
    with pytest.raises(psycopg2.OperationalError, match="set PGSSLROOTCERT to the CA certificate"):
        missing.connect()
