"""Counting what the Yahoo sources set aside: per reason code for the run audit
(raw_audit.pipeline_run_quarantine), and one note per kind for the run's summary."""

from __future__ import annotations

import pandas as pd

from marketpulse.ingest.report import SourceReport
from marketpulse.sources.yahoo.duplicates import DUPLICATE_BAR

# Audit reason code of a bar with a value that is not a number, or no date (its reason text
# in the quarantine table names the columns).
INVALID_BAR = "invalid_bar"


def count_rejected(report: SourceReport, symbol: str, reasons: pd.Series, table: str) -> None:
    duplicates = int((reasons == DUPLICATE_BAR).sum())
    invalid = reasons[reasons != DUPLICATE_BAR]
    if len(invalid):
        report.quarantine(table, INVALID_BAR, len(invalid))
        report.notes.append(
            f"{symbol}: {len(invalid)} bar(s) rejected into raw_yahoo.{table} ({invalid.iloc[0]})"
        )
    if duplicates:
        report.quarantine(table, DUPLICATE_BAR, duplicates)
        report.notes.append(
            f"{symbol}: {duplicates} duplicate bar(s) quarantined into raw_yahoo.{table}"
            f" ({DUPLICATE_BAR})"
        )
