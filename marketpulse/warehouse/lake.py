"""WAREHOUSE=spark: dbt-spark over a parquet lake; its files read and appended to without a JVM.

`pip install .[spark]`. dlt lands parquet files in the lake, MARKETPULSE_LAKE_URL (`data/lake`
by default, or an object-store URL such as s3://bucket/lake), and dbt-spark builds its tables in
Spark's warehouse, MARKETPULSE_SPARK_WAREHOUSE_URL (`<MARKETPULSE_SPARK_DIR>/warehouse` by
default); the driver's own state (the embedded metastore) stays in MARKETPULSE_SPARK_DIR
(`data/spark`). The cluster settings are in spark_settings.py.

On WAREHOUSE=spark the raw tables are folders of parquet files in the lake (written by
dlt's filesystem destination, one or more files per load) and dbt's tables are folders of
parquet files in Spark's warehouse (`<schema>.db/<table>/`, with `key=value/`
subfolders when partitioned). `connect_lake` gives the rest of the code the DB-API it has
on DuckDB: an in-memory DuckDB session with one view per table over those files, so
`select ... from marts.fct_prices_daily` means the same on every warehouse.

It reads what Spark and dlt wrote, through fsspec (a local folder, s3://, gs://, abfss://
alike): wherever the two locations say, never a fixed local path. It never opens Spark's
metastore: a dbt run holds that (a local Derby database allows one process) and starting a
JVM for a query would take seconds. When a server holds Spark's session
(MARKETPULSE_SPARK_METHOD=thrift or databricks), reads go through its SQL connection instead
(spark_server.py) and only writes use the lake's files.
docs/decisions/0014-spark-and-the-parquet-lake.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from marketpulse.warehouse.base import ConfigError, RawTable, Session, Warehouse
from marketpulse.warehouse.spark_server import ServerConnection
from marketpulse.warehouse.spark_settings import (
    SparkSettings,
    is_local_location,
    local_path,
    location,
)

if TYPE_CHECKING:
    import pyarrow as pa

DEFAULT_LAKE = Path("data") / "lake"
DEFAULT_SPARK_DIR = Path("data") / "spark"

# The schemas dbt builds tables in (dbt_project.yml); views (staging, intermediate) live only
# in Spark's metastore and are not read from Python.
DBT_SCHEMAS = ("marts", "seeds", "intermediate", "staging")
# What a table build leaves beside the table it replaces (macros/spark_table_swap.sql:
# <table>__dbt_new_<run id>, <table>__dbt_old); a killed build may leave one. Never read.
SWAP_MARK = "__dbt_"


def _filesystem(url: str) -> tuple[Any, str]:
    from fsspec.core import url_to_fs

    return url_to_fs(url)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def lake_tables(warehouse: LakeWarehouse) -> dict[tuple[str, str], str]:
    """(schema, table) -> folder URL of every raw table with parquet files in the lake."""
    return _tables(warehouse.lake_url, lambda schema: schema.startswith("raw_"), suffix="")


def spark_tables(warehouse: LakeWarehouse) -> dict[tuple[str, str], str]:
    """(schema, table) -> folder URL of every table dbt built in Spark's warehouse."""
    return _tables(
        warehouse.spark_warehouse_url,
        lambda schema: schema.removesuffix(".db") in DBT_SCHEMAS,
        suffix=".db",
    )


def _tables(root: str, wanted: Any, suffix: str) -> dict[tuple[str, str], str]:
    fs, path = _filesystem(root)
    if not fs.exists(path):
        return {}
    protocol = root.split("://", 1)[0] + "://" if "://" in root else ""
    found: dict[tuple[str, str], str] = {}
    for schema_path in sorted(fs.ls(path, detail=False)):
        schema = schema_path.rstrip("/").rsplit("/", 1)[-1]
        if not wanted(schema) or not fs.isdir(schema_path):
            continue
        for table_path in sorted(fs.ls(schema_path, detail=False)):
            table = table_path.rstrip("/").rsplit("/", 1)[-1]
            if table.startswith(("_", ".")) or not fs.isdir(table_path):
                continue  # dlt's own _dlt_loads, _dlt_version, _dlt_pipeline_state
            if SWAP_MARK in table:
                continue  # a table being built, or the one it replaced
            if any(name.endswith(".parquet") for name in fs.find(table_path)):
                found[(schema.removesuffix(suffix), table)] = protocol + table_path.rstrip("/")
    return found


