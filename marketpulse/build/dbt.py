"""Running dbt on the same warehouse the ingest wrote to."""

from __future__ import annotations

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
    """`dbt <args>` from this environment; returns dbt's exit code."""
    executable = Path(sys.executable).with_name("dbt")
    command = [str(executable) if executable.exists() else "dbt", *args]
    output = subprocess.DEVNULL if quiet else None
    return subprocess.run(
        command, env=dbt_env(warehouse), cwd=ROOT, stdout=output, check=False
    ).returncode
