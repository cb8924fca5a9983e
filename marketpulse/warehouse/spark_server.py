"""WAREHOUSE=spark with a server holding the session (MARKETPULSE_SPARK_METHOD=thrift or
databricks): the Python tools read the tables through the server's SQL connection.

When a Spark Thrift server or a Databricks workspace holds the metastore and the warehouse,
the tables' files need not be reachable from this machine (Unity Catalog's managed storage,
a warehouse only the cluster mounts). Then every read-only session is a DB-API connection to
the server, the same one dbt's output uses: PyHive over Thrift (dbt-spark's `thrift` method)
or databricks-sql-connector (dbt-databricks'). The tools send the SQL they send everywhere
(schema-qualified `marts.<table>`, raw tables as the views dbt's on-run-start hook
registers); what differs per warehouse (the catalog, parameter style, result types) is here.

- Catalog: Spark has no information_schema; `columns` lists them with `show tables` and
  `describe` (Databricks: the same statements).
- Parameters: PyHive formats them into the statement itself, escaped as Spark reads string
  literals (`%s`, a literal `%` doubled, like psycopg2); databricks-sql-connector sends them
  apart (`?`, native parameters).
- Results: Thrift carries a date as text and a timestamp without its zone; they come back as
  `date` and UTC `datetime`, as DuckDB reads the same columns from the files (the session's
  time zone is set to UTC at connect, whatever the server's default).

docs/spark.md ("A Spark Thrift server", "Databricks").
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from marketpulse.warehouse.base import ConfigError
from marketpulse.warehouse.spark_settings import SparkSettings

# Rows per fetch round trip (PyHive's default, 1,000, makes a 100,000-row mart 100 trips).
FETCH_ROWS = 10_000


def _type_name(type_code: Any) -> str:
    """PyHive says `DATE_TYPE`, databricks-sql-connector `date`: `DATE` for both."""
    return str(type_code).upper().removesuffix("_TYPE")


def _as_date(value: Any) -> Any:
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.date()
    return value


def _as_utc(value: Any) -> Any:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


_CONVERTERS = {"DATE": _as_date, "TIMESTAMP": _as_utc}


class ServerError(Exception):
    """The server refused a statement: its own message, without PyHive's response dump."""


def _message(exc: Exception) -> str:
    """PyHive raises with the whole Thrift response (a stack trace of 40 frames) as its text:
    the server's error message is in it; other drivers' text is already the message."""
    status = getattr(exc.args[0] if exc.args else None, "status", None)
    message = getattr(status, "errorMessage", None)
    if not message:
        return str(exc)
    return " ".join(str(message).split("== SQL ==")[0].split())  # not the statement echoed


class ServerCursor:
    """The driver's cursor, with dates and timestamps as DuckDB returns them."""

    def __init__(self, cursor: Any, formats: bool) -> None:
        self._cursor = cursor
        self._cursor.arraysize = FETCH_ROWS
        # PyHive formats the statement whenever parameters are given (even none: a doubled
        # `%` becomes one); databricks-sql-connector takes no parameters as None.
        self._formats = formats

    @property
    def description(self) -> Any:
        return self._cursor.description

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> ServerCursor:
        try:
            if parameters is None or (not parameters and not self._formats):
                self._cursor.execute(sql)
            else:
                self._cursor.execute(sql, tuple(parameters))
        except Exception as exc:
            raise ServerError(_message(exc)) from exc
        return self

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self.execute(sql, row)

    def _convert(self, rows: list[Any]) -> list[tuple[Any, ...]]:
        converters = [
            _CONVERTERS.get(_type_name(column[1])) for column in self._cursor.description or ()
        ]
        if not any(converters):
            return [tuple(row) for row in rows]
        return [
            tuple(
                value if convert is None or value is None else convert(value)
                for convert, value in zip(converters, row, strict=True)
            )
            for row in rows
        ]

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._convert(list(self._cursor.fetchall()))

    def fetchone(self) -> tuple[Any, ...] | None:
        row = self._cursor.fetchone()
        return None if row is None else self._convert([row])[0]

    def close(self) -> None:
        self._cursor.close()


