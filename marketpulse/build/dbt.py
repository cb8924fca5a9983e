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
    env = dict(os.environ)
    env.update(
        {
            "WAREHOUSE": warehouse.kind,
            "MARKETPULSE_DUCKDB_PATH": str(warehouse.duckdb_path),
            "MARKETPULSE_LAKE_URL": warehouse.lake_url,
            "MARKETPULSE_SPARK_DIR": str(warehouse.spark_dir),
            "DBT_PROJECT_DIR": str(PROJECT_DIR),
            "DBT_PROFILES_DIR": str(ROOT),
        }
    )
    if warehouse.kind == "postgres":
        pg = warehouse.pg
        env.update(
            {
                "PGHOST": pg["host"],
                "PGPORT": pg["port"],
                "PGUSER": pg["username"],
                "PGDATABASE": pg["database"],
                "PGSSLMODE": pg["sslmode"],
            }
        )
        if pg["password"]:
            env["PGPASSWORD"] = pg["password"]
    return env


def run_dbt(warehouse: Warehouse, *args: str, quiet: bool = False) -> int:
    """`dbt <args>` from this environment; returns dbt's exit code."""
    executable = Path(sys.executable).with_name("dbt")
    command = [str(executable) if executable.exists() else "dbt", *args]
    output = subprocess.DEVNULL if quiet else None
    return subprocess.run(
        command, env=dbt_env(warehouse), cwd=ROOT, stdout=output, check=False
    ).returncode
