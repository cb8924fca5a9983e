"""One marketpulse writer at a time on a Postgres warehouse (issue 18 item 3, ADR 0032): an
ingest and a build started while another run holds the warehouse wait for it, say so in one
line, and then run; nothing overlaps. Real processes (`python -m marketpulse`) on a real server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from marketpulse.warehouse import Warehouse
from marketpulse.warehouse.postgres import WRITER_LOCK_KEY
from tests.conftest import ROOT

WAITING = "waiting: another ingest or build is writing to postgres "


def start(args: list[str], env: dict[str, str], log: Path) -> tuple[subprocess.Popen[str], Path]:
    out = log.with_suffix(".out")
    with out.open("w") as stdout, log.open("w") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-m", "marketpulse", *args],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=stdout,
            stderr=stderr,
            text=True,
        )
    return child, out


def wait_for(path: Path, text: str, child: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 300  # a bound on start-up under load, not a measurement
    while text not in path.read_text() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert text in path.read_text(), path.read_text()


@pytest.mark.usefixtures("runs_dbt")
def test_an_ingest_and_a_build_wait_for_the_run_in_progress(
    postgres_warehouse: Warehouse, tmp_path: Path
) -> None:
    env = {
        **postgres_warehouse.env(),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    holder = postgres_warehouse.connect(read_only=False)
    holder.autocommit = True
    with closing(holder):
        holder.cursor().execute("select pg_advisory_lock(%s)", (WRITER_LOCK_KEY,))
        ingest, _ = start(["ingest", "--sample", "--sources", "fred"], env, tmp_path / "ingest.log")
        wait_for(tmp_path / "ingest.log", WAITING, ingest)
        assert ingest.poll() is None  # waiting, not finished
        build, _ = start(
            ["build", "--select", "stg_fred__observations"], env, tmp_path / "build.log"
        )
        wait_for(tmp_path / "build.log", WAITING, build)
        assert build.poll() is None and ingest.poll() is None
        with closing(postgres_warehouse.connect()) as reader:
            cursor = reader.cursor()
            cursor.execute("select count(*) from pg_namespace where nspname = 'raw_fred'")
            assert cursor.fetchone() == (0,)  # the ingest has written nothing
        released_at = datetime.now(UTC)
        holder.cursor().execute("select pg_advisory_unlock(%s)", (WRITER_LOCK_KEY,))
    assert ingest.wait(timeout=600) == 0, (tmp_path / "ingest.log").read_text()
    assert build.wait(timeout=600) == 0, (tmp_path / "build.log").read_text()
    for name in ("ingest", "build"):
        lines = (tmp_path / f"{name}.log").read_text().splitlines()
        waiting = [line for line in lines if line.startswith("waiting:")]
        assert waiting == [
            f"{WAITING}{postgres_warehouse.pg['username']}@{postgres_warehouse.pg['host']}:"
            f"{postgres_warehouse.pg['port']}/{postgres_warehouse.pg['database']}; "
            "this one starts when it has finished"
        ]
    with closing(postgres_warehouse.connect()) as reader:
        cursor = reader.cursor()
        cursor.execute(
            "select source, status, started_at, finished_at from raw_audit.pipeline_runs"
            " order by started_at"
        )
        runs = cursor.fetchall()
    assert [(source, status) for source, status, _, _ in runs] in (
        [("fred", "success"), ("dbt", "success")],
        [("dbt", "success"), ("fred", "success")],
    )
    # Both started after the release, and one after the other: never at the same time.
    (_, _, first_start, first_end), (_, _, second_start, _) = runs
    assert first_start >= released_at
    assert second_start >= first_end
