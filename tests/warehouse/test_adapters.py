"""The warehouse adapters on real DuckDB files and a real PostgreSQL database: `:name`
parameters bound (never formatted into the SQL), read-only sessions that refuse to write,
and a reader that waits for another process's write lock to go."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from marketpulse.warehouse import (
    ConfigError,
    DuckDBWarehouse,
    LakeWarehouse,
    PostgresWarehouse,
    Warehouse,
)

TRICKY = "x' or 1=1 --"


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    if request.param == "duckdb":
        return request.getfixturevalue("duckdb_warehouse")
    return request.getfixturevalue("postgres_warehouse")


def _seed(warehouse: Warehouse) -> None:
    with warehouse.session(read_only=False) as session:
        session.execute("create table quotes (symbol text, note text, trading_date date)")
        session.executemany(
            "insert into quotes values (:symbol, :note, :day)",
            [
                {"symbol": "AAPL", "note": "a:b", "day": date(2024, 1, 2)},
                {"symbol": TRICKY, "note": "100%", "day": date(2024, 1, 3)},
                {"symbol": "SPY", "note": None, "day": date(2024, 1, 4)},
            ],
        )


def test_from_env_picks_the_adapter_with_its_own_settings(tmp_path: Path) -> None:
    duck = Warehouse.from_env({"MARKETPULSE_DUCKDB_PATH": str(tmp_path / "w.duckdb")})
    assert isinstance(duck, DuckDBWarehouse)
    assert duck.duckdb_path == tmp_path / "w.duckdb"
    assert duck.env() == {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(duck.duckdb_path)}
    pg = Warehouse.from_env({"WAREHOUSE": "Postgres", "PGDATABASE": "db", "PGPASSWORD": "s3"})
    assert isinstance(pg, PostgresWarehouse)
    assert pg.dbt_target == "postgres"
    assert "s3" not in pg.describe() and pg.env()["PGPASSWORD"] == "s3"
    assert not hasattr(pg, "duckdb_path")
    lake = Warehouse.from_env({"WAREHOUSE": "spark", "MARKETPULSE_LAKE_URL": "s3://b/lake"})
    assert isinstance(lake, LakeWarehouse) and lake.loader_file_format() == "parquet"
    assert lake.lake_url == "s3://b/lake" and not hasattr(lake, "pg")
    with pytest.raises(ConfigError, match="WAREHOUSE='oracle' is not supported"):
        Warehouse.from_env({"WAREHOUSE": "oracle"})


def test_placeholders_become_the_drivers_style_outside_literals(tmp_path: Path) -> None:
    sql = (
        "select 1 from t where s in :symbols and d between :start and :end"
        " and x = 'a:b' and y::date = :start and z like '10%'"
    )
    params = {"symbols": ["A", "B"], "start": 1, "end": 2}
    duck = Warehouse.from_env({"MARKETPULSE_DUCKDB_PATH": str(tmp_path / "w.duckdb")})
    assert duck.bind(sql, params) == (
        "select 1 from t where s in (?, ?) and d between ? and ? and x = 'a:b'"
        " and y::date = ? and z like '10%'",
        ("A", "B", 1, 2, 1),
    )
    pg = Warehouse.from_env({"WAREHOUSE": "postgres"})
    assert pg.bind(sql, params) == (
        "select 1 from t where s in (%s, %s) and d between %s and %s and x = 'a:b'"
        " and y::date = %s and z like '10%%'",
        ("A", "B", 1, 2, 1),
    )
    with pytest.raises(KeyError, match=":end"):
        duck.bind("select :start, :end", {"start": 1})


def test_values_are_bound_not_spliced(warehouse: Warehouse) -> None:
    _seed(warehouse)
    frame = warehouse.query(
        "select symbol, note from quotes where symbol in :symbols and note <> ':symbols'"
        " order by symbol",
        {"symbols": [TRICKY, "SPY", "MSFT"]},
    )
    assert frame["symbol"].tolist() == [TRICKY]  # SPY's note is null: `<>` drops it
    literal = warehouse.query(
        "select count(*) as n from quotes where note = 'a:b' or note like '%\\%' escape '\\'"
    )
    assert literal["n"].tolist() == [2]
    with warehouse.session() as session:
        rows = session.records(
            "select symbol, trading_date from quotes where trading_date > :day order by 2",
            {"day": date(2024, 1, 2)},
        )
    assert rows == [
        {"symbol": TRICKY, "trading_date": date(2024, 1, 3)},
        {"symbol": "SPY", "trading_date": date(2024, 1, 4)},
    ]
    assert warehouse.query("select 1 as one where 1 in :empty", {"empty": []}).empty


def test_a_read_only_session_refuses_to_write(warehouse: Warehouse) -> None:
    _seed(warehouse)
    with pytest.raises(Exception, match=r"(?i)read.only"), warehouse.session() as session:
        session.execute("insert into quotes values ('MSFT', null, null)")
    assert warehouse.query("select count(*) as n from quotes")["n"].tolist() == [3]


def test_a_failed_write_session_leaves_nothing(warehouse: Warehouse) -> None:
    _seed(warehouse)
    with pytest.raises(ZeroDivisionError), warehouse.session(read_only=False) as session:
        session.execute("delete from quotes")
        raise ZeroDivisionError
    assert warehouse.query("select count(*) as n from quotes")["n"].tolist() == [3]


def _hold_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True);"
            f" time.sleep({seconds})",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None and writer.stdout.readline().strip() == "locked"
    return writer


def test_a_reader_waits_for_another_process_to_release_the_file(
    duckdb_warehouse: DuckDBWarehouse,
) -> None:
    duckdb_warehouse.execute("create table t as select 42 as answer")
    writer = _hold_lock(duckdb_warehouse.duckdb_path, 1.5)
    started = time.monotonic()
    try:
        frame = duckdb_warehouse.query("select answer from t")
    finally:
        writer.wait(timeout=30)
    assert frame["answer"].tolist() == [42]
    assert time.monotonic() - started > 0.5  # it did have to wait


def test_a_writer_fails_fast_on_a_held_lock_and_says_so(
    duckdb_warehouse: DuckDBWarehouse,
) -> None:
    duckdb_warehouse.execute("create table t as select 1 as x")
    writer = _hold_lock(duckdb_warehouse.duckdb_path, 30)
    try:
        with pytest.raises(Exception) as caught:
            duckdb_warehouse.connect(read_only=False)
        assert duckdb_warehouse.is_lock_error(caught.value)
        assert duckdb_warehouse.is_unreachable(caught.value)
    finally:
        writer.kill()
        writer.wait(timeout=30)
    assert not duckdb_warehouse.is_lock_error(ValueError("lock"))
