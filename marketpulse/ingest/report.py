"""What one ingest run did, per source: the basis of the summary and the exit code."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO


@dataclass
class SourceReport:
    source: str
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows extracted
    loaded: list[str] = field(default_factory=list)  # symbols / series loaded
    failed: dict[str, str] = field(default_factory=dict)  # symbol / series -> one-line reason
    fatal: str | None = None  # the whole source failed (no network, warehouse down, ...)
    # Not a failure: the run was refused before it fetched anything, because the warehouse
    # holds data of another origin (sample vs live, ADR 0003). Not audited, not alerted.
    refused: str | None = None
    started_at: datetime | None = None  # UTC, for the run audit
    finished_at: datetime | None = None
    notes: list[str] = field(default_factory=list)  # not failures: rows rejected, columns ignored
    # (raw table, reason code) -> rows set aside in a quarantine table, for the run audit
    quarantined: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.fatal is None and self.refused is None and not self.failed

    def fail(self, item: str, error: Exception, what: str = "", secondary: bool = False) -> str:
        """Record why `item` failed; a secondary failure (metadata) never hides the main one."""
        reason = what + str(error).removeprefix(f"{item}: ")  # our errors start with the item
        if secondary:
            return self.failed.setdefault(item, reason)
        self.failed[item] = reason
        return reason

    def add_rows(self, table: str, count: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + count

    def quarantine(self, table: str, reason: str, count: int) -> None:
        """Count rows put into quarantine `table` for `reason` (a code, e.g. duplicate_bar)."""
        key = (table, reason)
        self.quarantined[key] = self.quarantined.get(key, 0) + count


def interactive(stream: TextIO) -> bool:
    """A person watching a terminal; not a CI log (CI=true) or a file or pipe."""
    is_tty = getattr(stream, "isatty", lambda: False)()
    return bool(is_tty) and os.environ.get("CI", "").strip().lower() != "true"


class Progress:
    """One line per symbol or series as it lands, and dlt's load progress every few seconds,
    so a long run shows where it is; only on a terminal, so CI logs and pipes stay short
    (retries and the summary are printed either way)."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stdout
        self.quiet = quiet or not interactive(self.stream)

    def dlt_collector(self) -> Any:
        """dlt's progress for a pipeline's extract, normalize and load steps, or none."""
        import dlt

        if self.quiet:
            return None
        return dlt.progress.log(log_period=5.0, logger=self.stream, dump_system_stats=False)

    def __call__(self, source: str, item: str, message: str) -> None:
        if not self.quiet:
            print(f"  {source:<6} {item:<10} {message}", file=self.stream, flush=True)


def summary_lines(reports: list[SourceReport]) -> list[str]:
    lines = []
    for report in reports:
        if report.fatal:
            lines.append(f"{report.source}: FAILED: {report.fatal}")
            continue
        if report.refused:
            lines.append(f"{report.source}: REFUSED: {report.refused}")
            continue
        tables = ", ".join(f"{table} {count:,}" for table, count in sorted(report.rows.items()))
        status = "ok" if report.ok else f"{len(report.failed)} failed"
        lines.append(
            f"{report.source}: {status}; {len(report.loaded)} loaded; rows: {tables or 'none'}"
        )
        for item, reason in sorted(report.failed.items()):
            lines.append(f"{report.source}: {item}: {reason}")
    return lines


# The exit codes of a run (docs/decisions/0029-partial-runs-build-what-loaded.md); a run
# refused because the warehouse holds data of another origin is a settings error (ADR 0003).
LOADED, NOTHING_LOADED, REFUSED = 0, 1, 2


def loaded_anything(report: SourceReport) -> bool:
    return report.fatal is None and bool(report.loaded or any(report.rows.values()))


def exit_code(reports: list[SourceReport], strict: bool = False) -> int:
    """0 when everything loaded, or some of it did (a partial run: the failures are in the
    audit and the alerts; `make ingest && make build` builds what loaded); 1 when nothing
    loaded, or anything failed with `strict`; 2 when a source was refused (wrong warehouse)."""
    if any(report.refused for report in reports):
        return REFUSED
    if all(report.ok for report in reports):
        return LOADED
    if strict or not any(loaded_anything(report) for report in reports):
        return NOTHING_LOADED
    return LOADED


def partial_line(reports: list[SourceReport]) -> str | None:
    """The one line a partial run ends with (on stderr), or None when nothing failed."""
    failed = [report for report in reports if not report.ok and not report.refused]
    if not failed:
        return None
    parts = []
    for report in failed:
        if report.fatal:
            parts.append(f"{report.source} failed")
        else:
            items = sorted(report.failed)
            shown = ", ".join(items[:5]) + (f" and {len(items) - 5} more" if len(items) > 5 else "")
            parts.append(f"{report.source} {shown}")
    return (
        f"partial run: not refreshed: {'; '.join(parts)} (recorded in "
        "raw_audit.pipeline_run_failures); exit 0 so a build uses what loaded; "
        "--strict (make ingest STRICT=1) makes any failure exit 1"
    )


def refused_line(reports: list[SourceReport]) -> str | None:
    """The one line a refused run ends with (on stderr), or None."""
    refused = [report for report in reports if report.refused]
    if not refused:
        return None
    names = ", ".join(report.source for report in refused)
    reason = str(refused[0].refused)
    return f"refused ({names}), nothing written and no run recorded: {reason}"
