"""`marketpulse artifacts`: files uploaded by CI name no server and no credential (issue 18
item 4). The real CLI's own failure lines against a server that wants a password and TLS, and
dbt-shaped JSON where the database is named like the project and the user like the adapter."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from marketpulse.ops.artifacts import copy_masked, masker
from tests.conftest import cli

if TYPE_CHECKING:
    from tests.throwaway_postgres import Cluster


@pytest.fixture
def role(throwaway_postgres: Cluster) -> Iterator[tuple[str, str]]:
    import psycopg2

    env = throwaway_postgres.env()
    user, password = f"artifacts_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    settings = {"host": env["PGHOST"], "port": env["PGPORT"], "user": env["PGUSER"]}
    settings |= {"password": env["PGPASSWORD"], "dbname": "postgres", "sslmode": "require"}
    admin = psycopg2.connect(**settings)
    admin.autocommit = True
    with closing(admin), admin.cursor() as cursor:
        cursor.execute(f"create role {user} login password %s", (password,))
    yield user, password
    admin = psycopg2.connect(**settings)
    admin.autocommit = True
    with closing(admin), admin.cursor() as cursor:
        cursor.execute(f"drop role {user}")


def test_the_run_report_of_failed_connections_is_masked(
    throwaway_postgres: Cluster, role: tuple[str, str], tmp_path: Path
) -> None:
    user, password = role
    database = f"nosuchdb_{uuid.uuid4().hex[:6]}"
    base = throwaway_postgres.env(PGUSER=user, PGDATABASE=database, PGSSLMODE="require")
    base.pop("PGSSLROOTCERT")
    wrong_password = cli(
        "ingest", "--sample", "--sources", "yahoo", env={**base, "PGPASSWORD": "x" * 12}
    )
    no_database = cli(
        "ingest", "--sample", "--sources", "yahoo", env={**base, "PGPASSWORD": password}
    )
    report = tmp_path / "run-report.txt"
    report.write_text(wrong_password.stderr + no_database.stderr)
    text = report.read_text()
    server = f"{user}@{base['PGHOST']}:{base['PGPORT']}/{database}"
    assert f"cannot connect to postgres {server}" in text  # what CI would have uploaded
    assert f'user "{user}"' in text and f'database "{database}"' in text

    out = tmp_path / "upload"
    result = cli(
        "artifacts",
        "--out",
        str(out),
        str(report),
        str(tmp_path / "absent.json"),
        env={**base, "PGPASSWORD": password},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"artifacts: {out}/: run-report.txt (server and credentials masked)"
    )
    masked = (out / "run-report.txt").read_text()
    for value in (user, database, password, base["PGHOST"], base["PGPORT"]):
        assert value not in masked, value
    assert "cannot connect to postgres <user>@<host>:<port>/<database>" in masked
    assert 'user "<user>"' in masked and 'database "<database>"' in masked
    assert len(masked.splitlines()) == len(text.splitlines())


def test_dbt_json_keeps_the_project_and_adapter_names(tmp_path: Path) -> None:
    """Database `marketpulse` (the dbt project's name) and user `postgres` (the adapter's):
    only the fields and relation names that mean the server are masked."""
    ids = {"host": "db.internal.example", "port": "6543", "user": "postgres"}
    ids |= {"database": "marketpulse", "password": "s3cret-pw"}
    manifest = {
        "metadata": {"adapter_type": "postgres", "project_name": "marketpulse"},
        "nodes": {
            "model.marketpulse.fct_prices_daily": {
                "database": "marketpulse",
                "schema": "marts",
                "package_name": "marketpulse",
                "relation_name": '"marketpulse"."marts"."fct_prices_daily"',
                "compiled_code": 'select * from "marketpulse"."staging"."stg_yahoo__prices"',
            }
        },
        "message": 'connection to server at "db.internal.example" (10.0.0.5), port 6543 failed: '
        'FATAL: password authentication failed for user "postgres"',
    }
    source = tmp_path / "manifest.json"
    source.write_text(json.dumps(manifest))
    (written,) = copy_masked([source], tmp_path / "out", ids)
    masked = json.loads(written.read_text())
    node = masked["nodes"]["model.marketpulse.fct_prices_daily"]
    assert masked["metadata"] == {"adapter_type": "postgres", "project_name": "marketpulse"}
    assert node == {
        "database": "<database>",
        "schema": "marts",
        "package_name": "marketpulse",
        "relation_name": '"<database>"."marts"."fct_prices_daily"',
        "compiled_code": 'select * from "<database>"."staging"."stg_yahoo__prices"',
    }
    assert masked["message"] == (
        'connection to server at "<host>" (10.0.0.5), port <port> failed: '
        'FATAL: password authentication failed for user "<user>"'
    )
    assert masker(ids)("postgres postgres@db.internal.example:6543/marketpulse pw s3cret-pw") == (
        "postgres <user>@<host>:<port>/<database> pw <password>"
    )
    assert masker({})("nothing to mask: duckdb file data/x.duckdb") == (
        "nothing to mask: duckdb file data/x.duckdb"
    )