class ServerConnection:
    """A read-only DB-API connection to the server holding Spark's session and tables."""

    def __init__(self, settings: SparkSettings, timeout: int) -> None:
        self.method = settings.method
        if settings.method == "thrift":
            self._connection = _thrift(settings, timeout)
            self.placeholder, self.escape_percent = "%s", True
        else:
            self._connection = _databricks(settings, timeout)
            self.placeholder, self.escape_percent = "?", False
        self.cursor().execute("set time zone 'UTC'")

    def cursor(self) -> ServerCursor:
        return ServerCursor(self._connection.cursor(), self.escape_percent)

    def commit(self) -> None:
        """Nothing to commit: the tools only read through the server."""

    def rollback(self) -> None:
        """Nothing to roll back (see commit)."""

    def close(self) -> None:
        self._connection.close()

    def tables(self, schema: str) -> set[str]:
        """The tables and views in `schema`; none when there is no such schema."""
        cursor = self.cursor()
        cursor.execute("show schemas")
        if schema.lower() not in {str(row[0]).lower() for row in cursor.fetchall()}:
            return set()
        cursor.execute(f"show tables in {_quoted(schema)}")
        column = [name[0] for name in cursor.description].index("tableName")
        return {str(row[column]) for row in cursor.fetchall()}

    def columns(self, schemas: Sequence[str]) -> dict[tuple[str, str], set[str]]:
        """(schema, table) -> its columns, for every table and view in `schemas` that exists."""
        cursor = self.cursor()
        found: dict[tuple[str, str], set[str]] = {}
        for schema in schemas:
            for table in sorted(self.tables(schema)):
                cursor.execute(f"describe {_quoted(schema)}.{_quoted(table)}")
                columns: set[str] = set()
                for row in cursor.fetchall():
                    name = str(row[0] or "")
                    if not name or name.startswith("#"):
                        break  # partition and detail sections repeat or describe the columns
                    columns.add(name)
                found[(schema, table)] = columns
        return found


def _quoted(name: str) -> str:
    """`name` as a Spark SQL identifier: backquoted, a backquote inside it doubled."""
    return "`" + name.replace("`", "``") + "`"


def _thrift(settings: SparkSettings, timeout: int) -> Any:
    try:
        from pyhive import hive
        from thrift.transport import TSocket
        from thrift_sasl import TSaslClientTransport
    except ImportError as exc:
        raise ConfigError(
            "MARKETPULSE_SPARK_METHOD=thrift needs PyHive: pip install '.[spark]'"
        ) from exc

    # thrift logs a refused connection at ERROR before raising it: the caller's one line says it.
    logging.getLogger("thrift.transport.TSocket").setLevel(logging.CRITICAL)
    # hive.connect's own socket has no timeout: a silent server would hang the tools.
    socket = TSocket.TSocket(settings.host, settings.port)
    socket.setTimeout(timeout * 1000)

    def sasl() -> Any:
        # hive.server2.authentication=NONE (as dbt-spark's thrift method without `auth`):
        # SASL PLAIN with the user name and a password the server ignores, PyHive's own value.
        return hive.get_installed_sasl(
            host=settings.host,
            sasl_auth="PLAIN",
            username=settings.user,
            password="x",  # noqa: S106
        )

    transport = TSaslClientTransport(sasl, "PLAIN", socket)
    connection = hive.connect(thrift_transport=transport, username=settings.user)
    socket.setTimeout(None)  # a long query is not a dead server
    return connection


def _databricks(settings: SparkSettings, timeout: int) -> Any:
    try:
        from databricks import sql
    except ImportError as exc:
        raise ConfigError(
            "MARKETPULSE_SPARK_METHOD=databricks needs databricks-sql-connector:"
            " pip install '.[spark]'"
        ) from exc
    # The connector retries a failed request for up to 900 s by default: a tool whose server
    # is down says so within a minute instead (dbt has its own retries), in its one line (the
    # connector and urllib3 log each attempt first). No usage telemetry.
    logging.getLogger("databricks.sql").setLevel(logging.CRITICAL)
    pool = logging.getLogger("urllib3.connectionpool")
    level = pool.level
    pool.setLevel(logging.ERROR)
    try:
        return sql.connect(
            server_hostname=settings.host,
            http_path=settings.http_path,
            access_token=settings.token,
            _port=settings.port,
            _socket_timeout=timeout,
            _retry_stop_after_attempts_count=3,
            _retry_stop_after_attempts_duration=60.0,
            enable_telemetry=False,
        )
    finally:
        pool.setLevel(level)


def is_unreachable(exc: BaseException) -> bool:
    """Whether `exc` means the server could not be reached at all (not a refused statement)."""
    if isinstance(exc, OSError):
        return True
    from thrift.transport.TTransport import TTransportException

    if isinstance(exc, TTransportException):
        return True
    from urllib3.exceptions import MaxRetryError  # databricks-sql-connector's, after retries

    if isinstance(exc, MaxRetryError):
        return True
    try:
        from databricks.sql.exc import RequestError
    except ImportError:
        return False
    return isinstance(exc, RequestError)
