"""The Spark warehouse's lake side, without a JVM: dlt's filesystem destination lands every load
as new parquet files (an append-only log: plain parquet has no merge), each row carries its
`_dlt_load_id`, and dlt's own schema in the lake keeps the primary key the on-run-start hook
(macros/register_raw_tables.sql) keeps the latest load by. That the registered view then keeps
exactly the latest load per key is shown on Spark itself: tests/e2e/test_spark.py.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path

import pandas as pd

from bench.universe import load_yahoo
from marketpulse.warehouse import Warehouse
from marketpulse.warehouse.lake import lake_tables
from tests.sample_warehouses import query


def prices(days: list[tuple[date, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": "SYN0000",
            "trading_date": [day for day, _ in days],
            "open": [close for _, close in days],
            "high": [close + 1 for _, close in days],
            "low": [close - 1 for _, close in days],
            "close": [close for _, close in days],
            "adj_close": [close for _, close in days],
            "volume": 1000,
        }
    )


NO_ACTIONS = pd.DataFrame(columns=["symbol", "ex_date", "action_type", "value"])
FIRST = [(date(2018, 12, 24), 10.0), (date(2018, 12, 26), 11.0), (date(2018, 12, 27), 12.0)]
# The second load corrects the 27th and adds the 28th.
SECOND = [(date(2018, 12, 27), 12.5), (date(2018, 12, 28), 13.0)]


def two_loads(tmp_path: Path) -> Warehouse:
    warehouse = Warehouse.from_env(
        {
            "WAREHOUSE": "spark",
            "MARKETPULSE_LAKE_URL": str(tmp_path / "lake"),
            "MARKETPULSE_SPARK_DIR": str(tmp_path / "spark"),
        }
    )
    load_yahoo(warehouse, prices(FIRST), NO_ACTIONS)
    load_yahoo(warehouse, prices(SECOND), NO_ACTIONS)
    return warehouse


def test_every_load_is_appended_with_its_load_id(tmp_path: Path) -> None:
    warehouse = two_loads(tmp_path)
    folder = tmp_path / "lake" / "raw_yahoo" / "prices_daily"
    assert lake_tables(warehouse)[("raw_yahoo", "prices_daily")] == str(folder)
    assert len(list(folder.glob("*.parquet"))) == 2  # one file per load, never rewritten
    rows = query(
        warehouse,
        "select trading_date, close, _dlt_load_id from raw_yahoo.prices_daily"
        " order by _dlt_load_id, trading_date",
    )
    # Python reads the files (marketpulse.warehouse.lake): the log holds both versions of the 27th.
    assert [(day, close) for day, close, _ in rows] == FIRST + SECOND
    first_load, second_load = sorted({load_id for _, _, load_id in rows})
    assert [load_id for _, _, load_id in rows] == [first_load] * 3 + [second_load] * 2


def test_the_lake_keeps_the_merge_key_the_hook_reads(tmp_path: Path) -> None:
    two_loads(tmp_path)
    versions = tmp_path / "lake" / "raw_yahoo" / "_dlt_version"
    schemas = [
        json.loads(line)
        for path in versions.iterdir()
        for line in path.read_text().split("\n")
        if line
    ]
    latest = max(schemas, key=lambda row: row["version"])
    table = json.loads(latest["schema"])["tables"]["prices_daily"]
    assert table["write_disposition"] == "merge"
    keys = [name for name, column in table["columns"].items() if column.get("primary_key")]
    assert keys == ["symbol", "trading_date"]


def test_tables_on_an_object_store_are_read_where_the_settings_say() -> None:
    """The lake and Spark's warehouse as object-store URLs (fsspec's in-memory store stands in
    for s3://: the same code path, no network): the Python side reads a mart and a raw table
    from there, never from a local folder, and skips what a table build leaves beside a mart."""
    import fsspec
    import pyarrow as pa
    import pyarrow.parquet as pq

    fs = fsspec.filesystem("memory")
    root = f"marketpulse-{uuid.uuid4().hex}"
    files = {
        f"{root}/warehouse/marts.db/fct_prices_daily/part-0.parquet": [1.5, 2.5],
        f"{root}/warehouse/marts.db/fct_prices_daily__dbt_new_1a2b3c4d/part-0.parquet": [9.0],
        f"{root}/lake/raw_yahoo/prices_daily/1.parquet": [3.0, 4.0, 5.0],
    }
    for path, closes in files.items():
        with fs.open(path, "wb") as handle:
            pq.write_table(pa.table({"close": closes}), handle)
    warehouse = Warehouse.from_env(
        {
            "WAREHOUSE": "spark",
            "MARKETPULSE_LAKE_URL": f"memory://{root}/lake",
            "MARKETPULSE_SPARK_WAREHOUSE_URL": f"memory://{root}/warehouse",
        }
    )
    try:
        assert query(warehouse, "select sum(close) from marts.fct_prices_daily") == [(4.0,)]
        assert query(warehouse, "select count(*) from raw_yahoo.prices_daily") == [(3,)]
        tables = query(warehouse, "select table_name from information_schema.tables")
        assert ("fct_prices_daily__dbt_new_1a2b3c4d",) not in tables
    finally:
        fs.rm(root, recursive=True)
