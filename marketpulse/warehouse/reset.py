"""`marketpulse reset`: empty the warehouse of this project's data, on every kind.

`make clean` deletes local files; on Postgres that leaves the warehouse as it was, so "sample
and live never mix" (ADR 0003) needs a reset that reaches the server. It removes only what
the project itself creates, from a fixed list, and nothing without `--yes`:

- duckdb: the warehouse file (and its WAL) and dlt's working state for it;
- postgres: the schemas below (raw ones, dlt's `_staging` ones, dbt's), where they exist,
  in one transaction, plus dlt's local working state; never another schema or the database;
- spark: the local lake folder and Spark's folder (metastore, warehouse, dlt state); a lake
  in object storage is left to the storage's own tools.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from marketpulse.warehouse import ConfigError, Warehouse

# dlt datasets (marketpulse/ingest/runner.py, portfolio, the run audit) and dbt's schemas
# (dbt_project.yml: used verbatim by macros/generate_schema_name.sql).
RAW_SCHEMAS = tuple(
    f"raw_{name}"
    for name in ("yahoo", "fred", "trends", "news", "portfolio", "forecast", "backtest")
)
PROJECT_SCHEMAS = (
    *RAW_SCHEMAS,
    *(f"{schema}_staging" for schema in RAW_SCHEMAS),
    "raw_audit",
    "staging",
    "intermediate",
    "marts",
    "seeds",
)
# One fixed statement per schema, built from the constant list above and nothing else.
DROP_SCHEMA = {schema: f'drop schema "{schema}" cascade' for schema in PROJECT_SCHEMAS}


def _existing(paths: list[Path]) -> list[Path]:
    return [path for path in paths if path.exists()]


def _duckdb_targets(warehouse: Warehouse) -> list[str]:
    path = warehouse.duckdb_path
    files = [path, path.with_name(path.name + ".wal"), warehouse.pipelines_dir()]
    return [str(found) for found in _existing(files)]


def _duckdb_apply(warehouse: Warehouse) -> None:
    path = warehouse.duckdb_path
    for file in _existing([path, path.with_name(path.name + ".wal")]):
        file.unlink()
    shutil.rmtree(warehouse.pipelines_dir(), ignore_errors=True)


def _postgres_schemas(warehouse: Warehouse) -> list[str]:
    with closing(warehouse.connect(read_only=True, timeout=5)) as connection:
        cursor = connection.cursor()
        cursor.execute(
            "select nspname from pg_catalog.pg_namespace where nspname = any(%s) order by nspname",
            (list(PROJECT_SCHEMAS),),
        )
        return [row[0] for row in cursor.fetchall()]


def _postgres_targets(warehouse: Warehouse) -> list[str]:
    database = warehouse.pg["database"]
    found = [f"schema {schema} in database {database}" for schema in _postgres_schemas(warehouse)]
    return found + [str(path) for path in _existing([warehouse.pipelines_dir()])]


def _postgres_apply(warehouse: Warehouse) -> None:
    schemas = _postgres_schemas(warehouse)
    with closing(warehouse.connect(read_only=False, timeout=5)) as connection:
        cursor = connection.cursor()
        for schema in schemas:
            cursor.execute(DROP_SCHEMA[schema])
        connection.commit()
    shutil.rmtree(warehouse.pipelines_dir(), ignore_errors=True)


def _spark_folders(warehouse: Warehouse) -> list[Path]:
    if warehouse.spark.uses_server:
        raise ConfigError(
            f"the tables are on {warehouse.spark.describe_server()}: reset deletes local folders"
            " only; drop the project's schemas there (drop schema marts cascade, ...) and empty"
            f" the lake {warehouse.lake_url}"
        )
    if not warehouse.is_local_lake:
        raise ConfigError(
            f"the lake is at {warehouse.lake_url}: reset deletes local folders only; "
            "empty it with your object store's tools"
        )
    if not warehouse.is_local_spark_warehouse:
        raise ConfigError(
            f"Spark's warehouse is at {warehouse.spark_warehouse_url}: reset deletes local"
            " folders only; empty it with your object store's tools"
        )
    folders = [Path(warehouse.lake_url.removeprefix("file://")), warehouse.spark_dir]
    tables = Path(warehouse.spark_warehouse_url.removeprefix("file://"))
    return folders if tables.is_relative_to(warehouse.spark_dir) else [*folders, tables]


def _spark_targets(warehouse: Warehouse) -> list[str]:
    return [str(folder) for folder in _existing(_spark_folders(warehouse))]


def _spark_apply(warehouse: Warehouse) -> None:
    for folder in _existing(_spark_folders(warehouse)):
        shutil.rmtree(folder)


TARGETS: dict[str, Callable[[Warehouse], list[str]]] = {
    "duckdb": _duckdb_targets,
    "postgres": _postgres_targets,
    "spark": _spark_targets,
}
APPLY: dict[str, Callable[[Warehouse], None]] = {
    "duckdb": _duckdb_apply,
    "postgres": _postgres_apply,
    "spark": _spark_apply,
}


def targets(warehouse: Warehouse) -> list[str]:
    """What a reset of this warehouse removes (what exists of it now)."""
    return TARGETS[warehouse.kind](warehouse)


def reset(warehouse: Warehouse) -> list[str]:
    """Remove this project's data from the warehouse; returns what was removed."""
    removed = targets(warehouse)
    APPLY[warehouse.kind](warehouse)
    return removed
