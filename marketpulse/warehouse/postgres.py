"""WAREHOUSE=postgres: a PostgreSQL server, reached with the standard libpq variables.

PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE and PGSSLMODE, read by psycopg2 here, by
dlt and by dbt (profiles.yml) alike. The password is never part of `describe()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from marketpulse.warehouse.base import Warehouse


@dataclass(frozen=True)
class PostgresWarehouse(Warehouse):
    pg: dict[str, str] = field(hash=False)

    kind: ClassVar[str] = "postgres"
    placeholder: ClassVar[str] = "%s"
    escape_percent: ClassVar[bool] = True
    connect_verb: ClassVar[str] = "connect to"
    has_roles: ClassVar[bool] = True

    @classmethod
    def from_settings(cls, env: Mapping[str, str]) -> PostgresWarehouse:
        return cls(
            {
                "host": env.get("PGHOST", "127.0.0.1"),
                "port": env.get("PGPORT", "5432"),
                "username": env.get("PGUSER", "postgres"),
                "password": env.get("PGPASSWORD", ""),
                "database": env.get("PGDATABASE", "postgres"),
                "sslmode": env.get("PGSSLMODE", "prefer"),
            }
        )

    def describe(self) -> str:
        pg = self.pg
        return f"postgres {pg['username']}@{pg['host']}:{pg['port']}/{pg['database']}"

    def settings_env(self) -> dict[str, str]:
        pg = self.pg
        env = {
            "PGHOST": pg["host"],
            "PGPORT": pg["port"],
            "PGUSER": pg["username"],
            "PGDATABASE": pg["database"],
            "PGSSLMODE": pg["sslmode"],
        }
        if pg["password"]:
            env["PGPASSWORD"] = pg["password"]
        return env

    def dlt_destination(self) -> Any:
        import dlt

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

    def loader_file_format(self) -> str:
        """csv, which dlt loads with COPY (its default, insert_values, sends rows as SQL text):
        docs/decisions/0021-load-fast-paths.md."""
        return "csv"

    def pipelines_dir(self) -> Path:
        pg = self.pg
        return (
            Path("data").absolute()
            / ".dlt"
            / f"postgres-{pg['host']}-{pg['port']}-{pg['database']}"
        )

    def open_connection(self, read_only: bool, timeout: int) -> Any:
        import psycopg2

        pg = self.pg
        connection = psycopg2.connect(
            host=pg["host"],
            port=int(pg["port"]),
            user=pg["username"],
            password=pg["password"] or None,
            dbname=pg["database"],
            sslmode=pg["sslmode"],
            connect_timeout=timeout,
        )
        if read_only:
            # The server refuses writes in this session; autocommit: no transaction left open.
            connection.set_session(readonly=True, autocommit=True)
        return connection

    def is_lock_error(self, exc: BaseException) -> bool:
        from psycopg2 import errors

        return isinstance(
            exc, errors.LockNotAvailable | errors.DeadlockDetected | errors.SerializationFailure
        )

    def is_unreachable(self, exc: BaseException) -> bool:
        import psycopg2

        return isinstance(exc, psycopg2.OperationalError | OSError)
