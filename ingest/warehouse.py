"""One setting, WAREHOUSE, picks both the dlt destination and the dbt target.

`duckdb` (default): an embedded file, `data/marketpulse.duckdb` unless
MARKETPULSE_DUCKDB_PATH says otherwise. `postgres`: the standard libpq variables
PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (and PGSSLMODE).
dbt reads the same variables in profiles.yml, so both sides always agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WAREHOUSES = ("duckdb", "postgres")
DEFAULT_DUCKDB_PATH = Path("data") / "marketpulse.duckdb"


class ConfigError(Exception):
    """A setting a user gave is not usable."""


@dataclass(frozen=True)
class Warehouse:
    kind: str
    duckdb_path: Path
    pg: dict[str, str]

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
        return cls(kind=kind, duckdb_path=duckdb_path, pg=pg)

    def describe(self) -> str:
        """Where the data goes, safe to print (never the password)."""
        if self.kind == "duckdb":
            return f"duckdb file {self.duckdb_path}"
        pg = self.pg
        return f"postgres {pg['username']}@{pg['host']}:{pg['port']}/{pg['database']}"

    def connect(self, read_only: bool = True, timeout: int = 10) -> Any:
        """A DB-API connection. Keep it short-lived: DuckDB allows one writer per file."""
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

    def pipelines_dir(self) -> Path:
        """dlt's local working state: a cache of what the warehouse holds, one per warehouse.

        The authoritative pipeline state (cursors) lives in the warehouse itself; dlt restores
        it from there, and wipes this cache when the warehouse has no such dataset.
        """
        if self.kind == "duckdb":
            return self.duckdb_path.parent / ".dlt" / self.duckdb_path.stem
        pg = self.pg
        return (
            Path("data").absolute()
            / ".dlt"
            / f"postgres-{pg['host']}-{pg['port']}-{pg['database']}"
        )
