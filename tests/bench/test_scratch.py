"""The bench's databases: names no other run can have, and it drops only what it created."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from bench.scratch import BenchError, Scratch, scratch
from bench.warehouses import DuckDBBench, PostgresBench, bench_for
from tests.conftest import _pg_connect


def test_names_are_unique_per_run_and_carry_prefix_pid_and_years() -> None:
    first, second = Scratch(), Scratch(prefix="nightly")
    assert re.fullmatch(rf"marketpulse_bench_{os.getpid()}_[0-9a-f]{{6}}_10y", first.name(10))
    assert re.fullmatch(rf"nightly_{os.getpid()}_[0-9a-f]{{6}}_2y", second.name(2))
    assert len({Scratch().run_id for _ in range(50)}) == 50


@pytest.mark.parametrize("prefix", ["", "Bench", "1bench", "bench-x", "a" * 41, 'x"; drop'])
def test_a_prefix_that_cannot_name_a_database_is_refused(prefix: str) -> None:
    with pytest.raises(BenchError, match="--prefix"):
        Scratch(prefix=prefix)


def test_an_unknown_warehouse_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match="unknown warehouse 'oracle'"):
        bench_for("oracle", tmp_path)


def test_duckdb_drops_its_own_file_and_never_a_foreign_one(tmp_path: Path) -> None:
    bench = DuckDBBench(tmp_path)
    with scratch("i16t") as run:
        foreign = tmp_path / f"{run.name(2)}.duckdb"
        foreign.write_text("someone else's warehouse")
        with pytest.raises(BenchError, match="exists"):
            bench.create(run, 2)  # the name is taken: refused, not reused
        warehouse = bench.create(run, 10)
        with closing(warehouse.connect(read_only=False)) as connection:
            connection.execute("create table t as select 1 as x")
        assert warehouse.duckdb_path.exists()
    assert not warehouse.duckdb_path.exists()
    assert foreign.read_text() == "someone else's warehouse"


def test_keep_keeps_what_the_run_created(tmp_path: Path) -> None:
    with scratch("i16t", keep=True) as run:
        warehouse = DuckDBBench(tmp_path).create(run, 1)
        with closing(warehouse.connect(read_only=False)):
            pass
    assert warehouse.duckdb_path.exists()


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_interrupted_run_still_drops_its_databases(tmp_path: Path, how: str) -> None:
    """Ctrl-C (SIGINT) and a polite kill (SIGTERM) both unwind through the cleanup."""
    script = f"""
import os, signal, sys, time
from contextlib import closing
from pathlib import Path
from bench.scratch import scratch
from bench.warehouses import DuckDBBench
with scratch("i16t") as run:
    warehouse = DuckDBBench(Path({str(tmp_path)!r})).create(run, 3)
    with closing(warehouse.connect(read_only=False)):
        pass
    print(warehouse.duckdb_path, flush=True)
    os.kill(os.getpid(), signal.{how})
    time.sleep(30)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode != 0
    path = Path(done.stdout.strip())
    assert path.name.endswith("_3y.duckdb"), done.stderr
    assert not path.exists()


def test_postgres_drops_its_database_and_never_a_foreign_one(postgres_admin_db: str) -> None:
    bench = PostgresBench(Path("unused"))
    with closing(_pg_connect(postgres_admin_db)) as admin:
        admin.autocommit = True
        cursor = admin.cursor()

        def databases() -> set[str]:
            cursor.execute("select datname from pg_database")
            return {row[0] for row in cursor.fetchall()}

        with scratch("marketpulse_test") as run:
            foreign = run.name(2)  # what this run would call its 2-year database
            cursor.execute(f'create database "{foreign}"')
            try:
                with pytest.raises(BenchError, match="exists"):
                    bench.create(run, 2)
                ours = bench.create(run, 10).pg["database"]
                assert ours in databases()
                run.cleanup()
                assert ours not in databases()
                assert foreign in databases()
            finally:
                cursor.execute(f'drop database if exists "{foreign}" with (force)')
