"""How the sources hand rows to dlt: merge semantics, resume points, typed Arrow tables.

Arrow tables are dlt's fast path: they pass through extract and normalize as parquet (DuckDB,
the lake) or csv for Postgres' COPY, never as Python rows. Every table is cast to an explicit
schema derived from the resource's column hints, so a batch whose volumes are all missing, or
whose adj_close is absent, still has the types of every other batch
(docs/decisions/0021-load-fast-paths.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

# Merge on the natural key by deleting and re-inserting: works on DuckDB and Postgres alike
# (dlt's `upsert` strategy is Postgres-only). dlt dedupes the staging table on the key first.
MERGE = {"disposition": "merge", "strategy": "delete-insert"}
# The same merge for a table whose source yields each key at most once per run: dlt skips its
# `row_number()` pass over the staging table, the largest part of a large load's merge. A load
# job whose rows were committed when a run was killed, but which dlt had not yet marked done,
# is run again when the package is resumed, so the staging table may then hold its rows twice:
# `packages.run_pipeline` takes the mark off every resumed package and dlt dedupes it
# (docs/decisions/0028, 0036).
MERGE_UNIQUE = {**MERGE, "deduplicated": True}
# The file format of the large Arrow tables (the Yahoo daily prices and actions), whatever the
# warehouse's default: DuckDB reads parquet; Postgres loads it through the ADBC driver (binary
# COPY of Arrow batches), where its csv loader first spent longer formatting every value as
# text than COPY spent loading it. dlt falls back to the run's format where it has no parquet
# loader. Not for tables that may be loaded empty: dlt's ADBC job refuses an empty file
# (docs/decisions/0021).
BULK_FILE_FORMAT = "parquet"
# Every resource's contract: new tables may appear (a quarantine table on its first bad row),
# but a table's columns and their types are the declared ones. Rows are cast to the declared
# types before dlt sees them and bad values go to a quarantine table, so a violation is a bug
# in a source, and fails loudly instead of adding a variant column (`volume__v_double`).
SCHEMA_CONTRACT = {"tables": "evolve", "columns": "freeze", "data_type": "freeze"}
UTC_MICROS = pa.timestamp("us", tz="UTC")
ARROW_TYPES = {
    "text": pa.string(),
    "date": pa.date32(),
    "double": pa.float64(),
    "bigint": pa.int64(),
    "bool": pa.bool_(),
    "timestamp": UTC_MICROS,
}


def resume_from(cursor: str | None, start_date: date, lag_days: int) -> date:
    """Where to fetch from: the start date for a new symbol, else the cursor minus the lag."""
    if cursor is None:
        return start_date
    return max(start_date, date.fromisoformat(cursor) - timedelta(days=lag_days))


def arrow_schema(hints: Mapping[str, Mapping[str, Any]], keys: Sequence[str] = ()) -> pa.Schema:
    """The Arrow schema of a table from its dlt column hints; key columns are non-null."""
    return pa.schema(
        [
            pa.field(name, ARROW_TYPES[hint["data_type"]], nullable=name not in keys)
            for name, hint in hints.items()
        ]
    )


def to_arrow(
    frame: pd.DataFrame,
    keys: Sequence[str],
    hints: Mapping[str, Mapping[str, Any]] | None = None,
) -> pa.Table:
    """A pandas frame as an Arrow table, cast to the schema of `hints` when given.

    Timezone-aware columns are converted explicitly to UTC microseconds (pandas 3 deprecates
    the implicit path pyarrow would take).
    """
    aware = [c for c in frame.columns if isinstance(frame[c].dtype, pd.DatetimeTZDtype)]
    table = pa.Table.from_pandas(frame.drop(columns=aware), preserve_index=False)
    for column in aware:
        naive_utc = frame[column].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
        table = table.append_column(column, pa.array(naive_utc, type=UTC_MICROS))
    if hints is not None:
        schema = arrow_schema(hints, keys)
        return table.select(schema.names).cast(schema)
    fields = [field.with_nullable(False) if field.name in keys else field for field in table.schema]
    return table.cast(pa.schema(fields))


def numbers(values: pd.Series) -> np.ndarray:
    """float64 values; anything that is not a number (None, "n/a") becomes NaN."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype="float64", na_value=np.nan)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def nullable_floats(values: np.ndarray) -> pa.Array:
    """float64 values with NaN as NULL, as pandas hands NaN to a database."""
    return pa.array(values, type=pa.float64(), from_pandas=True)


def whole_numbers(values: pd.Series | np.ndarray) -> pa.Array:
    """Rounded int64 values, null where the value is missing (never a float column)."""
    floats = values if isinstance(values, np.ndarray) else numbers(values)
    missing = np.isnan(floats)
    return pa.array(np.where(missing, 0, np.round(floats)).astype("int64"), mask=missing)


def repeated(value: Any, count: int, type_: pa.DataType) -> pa.Array:
    """One value for every row (the symbol, the origin, the load time)."""
    return pa.repeat(pa.scalar(value, type=type_), count)


def local_dates(index: pd.DatetimeIndex) -> np.ndarray:
    """The calendar date of each tz-aware stamp in its own timezone, as datetime64[D]."""
    # numpy's cast to days floors, whatever unit pandas holds the stamps in
    return index.tz_localize(None).to_numpy().astype("datetime64[D]")


def utc_micros(stamp: datetime) -> pa.Scalar:
    return pa.scalar(stamp, type=UTC_MICROS)


def text_or_none(value: Any) -> str | None:
    """A metadata value as the text column it lands in: None and NaN are NULL, anything else
    its text (a number where Yahoo or FRED usually sends a name must not change the type)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None
