"""`marketpulse reset` empties only the project's own data; the hints name the same warehouse."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import duckdb
import pytest

from marketpulse import cli
from marketpulse.warehouse import Warehouse, hints

PROJECT = ("raw_yahoo", "raw_yahoo_staging", "raw_audit", "staging", "marts", "seeds")


def _use(monkeypatch: pytest.MonkeyPatch, warehouse: Warehouse) -> None:
    """Point the CLI's Warehouse.from_env() at `warehouse`."""
    monkeypatch.setattr(Warehouse, "from_env", classmethod(lambda cls, env=None: warehouse))


def _schemas(warehouse: Warehouse) -> set[str]:
    with closing(warehouse.connect()) as connection:
        cursor = connection.cursor()
        cursor.execute("select nspname from pg_catalog.pg_namespace")
        return {row[0] for row in cursor.fetchall()}


def test_reset_on_postgres_drops_the_project_schemas_and_nothing_else(
    postgres_warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    with closing(postgres_warehouse.connect(read_only=False)) as connection:
        cursor = connection.cursor()
        for schema in (*PROJECT, "keep_me"):
            cursor.execute(f"create schema {schema}")
        cursor.execute("create table marts.fct_x as select 1 as id")
        cursor.execute("create table keep_me.t as select 1 as id")
        cursor.execute("create table public.mine as select 1 as id")
        connection.commit()
    _use(monkeypatch, postgres_warehouse)

    assert cli.main(["reset"]) == 0  # without --yes: a list, nothing dropped
    listed = capsys.readouterr().out
    assert "would remove" in listed and "schema marts in database" in listed
    assert set(PROJECT) <= _schemas(postgres_warehouse)

    assert cli.main(["reset", "--yes"]) == 0
    left = _schemas(postgres_warehouse)
    assert not set(PROJECT) & left
    assert {"keep_me", "public"} <= left
    assert cli.main(["query", "select count(*) as n from keep_me.t"]) == 0
    assert cli.main(["query", "select count(*) as n from public.mine"]) == 0
    assert cli.main(["reset", "--yes"]) == 0  # again: nothing to do, still fine
    assert "nothing to reset" in capsys.readouterr().out.splitlines()[-1]


def test_reset_on_duckdb_deletes_the_file_and_its_dlt_state_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = Warehouse.from_env(
        {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(tmp_path / "wh.duckdb")}
    )
    duckdb.connect(str(warehouse.duckdb_path)).close()
    warehouse.pipelines_dir().mkdir(parents=True)
    (tmp_path / "other.duckdb").write_text("not ours")
    _use(monkeypatch, warehouse)
    assert cli.main(["reset"]) == 0
    assert warehouse.duckdb_path.exists()
    assert cli.main(["reset", "--yes"]) == 0
    assert not warehouse.duckdb_path.exists() and not warehouse.pipelines_dir().exists()
    assert (tmp_path / "other.duckdb").read_text() == "not ours"


def test_query_prints_rows_and_fails_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    warehouse = Warehouse.from_env({"MARKETPULSE_DUCKDB_PATH": str(tmp_path / "wh.duckdb")})
    with closing(duckdb.connect(str(warehouse.duckdb_path))) as connection:
        connection.execute("create schema marts; create table marts.t as select 41 + 1 as answer")
    _use(monkeypatch, warehouse)
    assert cli.main(["query", "select answer from marts.t"]) == 0
    assert capsys.readouterr().out.split() == ["answer", "42"]
    assert cli.main(["query", "select * from marts.missing"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: query failed on duckdb file") and err.count("\n") == 1


def test_hints_after_a_postgres_run_name_postgres_and_never_the_password() -> None:
    warehouse = Warehouse.from_env(
        {"WAREHOUSE": "postgres", "PGDATABASE": "mp", "PGPORT": "5433", "PGPASSWORD": "s3cret"}
    )
    lines = hints.next_steps(warehouse)
    assert lines[0].startswith("WAREHOUSE=postgres PGPORT=5433 PGDATABASE=mp make build ")
    assert lines[2].startswith(
        "WAREHOUSE=postgres PGPORT=5433 PGDATABASE=mp make reset YES=1 && "
        "WAREHOUSE=postgres PGPORT=5433 PGDATABASE=mp make ingest "
    )
    assert not any("s3cret" in line or "duckdb" in line or "clean" in line for line in lines)


def test_hints_on_the_default_warehouse_are_the_plain_targets() -> None:
    warehouse = Warehouse.from_env(
        {"MARKETPULSE_DUCKDB_PATH": str(hints.ROOT / "data" / "marketpulse.duckdb")}
    )
    assert hints.next_steps(warehouse)[0].startswith("make build ")
    assert hints.reset(warehouse) == "make reset YES=1"
    spark = Warehouse.from_env({"WAREHOUSE": "spark", "MARKETPULSE_LAKE_URL": "s3://b/lake"})
    assert hints.make(spark, "build").startswith(
        "WAREHOUSE=spark MARKETPULSE_LAKE_URL=s3://b/lake "
    )
