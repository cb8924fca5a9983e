"""The run audit: what every ingest run and build did, written into the warehouse itself.

Three small tables in the `raw_audit` schema, written with parameterised SQL (values are
always bound parameters; the statements are constants), not through dlt: an audit row must be
written even when a source's dlt pipeline failed, and it is one INSERT, not a data load.

- `pipeline_runs`: one row per run and source (the dbt build is source `dbt`).
- `pipeline_run_tables`: rows loaded per run, source and raw table.
- `pipeline_run_failures`: one row per symbol / series that failed (or was skipped).
- `pipeline_run_quarantine`: rows set aside per run, source, quarantine table and reason code
  (e.g. `duplicate_bar`): kept in the raw quarantine tables, never loaded as data.

dbt exposes them as `marts.fct_pipeline_runs`, `fct_pipeline_loads` and
`fct_pipeline_failures` (docs/decisions/0009-run-audit-health-alerts.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from marketpulse.ingest.report import SourceReport
from marketpulse.warehouse import RawTable, Warehouse

SCHEMA = "raw_audit"
STATUSES = ("success", "partial", "failed")


def _tables() -> dict[str, RawTable]:
    """The audit tables: DDL for SQL warehouses, the same columns as parquet for the lake."""
    import pyarrow as pa

    text, utc = pa.string(), pa.timestamp("us", tz="UTC")
    return {
        "pipeline_runs": RawTable(
            SCHEMA,
            "pipeline_runs",
            """create table if not exists raw_audit.pipeline_runs (
                run_id text not null,
                source text not null,
                started_at timestamp with time zone not null,
                finished_at timestamp with time zone not null,
                status text not null,
                error text,
                items_loaded integer not null,
                items_failed integer not null,
                rows_loaded bigint not null,
                data_origin text not null
            )""",
            pa.schema(
                [
                    pa.field("run_id", text, nullable=False),
                    pa.field("source", text, nullable=False),
                    pa.field("started_at", utc, nullable=False),
                    pa.field("finished_at", utc, nullable=False),
                    pa.field("status", text, nullable=False),
                    pa.field("error", text),
                    pa.field("items_loaded", pa.int32(), nullable=False),
                    pa.field("items_failed", pa.int32(), nullable=False),
                    pa.field("rows_loaded", pa.int64(), nullable=False),
                    pa.field("data_origin", text, nullable=False),
                ]
            ),
        ),
        "pipeline_run_tables": RawTable(
            SCHEMA,
            "pipeline_run_tables",
            """create table if not exists raw_audit.pipeline_run_tables (
                run_id text not null,
                source text not null,
                table_name text not null,
                rows_loaded bigint not null
            )""",
            pa.schema(
                [
                    pa.field("run_id", text, nullable=False),
                    pa.field("source", text, nullable=False),
                    pa.field("table_name", text, nullable=False),
                    pa.field("rows_loaded", pa.int64(), nullable=False),
                ]
            ),
        ),
        "pipeline_run_failures": RawTable(
            SCHEMA,
            "pipeline_run_failures",
            """create table if not exists raw_audit.pipeline_run_failures (
                run_id text not null,
                source text not null,
                item text not null,
                reason text not null,
                finished_at timestamp with time zone not null
            )""",
            pa.schema(
                [
                    pa.field("run_id", text, nullable=False),
                    pa.field("source", text, nullable=False),
                    pa.field("item", text, nullable=False),
                    pa.field("reason", text, nullable=False),
                    pa.field("finished_at", utc, nullable=False),
                ]
            ),
        ),
        "pipeline_run_quarantine": RawTable(
            SCHEMA,
            "pipeline_run_quarantine",
            """create table if not exists raw_audit.pipeline_run_quarantine (
                run_id text not null,
                source text not null,
                table_name text not null,
                reason text not null,
                rows_quarantined bigint not null
            )""",
            pa.schema(
                [
                    pa.field("run_id", text, nullable=False),
                    pa.field("source", text, nullable=False),
                    pa.field("table_name", text, nullable=False),
                    pa.field("reason", text, nullable=False),
                    pa.field("rows_quarantined", pa.int64(), nullable=False),
                ]
            ),
        ),
    }


def new_run_id(now: datetime | None = None) -> str:
    """Sortable and unique: `20261122T004512Z-1a2b3c4d`."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def status_of(report: SourceReport) -> str:
    if report.fatal:
        return "failed"
    return "partial" if report.failed else "success"


def ensure_tables(warehouse: Warehouse) -> None:
    """Create raw_audit and its tables if missing (so dbt finds them even before a run)."""
    warehouse.ensure_tables(list(_tables().values()))


def record(
    warehouse: Warehouse, run_id: str, reports: Iterable[SourceReport], data_origin: str
) -> None:
    """Write one run's audit rows in one transaction."""
    reports = list(reports)
    now = datetime.now(UTC)
    runs: list[tuple[Any, ...]] = []
    tables_loaded: list[tuple[Any, ...]] = []
    failures: list[tuple[Any, ...]] = []
    quarantined: list[tuple[Any, ...]] = []
    for report in reports:
        started = report.started_at or now
        finished = report.finished_at or now
        runs.append(
            (
                run_id,
                report.source,
                started,
                finished,
                status_of(report),
                report.fatal,
                len(report.loaded),
                len(report.failed),
                sum(report.rows.values()),
                data_origin,
            )
        )
        tables_loaded += [(run_id, report.source, t, n) for t, n in sorted(report.rows.items())]
        failures += [
            (run_id, report.source, item, reason, finished)
            for item, reason in sorted(report.failed.items())
        ]
        quarantined += [
            (run_id, report.source, table, reason, count)
            for (table, reason), count in sorted(report.quarantined.items())
        ]
    tables = _tables()
    warehouse.append_rows(
        [
            (tables["pipeline_runs"], runs),
            (tables["pipeline_run_tables"], tables_loaded),
            (tables["pipeline_run_failures"], failures),
            (tables["pipeline_run_quarantine"], quarantined),
        ]
    )


def dbt_report(
    command: str, exit_code: int, started_at: datetime, finished_at: datetime
) -> SourceReport:
    """A dbt build as a pseudo-source, so the audit and the alerts treat it like any run."""
    report = SourceReport("dbt")
    report.started_at, report.finished_at = started_at, finished_at
    if exit_code != 0:
        report.fatal = f"dbt {command} failed (exit code {exit_code}); see dbt's output and logs"
    else:
        report.loaded.append(command)
    return report
