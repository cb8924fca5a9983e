"""`dbt build` with a record: the build lands in the run audit, and a failure alerts.

Two failures a user can cause end in one line, exit 2, instead of dbt's or a driver's
traceback: a warehouse that cannot be written (another process holds the DuckDB file, the
server is down) is found before dbt starts, and marts that cannot be read after a green build
(a mart over a vanished file, a table the role may not read) are reported as such.
"""

from __future__ import annotations

from datetime import UTC, datetime

from marketpulse.build import results
from marketpulse.build.dbt import run_dbt
from marketpulse.errors import one_line
from marketpulse.ingest.runner import announce_wait, check_warehouse
from marketpulse.ops import audit
from marketpulse.ops.alerts import conditions
from marketpulse.ops.alerts.config import QUALITY_THRESHOLD
from marketpulse.ops.alerts.dispatch import alert
from marketpulse.warehouse import Warehouse


class MartsUnreadableError(Exception):
    """dbt built, but reading the marts afterwards failed."""


def build(warehouse: Warehouse, *dbt_args: str, run_id: str | None = None) -> int:
    """dbt build; audit row (source `dbt`); alerts on failure, and on low quality after it.

    Raises WarehouseUnreachableError before dbt starts when the warehouse cannot be written,
    MartsUnreadableError when the marts cannot be read after the build (the CLI: one line,
    exit 2)."""
    check_warehouse(warehouse)
    with warehouse.writer_lock(announce_wait):  # one writer at a time (ADR 0032)
        started = datetime.now(UTC)
        code = run_dbt(warehouse, "build", *dbt_args)
        report = audit.dbt_report("build", code, started, datetime.now(UTC))
        try:
            audit.record(warehouse, run_id or audit.new_run_id(), [report], "n/a")
        except Exception as exc:  # the audit must never hide the build's own result
            print(f"warning: could not write the run audit: {one_line(exc)}")
    alerts = conditions.build_failed("build", code, results.failures(started) if code else None)
    if code == 0:
        try:
            rows = conditions.quality_rows(warehouse)
        except Exception as exc:  # duckdb / psycopg2 errors: a mart that cannot be read
            raise MartsUnreadableError(
                f"dbt build passed, but the marts in {warehouse.describe()} cannot be read: "
                f"{one_line(exc)}"
            ) from None
        alerts += conditions.low_quality(rows, QUALITY_THRESHOLD)
    alert(warehouse, alerts)
    return code
