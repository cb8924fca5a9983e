"""WAREHOUSE=postgres: a PostgreSQL server, reached with the standard libpq variables.

PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE and PGSSLROOTCERT, read by psycopg2
here, by dlt and by dbt (profiles.yml, libpq) alike. The password is never part of `describe()`.
A connection the server refuses (wrong password, a certificate that does not verify) is one
line saying what to change (`refusal`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from marketpulse.errors import one_line
from marketpulse.warehouse.base import Warehouse

# pg_advisory_lock key of "one marketpulse writer at a time" (advisory locks are per database,
# so two warehouses on one server do not wait for each other): "mpwriter" as a bigint.
WRITER_LOCK_KEY = int.from_bytes(b"mpwriter", "big", signed=True)

# libpq prefixes every failure with where it tried; describe() says that already.
_WHERE = re.compile(r'^(connection to server (at|on) "[^"]*"(, port \d+)? failed: )+')
# (what libpq says, what to do), first match wins.
_HINTS = (
    ("password authentication failed", "check PGUSER and PGPASSWORD"),
    ("no password supplied", "the server wants a password: set PGPASSWORD"),
    (
        "certificate verify failed",
        "the server's TLS certificate is not signed by the CA in {rootcert}; point "
        "PGSSLROOTCERT at the CA that signed it",
    ),
    (
        "does not match host name",
        "PGSSLMODE=verify-full checks that the certificate names PGHOST; connect by that name",
    ),
    (
        "root certificate file",
        "set PGSSLROOTCERT to the CA certificate that verifies the server",
    ),
    (
        "server does not support SSL",
        "the server has no TLS: turn ssl on there, or lower PGSSLMODE",
    ),
    ("no pg_hba.conf entry", "the server's pg_hba.conf admits no such user, database and address"),
)


def refusal(exc: BaseException, rootcert: str = "") -> str:
    """One line for a failed connection: libpq's reason without its prefix, plus what to do."""
    text = _WHERE.sub("", one_line(exc, default="connection failed"))
    text = text.replace("FATAL:  ", "").strip()
    for needle, hint in _HINTS:
        if needle in text:
            where = f"PGSSLROOTCERT ({rootcert})" if rootcert else "~/.postgresql/root.crt"
            return f"{text}; {hint.format(rootcert=where)}"
    return text


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
                "sslrootcert": env.get("PGSSLROOTCERT", ""),
            }
        )

    def describe(self) -> str:
        pg = self.pg
        return f"postgres {pg['username']}@{pg['host']}:{pg['port']}/{pg['database']}"

    def identifiers(self) -> dict[str, str]:
        pg = self.pg
        return {
            "host": pg["host"],
            "port": pg["port"],
            "user": pg["username"],
            "database": pg["database"],
            "password": pg["password"],
        }

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
        if pg["sslrootcert"]:
            env["PGSSLROOTCERT"] = pg["sslrootcert"]
        return env

    def tls_options(self) -> dict[str, str]:
        """sslmode, and sslrootcert when PGSSLROOTCERT is set (else libpq's default file)."""
        options = {"sslmode": self.pg["sslmode"]}
        if self.pg["sslrootcert"]:
            options["sslrootcert"] = self.pg["sslrootcert"]
        return options

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
            "query": self.tls_options(),
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
        try:
            connection = psycopg2.connect(
                host=pg["host"],
                port=int(pg["port"]),
                user=pg["username"],
                password=pg["password"] or None,
                dbname=pg["database"],
                connect_timeout=timeout,
                **self.tls_options(),
            )
        except psycopg2.OperationalError as exc:
            # Same type (callers retry and report it as before), a message a user can act on.
            raise psycopg2.OperationalError(refusal(exc, pg["sslrootcert"])) from exc
        if read_only:
            # The server refuses writes in this session; autocommit: no transaction left open.
            connection.set_session(readonly=True, autocommit=True)
        return connection

    @contextmanager
    def writer_lock(self, waiting: Callable[[str], None]) -> Iterator[None]:
        """A session-level advisory lock (per database) held on a connection of its own for
        the whole ingest or build; closing it releases the lock, also if the process dies.
        Autocommit, so the session is never left "idle in transaction" while it waits."""
        connection = self.open_connection(read_only=False, timeout=10)
        try:
            connection.autocommit = True
            cursor = connection.cursor()
            cursor.execute("select pg_try_advisory_lock(%s)", (WRITER_LOCK_KEY,))
            if not cursor.fetchone()[0]:
                waiting(
                    f"waiting: another ingest or build is writing to {self.describe()}; "
                    "this one starts when it has finished"
                )
                cursor.execute("select pg_advisory_lock(%s)", (WRITER_LOCK_KEY,))
            yield
        finally:
            connection.close()

    def is_lock_error(self, exc: BaseException) -> bool:
        from psycopg2 import errors

        return isinstance(
            exc, errors.LockNotAvailable | errors.DeadlockDetected | errors.SerializationFailure
        )

    def is_unreachable(self, exc: BaseException) -> bool:
        import psycopg2

        return isinstance(exc, psycopg2.OperationalError | OSError)
