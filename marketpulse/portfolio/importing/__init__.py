"""Portfolio holdings files -> raw_portfolio (docs/decisions/0013-portfolios.md).

Three tables: `holdings` merged per snapshot (delete-insert on the merge key portfolio_id,
as_of_date: re-importing a snapshot replaces it whole), `imports` (one row per import,
keyed by the sha256 of its canonical valid rows, which makes re-imports idempotent) and
`rejected_holdings` (appended: what `--skip-invalid` left out, and why).
Reading and validating live in formats.py and validate.py; importing.py drives a run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from marketpulse.ingest.loading import MERGE
from marketpulse.portfolio.importing import settings
from marketpulse.portfolio.importing.validate import Holding, Rejection

_TIMESTAMP = pa.timestamp("us", tz="UTC")
HOLDINGS_SCHEMA = pa.schema(
    [
        pa.field("portfolio_id", pa.string(), nullable=False),
        pa.field("portfolio_name", pa.string(), nullable=False),
        pa.field("as_of_date", pa.date32(), nullable=False),
        pa.field("symbol", pa.string(), nullable=False),
        pa.field("quantity", pa.float64()),
        pa.field("target_weight", pa.float64()),
        pa.field("cost_basis", pa.float64()),
        pa.field("base_currency", pa.string(), nullable=False),
        pa.field("line_number", pa.int64(), nullable=False),
        pa.field("import_id", pa.string(), nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("_loaded_at", _TIMESTAMP),
    ]
)
IMPORTS_SCHEMA = pa.schema(
    [
        pa.field("import_id", pa.string(), nullable=False),
        pa.field("source_file", pa.string()),
        pa.field("file_format", pa.string()),
        pa.field("file_sha256", pa.string()),
        pa.field("portfolio_ids", pa.string()),
        pa.field("rows_imported", pa.int64()),
        pa.field("rows_rejected", pa.int64()),
        pa.field("imported_at", _TIMESTAMP),
    ]
)
REJECTED_SCHEMA = pa.schema(
    [
        pa.field("import_id", pa.string()),
        pa.field("line_number", pa.int64()),
        pa.field("field", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("raw_record", pa.string()),
        pa.field("_loaded_at", _TIMESTAMP),
    ]
)


def portfolio_resources(
    holdings: Sequence[Holding],
    rejected: Sequence[Rejection],
    import_row: dict[str, object],
    source_file: str,
    loaded_at: datetime,
) -> list[DltResource]:
    """The resources of one import. Arrow tables, so an empty rejected table is still created
    (staging models can rely on all three tables existing after the first import)."""
    import_id = str(import_row["import_id"])
    holdings_table = pa.Table.from_pylist(
        [
            {
                "portfolio_id": h.portfolio_id,
                "portfolio_name": h.portfolio_name,
                "as_of_date": h.as_of_date,
                "symbol": h.symbol,
                "quantity": h.quantity,
                "target_weight": h.target_weight,
                "cost_basis": h.cost_basis,
                "base_currency": h.base_currency,
                "line_number": h.line_number,
                "import_id": import_id,
                "source_file": source_file,
                "_loaded_at": loaded_at,
            }
            for h in holdings
        ],
        schema=HOLDINGS_SCHEMA,
    )
    rejected_table = pa.Table.from_pylist(
        [
            {
                "import_id": import_id,
                "line_number": r.record.line,
                "field": r.field,
                "reason": r.reason,
                "raw_record": r.raw_record(),
                "_loaded_at": loaded_at,
            }
            for r in rejected
        ],
        schema=REJECTED_SCHEMA,
    )
    imports_table = pa.Table.from_pylist([import_row], schema=IMPORTS_SCHEMA)
    return [
        dlt.resource(
            [holdings_table],
            name=settings.HOLDINGS_TABLE,
            write_disposition=MERGE,
            primary_key=settings.HOLDINGS_KEY,
            merge_key=settings.SNAPSHOT_KEY,
            columns=settings.HOLDINGS_HINTS,
        ),
        dlt.resource(
            [imports_table],
            name=settings.IMPORTS_TABLE,
            write_disposition=MERGE,
            primary_key="import_id",
            columns=settings.IMPORTS_HINTS,
        ),
        dlt.resource(
            [rejected_table],
            name=settings.REJECTED_TABLE,
            write_disposition="append",
            columns=settings.REJECTED_HINTS,
        ),
    ]
