"""The timed steps: dbt invocations (models and data tests apart) and the baselines, each a
child process measured by bench/process.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.process import run_process
from bench.warehouses import WarehouseBench
from marketpulse.build.dbt import dbt_env
from marketpulse.warehouse import Warehouse

# What one appended trading day changes: every model downstream of the raw tables the Yahoo
# daily pipeline writes, from staging to the marts.
REFRESH_SELECTION = (
    "source:yahoo.prices_daily+",
    "source:yahoo.corporate_actions+",
    "source:yahoo.symbols+",
)
INDICATOR_MODEL = "fct_technical_indicators"
RISK_MODEL = "fct_risk_metrics"


def dbt_step(
    bench: WarehouseBench, warehouse: Warehouse, target: Path, *args: str
) -> dict[str, Any]:
    """`dbt <args>` timed: wall seconds, the sum of dbt's own node times (run_results), the
    peak RSS of dbt's process tree, per-node seconds and the failures. Data-test failures are
    recorded, not raised: the bench measures, the test suite judges."""
    env = dbt_env(warehouse) | {
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target / "logs"),
    }
    executable = Path(sys.executable).with_name("dbt")
    results_file = target / "run_results.json"
    results_file.unlink(missing_ok=True)
    finished = run_process(
        [str(executable), "--quiet", "--no-use-colors", *args, *bench.dbt_args()],
        env,
        check=False,
    )
    results = json.loads(results_file.read_text())["results"] if results_file.exists() else []
    nodes = {r["unique_id"]: r for r in results}
    errors = [uid for uid, r in nodes.items() if r["status"] in ("error", "runtime error")]
    if finished.returncode != 0 and (errors or not results) and args[0] != "test":
        raise RuntimeError(f"dbt {' '.join(args)} failed:\n{finished.output[-3000:]}")
    return {
        "command": "dbt " + " ".join(args),
        "seconds": finished.seconds,
        "node_seconds": sum(r["execution_time"] for r in results),
        "peak_rss_mb": finished.peak_rss_mb,
        "nodes": len(results),
        "failures": sorted(
            uid.split(".")[2] for uid, r in nodes.items() if r["status"] in ("fail", "error")
        ),
        "models": {
            uid.split(".")[-1]: r["execution_time"]
            for uid, r in nodes.items()
            if uid.startswith("model.")
        },
    }


def baseline(bench: WarehouseBench, warehouse: Warehouse, method: str) -> dict[str, Any]:
    """A baseline's read + compute in its own process (bench/baseline.py)."""
    finished = run_process(
        [sys.executable, "-m", "bench.baseline", bench.name, method], dbt_env(warehouse)
    )
    return json.loads(finished.output.strip().splitlines()[-1]) | {
        "peak_rss_mb": finished.peak_rss_mb
    }
