"""How the sources hand rows to dlt: merge semantics, resume points, Arrow tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pandas as pd
import pyarrow as pa

# Merge on the natural key by deleting and re-inserting: works on DuckDB and Postgres alike
# (dlt's `upsert` strategy is Postgres-only).
MERGE = {"disposition": "merge", "strategy": "delete-insert"}


def resume_from(cursor: str | None, start_date: date, lag_days: int) -> date:
    """Where to fetch from: the start date for a new symbol, else the cursor minus the lag."""
    if cursor is None:
        return start_date
    return max(start_date, date.fromisoformat(cursor) - timedelta(days=lag_days))


def to_arrow(frame: pd.DataFrame, keys: Sequence[str]) -> pa.Table:
    """Arrow is what dlt loads fastest; marking the key columns non-null matches the hints.

    Timezone-aware columns are converted explicitly to UTC microseconds (pandas 3 deprecates
    the implicit path pyarrow would take).
    """
    aware = [c for c in frame.columns if isinstance(frame[c].dtype, pd.DatetimeTZDtype)]
    table = pa.Table.from_pandas(frame.drop(columns=aware), preserve_index=False)
    for column in aware:
        naive_utc = frame[column].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
        table = table.append_column(column, pa.array(naive_utc, type=pa.timestamp("us", tz="UTC")))
    fields = [field.with_nullable(False) if field.name in keys else field for field in table.schema]
    return table.cast(pa.schema(fields))
