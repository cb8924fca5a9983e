"""Running dbt on the same warehouse the ingest wrote to."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from marketpulse.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[2]
PROJECT_DIR = ROOT / "dbt_project"


def dbt_env(warehouse: Warehouse) -> dict[str, str]:
    """The environment dbt reads in profiles.yml, pointing at `warehouse`."""
    return {
        **os.environ,
        **warehouse.env(),
        "DBT_PROJECT_DIR": str(PROJECT_DIR),
        "DBT_PROFILES_DIR": str(ROOT),
    }


def run_dbt(warehouse: Warehouse, *args: str, quiet: bool = False) -> int:
    """`dbt <args>` from this environment; returns dbt's exit code. Quiet: dbt's output is
    kept back, and on a failure its summary (what failed and why) goes to stderr."""
    executable = Path(sys.executable).with_name("dbt")
    command = [str(executable) if executable.exists() else "dbt", *args]
    result = subprocess.run(
        command,
        env=dbt_env(warehouse),
        cwd=ROOT,
        stdout=subprocess.PIPE if quiet else None,
        text=True,
        check=False,
    )
    if quiet and result.returncode != 0:
        sys.stderr.write(failure_summary(result.stdout or ""))
    return result.returncode


def failure_summary(output: str, tail: int = 40) -> str:
    """dbt's output from its last "Completed with" line (the errors it lists), else its last
    `tail` lines."""
    lines = output.splitlines(keepends=True)
    starts = [n for n, line in enumerate(lines) if "Completed with" in line]
    return "".join(lines[starts[-1] :] if starts else lines[-tail:])


def failed_nodes(target: Path) -> str:
    """One line per node that failed or errored in `target`'s run_results.json (the last dbt
    invocation that wrote there): its id and the first line of its message."""
    path = target / "run_results.json"
    if not path.exists():
        return f"no {path}"
    results = json.loads(path.read_text())["results"]
    failed = [r for r in results if r.get("status") in {"error", "fail"}]
    lines = [f"{r['unique_id']}: {first_line(r.get('message'))}" for r in failed]
    return "; ".join(lines) or f"no failed node in {path} (a failure before any node ran?)"


def first_line(message: str | None) -> str:
    lines = (message or "").strip().splitlines()
    return lines[0] if lines else "(no message)"