class LakeConnection:
    """A DuckDB connection with the lake's and Spark's tables as views; DB-API like DuckDB's.
    With `dbt_tables=False` only the lake's (a server holds Spark's tables: spark_server.py)."""

    def __init__(self, warehouse: LakeWarehouse, dbt_tables: bool = True) -> None:
        import duckdb

        self._connection = duckdb.connect()
        registered: set[str] = set()
        urls = (warehouse.lake_url, warehouse.spark_warehouse_url)
        for url in urls if dbt_tables else urls[:1]:
            if is_local_location(url):
                continue
            fs, _ = _filesystem(url)  # object stores through fsspec, as dlt and Spark write them
            if fs.protocol not in registered:
                self._connection.register_filesystem(fs)
                registered.add(fs.protocol)
        tables = {**lake_tables(warehouse), **(spark_tables(warehouse) if dbt_tables else {})}
        for schema in sorted({schema for schema, _ in tables}):
            self._connection.execute(f"create schema if not exists {_quote(schema)}")
        for (schema, table), url in sorted(tables.items()):
            files = _literal(url.removeprefix("file://") + "/**/*.parquet")
            self._connection.execute(
                f"create view {_quote(schema)}.{_quote(table)} as select * from read_parquet("
                f"{files}, union_by_name = true, hive_partitioning = true)"
            )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def cursor(self) -> Any:
        return self._connection

    def close(self) -> None:
        self._connection.close()


