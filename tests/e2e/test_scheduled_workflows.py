"""The scheduled ETL workflows, run: every step of etl-daily.yml and etl-intraday.yml in a clean
checkout with a clean environment (only what the runner and the workflow set), against a
PostgreSQL server that wants TLS and a password (the workflows' PGSSLMODE=require), with the
bundled sample in place of the network (tests/e2e/sample_network.py). Issue 18 items 1, 2, 4.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from marketpulse.ingest import runner as ingest_runner
from marketpulse.live.market_hours import is_open
from tests.conftest import ROOT
from tests.github_actions import JobResult, Runner

if TYPE_CHECKING:
    from tests.throwaway_postgres import Cluster

WORKFLOWS = ROOT / ".github" / "workflows"


def checkout(target: Path) -> Path:
    """What actions/checkout gives: the repository's files (this working tree's, tracked or
    new, never ignored ones: no .venv, no data/, no dbt target), then a virtualenv as
    actions/setup-python + `make setup` would leave it, installed offline from uv's cache
    (the test needs no network; `make setup` then finds it up to date)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    venv = target / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    uv = Path(sys.executable).with_name("uv")
    subprocess.run(
        [
            str(uv),
            "pip",
            "install",
            "--quiet",
            "--offline",
            "--python",
            str(venv / "bin/python"),
            "-e",
            f"{target}[dev]",
        ],
        check=True,
        timeout=600,
    )
    (venv / ".installed").touch()  # the Makefile's stamp: newer than pyproject.toml
    purelib = subprocess.run(
        [str(venv / "bin/python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    shutil.copy2(Path(__file__).with_name("sample_network.py"), Path(purelib))
    (Path(purelib) / "sample_network.pth").write_text("import sample_network\n")
    return target


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runner")
    (root / "work").mkdir()
    return checkout(root / "work")


@pytest.fixture(scope="module")
def production(throwaway_postgres: Cluster) -> Iterator[dict[str, str]]:
    """The repository secrets: a login role of its own, with a password, owning a new
    database on a server that wants both (scram-sha-256, TLS)."""
    import psycopg2

    suffix = uuid.uuid4().hex[:8]
    user, database, password = f"etl_{suffix}", f"mp_workflows_{suffix}", uuid.uuid4().hex
    admin = psycopg2.connect(**_libpq(throwaway_postgres.env()))
    admin.autocommit = True
    with closing(admin), admin.cursor() as cursor:
        cursor.execute(f"create role {user} login password %s", (password,))
        cursor.execute(f"create database {database} owner {user}")
    yield {
        "PGHOST": throwaway_postgres.host,
        "PGPORT": str(throwaway_postgres.port),
        "PGUSER": user,
        "PGPASSWORD": password,
        "PGDATABASE": database,
    }
    admin = psycopg2.connect(**_libpq(throwaway_postgres.env()))
    admin.autocommit = True
    with closing(admin), admin.cursor() as cursor:
        cursor.execute(f"drop database if exists {database} with (force)")
        cursor.execute(f"drop role if exists {user}")


def _libpq(env: dict[str, str]) -> dict[str, str]:
    return {
        "host": env["PGHOST"],
        "port": env["PGPORT"],
        "user": env["PGUSER"],
        "password": env["PGPASSWORD"],
        "dbname": env["PGDATABASE"],
        "sslmode": env["PGSSLMODE"],
        "sslrootcert": env["PGSSLROOTCERT"],
    }


def runner_env(home: Path) -> dict[str, str]:
    """The hosted runner's own variables; setup-python puts its Python first on PATH."""
    python_bin = Path(sysconfig.get_config_var("BINDIR") or Path(sys.executable).parent)
    return {
        "PATH": f"{python_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "LANG": "C.UTF-8",
    }


def query(secrets: dict[str, str], sql: str) -> list[tuple]:
    import psycopg2

    connection = psycopg2.connect(
        **_libpq({**secrets, "PGSSLMODE": "require", "PGSSLROOTCERT": ""})
    )
    with closing(connection), connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


def assert_passed(result: JobResult, runner: Runner, expected_steps: list[str]) -> None:
    report = "\n".join(f"--- {s.name}: {s.outcome}\n{s.output[-4000:]}" for s in result.steps)
    assert not result.failed, report
    ran = [step.name for step in result.steps if step.outcome == "success"]
    assert ran == expected_steps, report
    failure_job = runner.workflow["jobs"]["report-failure"]
    assert not runner.condition(failure_job["if"], runner.context({}), result.failed)


def assert_masked(folder: Path, secrets: dict[str, str]) -> list[str]:
    """No file holds the password, the user, the database or host:port; JSON stays JSON."""
    names = sorted(path.name for path in folder.iterdir())
    forbidden = [
        secrets["PGHOST"],
        secrets["PGPASSWORD"],
        secrets["PGUSER"],
        secrets["PGDATABASE"],
        f"{secrets['PGHOST']}:{secrets['PGPORT']}",
        f"port {secrets['PGPORT']}",
    ]
    for path in folder.iterdir():
        text = path.read_text()
        for value in forbidden:
            assert value not in text, f"{value!r} in {path.name}"
        if path.suffix == ".json":
            json.loads(text)
    return names


@pytest.mark.usefixtures("runs_dbt")
def test_the_scheduled_workflows_pass_every_step(
    workspace: Path, production: dict[str, str], tmp_path: Path
) -> None:
    secrets = {**production, "FRED_API_KEY": ""}  # a secret that is not set is ""
    home = tmp_path / "home"
    home.mkdir()
    artifacts = tmp_path / "uploaded"

    # etl-daily as the scheduler starts it: the cron that is 06:00 in New York today.
    offset = datetime.now(UTC).astimezone(ZoneInfo("America/New_York")).strftime("%z")
    cron = {"-0400": "0 10 * * 1-5", "-0500": "0 11 * * 1-5"}[offset]
    daily = Runner(
        WORKFLOWS / "etl-daily.yml",
        workspace,
        "schedule",
        runner_env(home),
        secrets=secrets,
        event={"schedule": cron},
        artifacts_dir=artifacts,
    )
    result = daily.run("etl")
    assert_passed(
        result,
        daily,
        [
            "Is it 06:00 in New York?",
            "actions/checkout@34e114876b0b11c390a56381ad16ebd13914f8d5",
            "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065",
            "Install",
            "Ingest",
            "dbt build",
            "Mask the run report and the dbt artifacts",
            "Keep the dbt artifacts and the run report",
        ],
    )
    # Item 2: all sources, as documented, each one run recorded as a success; then the build.
    runs = query(secrets, "select source, status from raw_audit.pipeline_runs order by source")
    assert sorted(runs) == sorted(
        [(source, "success") for source in ingest_runner.ALL_SOURCES] + [("dbt", "success")]
    )
    for mart in (
        "fct_prices_daily",
        "fct_macro_observations",
        "fct_trends",
        "fct_news_sentiment",
        "fct_prices_intraday",
    ):
        ((rows,),) = query(secrets, f"select count(*) from marts.{mart}")
        assert rows > 0, mart
    # The build ran through `make build`: incremental, but a full rebuild on a Monday in New York.
    built = json.loads((artifacts / "etl-daily-4242" / "run_results.json").read_text())
    monday = datetime.now(ZoneInfo("America/New_York")).isoweekday() == 1
    assert built["args"].get("full_refresh", False) is monday
    # Item 4: dbt's files in the workspace name the database; the uploaded copies do not.
    manifest = (workspace / "dbt_project" / "target" / "manifest.json").read_text()
    assert f'"database": "{secrets["PGDATABASE"]}"' in manifest
    uploaded = assert_masked(artifacts / "etl-daily-4242", secrets)
    assert {"run-report.txt", "manifest.json", "run_results.json"} <= set(uploaded)
    masked = json.loads((artifacts / "etl-daily-4242" / "manifest.json").read_text())
    model = masked["nodes"]["model.marketpulse.fct_prices_daily"]
    assert (model["database"], model["schema"], model["package_name"]) == (
        "<database>",
        "marts",
        "marketpulse",
    )

    # etl-intraday started by hand (the market-open guard then lets it through at any hour).
    shutil.rmtree(artifacts)
    intraday = Runner(
        WORKFLOWS / "etl-intraday.yml",
        workspace,
        "workflow_dispatch",
        runner_env(home),
        secrets=secrets,
        artifacts_dir=artifacts,
    )
    result = intraday.run("etl")
    assert_passed(
        result,
        intraday,
        [
            "actions/checkout@34e114876b0b11c390a56381ad16ebd13914f8d5",
            "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065",
            "Install",
            "Was the NYSE open five minutes ago?",
            "Ingest",
            "dbt build",
            "Mask the run report and the dbt artifacts",
            "Keep the dbt artifacts and the run report",
        ],
    )
    built = json.loads((artifacts / "etl-intraday-4242" / "run_results.json").read_text())
    nodes = {result["unique_id"].split(".")[-1] for result in built["results"]}
    assert {"stg_yahoo__prices_intraday", "fct_prices_intraday", "fct_intraday_snapshot"} <= nodes
    assert "fct_prices_daily" not in nodes  # only the intraday models downstream
    assert all(result["status"] in ("success", "pass") for result in built["results"])
    assert_masked(artifacts / "etl-intraday-4242", secrets)
    runs = query(
        secrets,
        "select source, status from raw_audit.pipeline_runs where finished_at >"
        " (select max(finished_at) from raw_audit.pipeline_runs where source = 'news')"
        " order by finished_at",
    )
    assert runs[-2:] == [("intraday", "success"), ("dbt", "success")]
    assert os.environ.get("PGPASSWORD") != secrets["PGPASSWORD"]  # nothing leaked into ours

    # etl-intraday as the scheduler starts it: the exchange calendar decides (at whatever time
    # this test runs); every step it runs passes, and it runs the ingest exactly when the NYSE
    # was open five minutes before.
    shutil.rmtree(artifacts)
    before = is_open(datetime.now(UTC) - timedelta(minutes=5))
    scheduled = Runner(
        WORKFLOWS / "etl-intraday.yml",
        workspace,
        "schedule",
        runner_env(home),
        secrets=secrets,
        event={"schedule": "2,32 13-21 * * 1-5"},
        artifacts_dir=artifacts,
    )
    result = scheduled.run("etl")
    after = is_open(datetime.now(UTC) - timedelta(minutes=5))
    assert not result.failed, [(s.name, s.outcome, s.output[-2000:]) for s in result.steps]
    guard = result.step("Was the NYSE open five minutes ago?")
    if before == after:  # not straddling an open or a close
        assert result.step("Ingest").outcome == ("success" if before else "skipped")
        if not before:
            assert guard.output.strip().splitlines()[-1] == "market closed: nothing to do"
