"""What failed in a dbt build, from dbt's own record of it (target/run_results.json, with the
manifest for the model each test is on), so an alert can name the test or model."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from marketpulse.build.dbt import PROJECT_DIR

FAILED_STATUSES = ("error", "fail", "runtime error")
# dbt's first line of an error only says where: "Runtime Error in model x (models/x.sql)".
WHERE = re.compile(r"^[A-Z][A-Za-z ]* Error in \w+ ")


@dataclass(frozen=True)
class NodeFailure:
    resource_type: str  # model, test, unit_test, seed, snapshot
    name: str
    on: str | None  # the model a test is on
    status: str  # error, fail
    message: str  # dbt's first line
    failures: int | None  # rows a failing test returned

    def label(self) -> str:
        resource_type = self.resource_type.replace("_", " ")
        return f"{resource_type} {self.name}" + (f" on {self.on}" if self.on else "")

    def line(self) -> str:
        rows = f", {self.failures:,} rows" if self.failures else ""
        message = f": {self.message}" if self.message else ""
        return f"{self.label()}: {self.status}{rows}{message}"


def target_dir() -> Path:
    """Where dbt writes its artifacts: DBT_TARGET_PATH (relative to the project) or target/."""
    return PROJECT_DIR / os.environ.get("DBT_TARGET_PATH", "target")


def failures(since: datetime, target: Path | None = None) -> list[NodeFailure] | None:
    """The failed nodes of the build that wrote run_results.json at or after `since`; None
    when there is no such file (dbt stopped before running anything)."""
    target = target or target_dir()
    results_path = target / "run_results.json"
    try:
        if results_path.stat().st_mtime < since.timestamp():
            return None  # an earlier build's
        results = json.loads(results_path.read_text())
    except (OSError, ValueError):
        return None
    try:
        nodes = json.loads((target / "manifest.json").read_text()).get("nodes", {})
    except (OSError, ValueError):
        nodes = {}
    found = []
    for result in results.get("results", []):
        status = str(result.get("status", ""))
        if status not in FAILED_STATUSES:
            continue
        unique_id = str(result.get("unique_id", ""))
        parts = unique_id.split(".")
        resource_type = parts[0] if parts else "node"
        if resource_type == "unit_test":  # unit_test.<project>.<model>.<test>
            name = ".".join(parts[2:4])
        else:  # model.<project>.<name>, test.<project>.<name>.<hash>
            name = parts[2] if len(parts) > 2 else unique_id
        attached = (nodes.get(unique_id) or {}).get("attached_node") or ""
        on = attached.split(".")[-1] if attached else None
        message = _cause(str(result.get("message") or ""))
        found.append(
            NodeFailure(
                resource_type=resource_type,
                name=name,
                on=on,
                status=status,
                message=message,
                failures=result.get("failures"),
            )
        )
    return found


def _cause(message: str) -> str:
    """The line of dbt's message that says what went wrong (the database's own error)."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if len(lines) > 1 and WHERE.match(lines[0]):
        return lines[1]
    return lines[0] if lines else ""