def append_rows(
    warehouse: LakeWarehouse,
    schema: str,
    table: str,
    arrow_schema: pa.Schema,
    rows: Iterable[Sequence[Any]],
) -> None:
    """Append rows to a raw table of the lake as one new parquet file (an append-only log)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = list(rows)
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in arrow_schema.names]
    data = pa.Table.from_arrays(
        [
            pa.array(list(values), type=field.type)
            for values, field in zip(columns, arrow_schema, strict=True)
        ],
        schema=arrow_schema,
    )
    fs, root = _filesystem(warehouse.lake_url)
    folder = f"{root.rstrip('/')}/{schema}/{table}"
    fs.makedirs(folder, exist_ok=True)
    with fs.open(f"{folder}/{uuid.uuid4().hex}.parquet", "wb") as handle:
        pq.write_table(data, handle)


@dataclass(frozen=True)
class LakeWarehouse(Warehouse):
    """Spark over the parquet lake. Python reads it through DuckDB (`LakeConnection`): no JVM,
    and no contention with a running dbt for Spark's single-process metastore."""

    lake_url: str
    spark_dir: Path
    warehouse_url: str = ""
    spark: SparkSettings = field(default_factory=SparkSettings)

    kind: ClassVar[str] = "spark"
    append_only: ClassVar[str | None] = (
        "the Spark lake is append-only parquet; delete old load files from the lake's folders"
        " by hand (docs/decisions/0014)"
    )

    @classmethod
    def from_settings(cls, env: Mapping[str, str]) -> LakeWarehouse:
        lake_url = location(env.get("MARKETPULSE_LAKE_URL") or str(DEFAULT_LAKE))
        spark_dir = env.get("MARKETPULSE_SPARK_DIR") or str(DEFAULT_SPARK_DIR)
        if "://" in spark_dir:
            raise ConfigError(
                f"MARKETPULSE_SPARK_DIR={spark_dir} is the driver's local folder (metastore,"
                " logs); put the tables on shared storage with"
                f" MARKETPULSE_SPARK_WAREHOUSE_URL={spark_dir}/warehouse"
            )
        spark_path = Path(spark_dir).absolute()
        warehouse_url = location(
            env.get("MARKETPULSE_SPARK_WAREHOUSE_URL") or str(spark_path / "warehouse")
        )
        return cls(
            lake_url=lake_url,
            spark_dir=spark_path,
            warehouse_url=warehouse_url,
            spark=SparkSettings.from_env(env),
        )

    def describe(self) -> str:
        if self.spark.uses_server:
            return f"spark, parquet lake {self.lake_url}, tables on {self.spark.describe_server()}"
        return f"spark, parquet lake {self.lake_url}, warehouse {self.spark_warehouse_url}"

    @property
    def dbt_target(self) -> str:
        return self.spark.dbt_output

    @property  # type: ignore[misc]  # a server is connected to, files are opened
    def connect_verb(self) -> str:  # type: ignore[override]
        return "connect to" if self.spark.uses_server else "open"

    def identifiers(self) -> dict[str, str]:
        if not self.spark.uses_server:
            return {}
        found = {"host": self.spark.host, "port": str(self.spark.port)}
        found |= {"user": self.spark.user} if self.spark.user else {}
        return found | ({"password": self.spark.token} if self.spark.token else {})

    def settings_env(self) -> dict[str, str]:
        return {
            "MARKETPULSE_LAKE_URL": self.lake_url,
            "MARKETPULSE_SPARK_DIR": str(self.spark_dir),
            "MARKETPULSE_SPARK_WAREHOUSE_URL": self.spark_warehouse_url,
            **self.spark.env(),
        }

    def marts_hint(self) -> str:
        if self.spark.uses_server:
            return f"the marts are schema marts on {self.spark.describe_server()}"
        return f"the marts are parquet tables under {self.spark_warehouse_url}/marts.db/"

    @property
    def spark_warehouse_url(self) -> str:
        """Where Spark keeps the tables dbt builds (spark.sql.warehouse.dir)."""
        return self.warehouse_url or str(self.spark_dir / "warehouse")

    @property
    def is_local_lake(self) -> bool:
        return is_local_location(self.lake_url)

    @property
    def is_local_spark_warehouse(self) -> bool:
        return is_local_location(self.spark_warehouse_url)

    def dlt_destination(self) -> Any:
        import dlt

        # Arrow tables pass through as parquet as they are; give every row its load id,
        # which the staging models use to keep the latest load of a key (plain parquet
        # has no merge: docs/decisions/0014).
        dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
        if self.is_local_lake:
            local_path(self.lake_url).mkdir(parents=True, exist_ok=True)
        return dlt.destinations.filesystem(bucket_url=self.lake_url)

    def loader_file_format(self) -> str:
        return "parquet"

    def pipelines_dir(self) -> Path:
        return self.spark_dir / ".dlt"

    def open_connection(self, read_only: bool, timeout: int) -> Any:
        """A DuckDB session over the parquet files themselves (the lake's raw tables and the
        tables dbt built in Spark's warehouse). With a server holding Spark's session, reads
        go through its SQL connection instead (spark_server.py); writes from Python (dlt's
        loads, the run audit) still go to the lake's files, so a read-write session is the
        lake's alone."""
        if not read_only and self.is_local_lake:
            local_path(self.lake_url).mkdir(parents=True, exist_ok=True)
        if self.spark.uses_server:
            if read_only:
                return ServerConnection(self.spark, timeout)
            return LakeConnection(self, dbt_tables=False)
        return LakeConnection(self)

    def paramstyle(self, connection: Any) -> tuple[str, bool]:
        if isinstance(connection, ServerConnection):
            return connection.placeholder, connection.escape_percent
        return super().paramstyle(connection)  # DuckDB over the files

    def columns(self, session: Session, schemas: Sequence[str]) -> dict[tuple[str, str], set[str]]:
        if isinstance(session.connection, ServerConnection):  # Spark's catalog on the server
            found = session.connection.columns(schemas)
            return {key: value for key, value in found.items() if SWAP_MARK not in key[1]}
        return super().columns(session, schemas)

    def tables(self, session: Session, schema: str) -> set[str]:
        if isinstance(session.connection, ServerConnection):  # a killed build's: not read
            return {table for table in session.connection.tables(schema) if SWAP_MARK not in table}
        return super().tables(session, schema)

    def is_unreachable(self, exc: BaseException) -> bool:
        if not self.spark.uses_server:
            return super().is_unreachable(exc)
        from marketpulse.warehouse.spark_server import is_unreachable

        return is_unreachable(exc)

    def ensure_tables(self, tables: Sequence[RawTable]) -> None:
        """An empty parquet file carries each missing table's schema in the lake."""
        present = lake_tables(self)
        for table in tables:
            if (table.schema, table.name) not in present:
                append_rows(self, table.schema, table.name, table.columns, [])

    def append_rows(self, batches: Sequence[tuple[RawTable, Sequence[Sequence[Any]]]]) -> None:
        """The lake is append-only: one new parquet file per table."""
        for table, rows in batches:
            append_rows(self, table.schema, table.name, table.columns, rows)
