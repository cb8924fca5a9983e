"""pandas rows -> Arrow tables whose schema agrees with the dlt hints (keys are not null)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pyarrow as pa


def to_arrow(frame: pd.DataFrame, keys: Sequence[str]) -> pa.Table:
    """Arrow is what dlt loads fastest; marking the key columns non-null matches the hints."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = [field.with_nullable(False) if field.name in keys else field for field in table.schema]
    return table.cast(pa.schema(fields))
