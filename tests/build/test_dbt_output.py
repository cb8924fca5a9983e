"""marketpulse.build.dbt.run_dbt with quiet=True keeps dbt's output back, but not when dbt
fails: its summary goes to stderr, so a quiet build that fails (a bench step, a test's build)
says why. failed_nodes names the failed nodes from run_results.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from marketpulse.build.dbt import failed_nodes, failure_summary, run_dbt
from marketpulse.warehouse import Warehouse


@pytest.mark.usefixtures("runs_dbt")
def test_a_quiet_dbt_failure_prints_why(
    duckdb_warehouse: Warehouse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    wrong = ("--vars", "{calendar_start: not-a-date}")
    assert run_dbt(duckdb_warehouse, "run", "--select", "dim_date", *wrong, quiet=True) == 2
    out, err = capfd.readouterr()
    assert out == ""
    assert "Compilation Error in model dim_date" in err
    assert "time data 'not-a-date' does not match format '%Y-%m-%d'" in err


def test_the_summary_starts_at_dbts_completed_line() -> None:
    output = "".join(
        [
            "15:54:20  1 of 2 START sql table model marts.a ....... [RUN]\n",
            "15:54:21  1 of 2 ERROR creating sql table model marts.a .. [ERROR in 0.1s]\n",
            "15:54:21  \n",
            "15:54:21  Completed with 1 error, 0 partial successes, and 0 warnings:\n",
            "15:54:21  Runtime Error in model a (models/a.sql)\n",
            "15:54:21  Done. PASS=1 WARN=0 ERROR=1 SKIP=0 NO-OP=0 TOTAL=2\n",
        ]
    )
    assert (
        failure_summary(output)
        .splitlines()[0]
        .endswith("Completed with 1 error, 0 partial successes, and 0 warnings:")
    )
    assert len(failure_summary(output).splitlines()) == 3
    assert failure_summary("a\nb\nc\n", tail=2) == "b\nc\n"


def test_failed_nodes_names_each_failure(tmp_path: Path) -> None:
    results = [
        {"unique_id": "model.marketpulse.a", "status": "success", "message": "OK"},
        {"unique_id": "model.marketpulse.b", "status": "error", "message": "Runtime Error\n  boom"},
        {"unique_id": "test.marketpulse.c", "status": "fail", "message": "Got 3 results"},
    ]
    (tmp_path / "run_results.json").write_text(json.dumps({"results": results}))
    assert failed_nodes(tmp_path) == (
        "model.marketpulse.b: Runtime Error; test.marketpulse.c: Got 3 results"
    )
    assert failed_nodes(tmp_path / "none") == f"no {tmp_path / 'none' / 'run_results.json'}"
