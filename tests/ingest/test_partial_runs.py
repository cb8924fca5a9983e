"""The partial-run contract (issue 17, item 6; ADR 0029): a run where some items failed and
others loaded exits 0, so `ingest && build` builds what loaded, and the failures are in the
audit, the alert and health; a run where nothing loaded exits 1; `--strict` makes any failure
exit 1. Through the real CLI, the sample replay client answering "unknown symbol" for ZZZZ."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from marketpulse.warehouse import Warehouse
from tests.conftest import ROOT
from tests.fake_servers import FakeHttp

PARTIAL = (
    "warning: partial run: not refreshed: yahoo ZZZZ (recorded in "
    "raw_audit.pipeline_run_failures); exit 0 so a build uses what loaded; "
    "--strict (make ingest STRICT=1) makes any failure exit 1"
)


def shell(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def marketpulse(*args: str) -> str:
    return shlex.join([sys.executable, "-m", "marketpulse", *args])


def query(warehouse: Warehouse, sql: str) -> list[tuple[object, ...]]:
    with closing(warehouse.connect(read_only=True)) as connection:
        return [tuple(row) for row in connection.execute(sql).fetchall()]


@pytest.mark.usefixtures("runs_dbt")
def test_partial_run_exits_0_builds_what_loaded_and_records_alerts_and_marks_the_failures(
    tmp_path: Path,
) -> None:
    slack = FakeHttp().start()
    env = {
        "WAREHOUSE": "duckdb",
        "MARKETPULSE_DUCKDB_PATH": str(tmp_path / "wh.duckdb"),
        "ALERTS__SLACK_WEBHOOK_URL": f"{slack.url}/slack/hook",
        "ALERTS__STATE_PATH": str(tmp_path / "alerts.json"),
    }
    ingest = marketpulse("ingest", "--sample", "--sources", "yahoo", "--symbols", "AAPL,ZZZZ")
    build = marketpulse("build", "--select", "+stg_yahoo__prices_daily")
    try:
        chained = shell(f"{ingest} && {build}", env)
    finally:
        slack.stop()
    assert chained.returncode == 0, chained.stderr
    assert chained.stderr.splitlines() == [PARTIAL]
    assert "yahoo: 1 failed; 1 loaded; rows: " in chained.stdout
    assert "yahoo: ZZZZ: unknown or delisted symbol at Yahoo" in chained.stdout
    assert "Completed successfully" in chained.stdout  # the build ran on what loaded
    warehouse = Warehouse.from_env(env)
    assert query(warehouse, "select distinct symbol from staging.stg_yahoo__prices_daily") == [
        ("AAPL",)
    ]
    assert query(
        warehouse,
        "select source, status, items_loaded, items_failed from raw_audit.pipeline_runs"
        " where source = 'yahoo'",
    ) == [("yahoo", "partial", 1, 1)]
    assert query(warehouse, "select source, item from raw_audit.pipeline_run_failures") == [
        ("yahoo", "ZZZZ")
    ]
    assert [r.body["text"] for r in slack.requests] == [
        ":rotating_light: *marketpulse: yahoo: 1 item(s) failed: ZZZZ*\n"
        "ZZZZ: unknown or delisted symbol at Yahoo"
    ]
    health = shell(marketpulse("health"), env)
    run_line = next(line for line in health.stdout.splitlines() if line.startswith("run yahoo"))
    assert run_line.split()[2] == "warning"
    assert " partial: not refreshed: ZZZZ; last success never" in run_line
    # the dashboard marks what the latest run could not refresh (its header needs the macro mart)
    fred = shell(marketpulse("ingest", "--sample", "--sources", "fred"), env)
    assert fred.returncode == 0, fred.stderr
    marts = ("dim_symbol", "fct_prices_daily", "fct_macro_observations", "fct_pipeline_runs")
    marts += ("fct_pipeline_failures", "fct_pipeline_loads")
    selected = ("--indirect-selection", "cautious", "--select", *(f"+{mart}" for mart in marts))
    ops = shell(marketpulse("build", *selected), env)
    assert ops.returncode == 0, ops.stdout[-2000:]
    assert stale_warnings(env) == [
        "Stale: not refreshed by the latest ingest run: yahoo ZZZZ. `make health` says why."
    ]


def stale_warnings(env: dict[str, str]) -> list[str]:
    """The overview's warnings, rendered by Streamlit's AppTest on this warehouse."""
    from streamlit.testing.v1 import AppTest

    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        app = AppTest.from_file(
            str(ROOT / "marketpulse" / "dashboard" / "app.py"), default_timeout=120
        )
        app.query_params["view"] = "overview"
        app.run()
        assert not app.exception, [e.value for e in app.exception]
        return [w.value for w in app.warning if w.value.startswith("Stale:")]
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("--symbols", "ZZZZ"), "error: nothing loaded; nothing to build from this run"),
        (
            ("--symbols", "AAPL,ZZZZ", "--strict"),
            "error: --strict: a failure is fatal; nothing to build from this run",
        ),
    ],
)
def test_nothing_loaded_or_strict_exits_1_and_nothing_is_built(
    tmp_path: Path, args: tuple[str, ...], error: str
) -> None:
    env = {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(tmp_path / "wh.duckdb")}
    ingest = marketpulse("ingest", "--sample", "--sources", "yahoo", *args)
    result = shell(f"{ingest} && echo BUILT", env)
    assert result.returncode == 1
    assert "BUILT" not in result.stdout
    assert result.stderr.splitlines()[-1] == error
