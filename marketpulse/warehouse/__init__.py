"""One setting, WAREHOUSE, picks both the dlt destination and the dbt target.

`duckdb` (default, duckdb.py), `postgres` (postgres.py), `spark` (lake.py: dbt-spark over a
parquet lake). `Warehouse.from_env()` returns the adapter; base.py is the interface every
caller uses. This package is the only place that knows which warehouse it is.
dbt reads the same variables in profiles.yml, so both sides always agree.
"""

from marketpulse.warehouse.base import ConfigError, RawTable, Session, Warehouse

# Imported in the order the kinds are listed (duckdb, postgres, spark): they register themselves.
from marketpulse.warehouse.duckdb import DEFAULT_DUCKDB_PATH, DuckDBWarehouse  # isort: skip
from marketpulse.warehouse.postgres import PostgresWarehouse  # isort: skip
from marketpulse.warehouse.lake import DEFAULT_LAKE, DEFAULT_SPARK_DIR, LakeWarehouse  # isort: skip

WAREHOUSES = Warehouse.kinds()

__all__ = [
    "DEFAULT_DUCKDB_PATH",
    "DEFAULT_LAKE",
    "DEFAULT_SPARK_DIR",
    "WAREHOUSES",
    "ConfigError",
    "DuckDBWarehouse",
    "LakeWarehouse",
    "PostgresWarehouse",
    "RawTable",
    "Session",
    "Warehouse",
]
