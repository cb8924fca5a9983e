"""One setting, WAREHOUSE, picks both the dlt destination and the dbt target.

`duckdb` (default): an embedded file, `data/marketpulse.duckdb` unless
MARKETPULSE_DUCKDB_PATH says otherwise. `postgres`: the standard libpq variables
PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (and PGSSLMODE). `spark`
(`pip install .[spark]`): dlt lands parquet files in a lake, MARKETPULSE_LAKE_URL
(`data/lake` by default, or an object-store URL such as s3://bucket/lake), and
dbt-spark builds on a local Spark session whose metastore and warehouse live under
MARKETPULSE_SPARK_DIR (`data/spark`); see docs/decisions/0014-spark-and-the-parquet-lake.md.
dbt reads the same variables in profiles.yml, so both sides always agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WAREHOUSES = ("duckdb", "postgres", "spark")
DEFAULT_DUCKDB_PATH = Path("data") / "marketpulse.duckdb"
DEFAULT_LAKE = Path("data") / "lake"
DEFAULT_SPARK_DIR = Path("data") / "spark"


class ConfigError(Exception):
    """A setting a user gave is not usable."""


@dataclass(frozen=True)
class Warehouse:
    kind: str
    duckdb_path: Path
    pg: dict[str, str]
    lake_url: str = field(default_factory=lambda: str(DEFAULT_LAKE.absolute()))
    spark_dir: Path = field(default_factory=DEFAULT_SPARK_DIR.absolute)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Warehouse:
        env = dict(os.environ if env is None else env)
        kind = env.get("WAREHOUSE", "duckdb").strip().lower() or "duckdb"
        if kind not in WAREHOUSES:
            raise ConfigError(
                f"WAREHOUSE={kind!r} is not supported; use one of: {', '.join(WAREHOUSES)}"
            )
        duckdb_path = Path(env.get("MARKETPULSE_DUCKDB_PATH") or DEFAULT_DUCKDB_PATH).absolute()
        pg = {
            "host": env.get("PGHOST", "127.0.0.1"),
            "port": env.get("PGPORT", "5432"),
            "username": env.get("PGUSER", "postgres"),
            "password": env.get("PGPASSWORD", ""),
            "database": env.get("PGDATABASE", "postgres"),
            "sslmode": env.get("PGSSLMODE", "prefer"),
        }
        lake_url = env.get("MARKETPULSE_LAKE_URL") or str(DEFAULT_LAKE)
        if "://" not in lake_url:  # a local folder: absolute, so dbt and dlt agree on it
            lake_url = str(Path(lake_url).absolute())
        spark_dir = Path(env.get("MARKETPULSE_SPARK_DIR") or DEFAULT_SPARK_DIR).absolute()
        return cls(
            kind=kind, duckdb_path=duckdb_path, pg=pg, lake_url=lake_url, spark_dir=spark_dir
        )

    def describe(self) -> str:
        """Where the data goes, safe to print (never the password)."""
        if self.kind == "duckdb":
            return f"duckdb file {self.duckdb_path}"
        if self.kind == "spark":
            return f"spark, parquet lake {self.lake_url}, warehouse {self.spark_warehouse_url}"
        pg = self.pg
        return f"postgres {pg['username']}@{pg['host']}:{pg['port']}/{pg['database']}"

    @property
    def spark_warehouse_url(self) -> str:
        """Where Spark keeps the tables dbt builds (spark.sql.warehouse.dir)."""
        return str(self.spark_dir / "warehouse")

    @property
    def is_local_lake(self) -> bool:
        return "://" not in self.lake_url or self.lake_url.startswith("file://")

    def connect(self, read_only: bool = True, timeout: int = 10) -> Any:
        """A DB-API connection. Keep it short-lived: DuckDB allows one writer per file.

        On Spark it is a DuckDB session over the parquet files themselves (the lake's raw
        tables and the tables dbt built in Spark's warehouse): reading needs no JVM and
        never contends with a running dbt for Spark's single-process metastore.
        """
        if self.kind == "spark":
            from marketpulse.warehouse.lake import connect_lake

            return connect_lake(self, read_only=read_only)
        if self.kind == "duckdb":
            import duckdb

            if not read_only:
                self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
            return duckdb.connect(str(self.duckdb_path), read_only=read_only)
        import psycopg2

        pg = self.pg
        return psycopg2.connect(
            host=pg["host"],
            port=int(pg["port"]),
            user=pg["username"],
            password=pg["password"] or None,
            dbname=pg["database"],
            sslmode=pg["sslmode"],
            connect_timeout=timeout,
        )

    def dlt_destination(self) -> Any:
        import dlt

        if self.kind == "duckdb":
            self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
            return dlt.destinations.duckdb(credentials=str(self.duckdb_path))
        if self.kind == "spark":
            # Arrow tables pass through as parquet as they are; give every row its load id,
            # which the staging models use to keep the latest load of a key (plain parquet
            # has no merge: docs/decisions/0014).
            dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
            if self.is_local_lake:
                Path(self.lake_url.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
            return dlt.destinations.filesystem(bucket_url=self.lake_url)
        pg = self.pg
        credentials = {
            "drivername": "postgresql",
            "host": pg["host"],
            "port": int(pg["port"]),
            "username": pg["username"],
            "password": pg["password"],  # "" for trust or peer auth; dlt needs a string
            "database": pg["database"],
            "query": {"sslmode": pg["sslmode"]},
        }
        return dlt.destinations.postgres(credentials=credentials)

    def loader_file_format(self) -> str | None:
        """What dlt writes: parquet into the lake, each destination's own default elsewhere."""
        return "parquet" if self.kind == "spark" else None

    def pipelines_dir(self) -> Path:
        """dlt's local working state: a cache of what the warehouse holds, one per warehouse.

        The authoritative pipeline state (cursors) lives in the warehouse itself; dlt restores
        it from there, and wipes this cache when the warehouse has no such dataset.
        """
        if self.kind == "duckdb":
            return self.duckdb_path.parent / ".dlt" / self.duckdb_path.stem
        if self.kind == "spark":
            return self.spark_dir / ".dlt"
        pg = self.pg
        return (
            Path("data").absolute()
            / ".dlt"
            / f"postgres-{pg['host']}-{pg['port']}-{pg['database']}"
        )
