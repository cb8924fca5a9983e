"""pandas rows -> Arrow tables whose schema agrees with the dlt hints (keys are not null)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pyarrow as pa


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
