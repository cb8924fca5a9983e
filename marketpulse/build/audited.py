"""`dbt build` with a record: the build lands in the run audit, and a failure alerts."""

from __future__ import annotations

from datetime import UTC, datetime

from marketpulse.build.dbt import run_dbt
from marketpulse.errors import one_line
from marketpulse.ops import audit
from marketpulse.ops.alerts import conditions
from marketpulse.ops.alerts.config import QUALITY_THRESHOLD
from marketpulse.ops.alerts.dispatch import alert
from marketpulse.warehouse import Warehouse


def build(warehouse: Warehouse, *dbt_args: str, run_id: str | None = None) -> int:
    """dbt build; audit row (source `dbt`); alerts on failure, and on low quality after it."""
    started = datetime.now(UTC)
    code = run_dbt(warehouse, "build", *dbt_args)
    report = audit.dbt_report("build", code, started, datetime.now(UTC))
    try:
        audit.record(warehouse, run_id or audit.new_run_id(), [report], "n/a")
    except Exception as exc:  # the audit must never hide the build's own result
        print(f"warning: could not write the run audit: {one_line(exc)}")
    alerts = conditions.build_failed("build", code)
    if code == 0:
        alerts += conditions.low_quality(conditions.quality_rows(warehouse), QUALITY_THRESHOLD)
    alert(warehouse, alerts)
    return code
