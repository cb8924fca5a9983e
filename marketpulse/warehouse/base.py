"""The warehouse interface: everything the rest of marketpulse may ask of a warehouse.

One setting, WAREHOUSE, picks the adapter (`Warehouse.from_env`), and the adapter knows its
dlt destination, its dbt target, how to connect (read-only or read-write), how its driver
binds parameters, which of its errors mean "locked by another process", and what a
subprocess (dbt) must see in its environment. Callers never ask which warehouse it is: they
call a method, and each kind answers in its own module (duckdb.py, postgres.py, lake.py),
the way dbt dispatches a macro per adapter. docs/decisions/0016-warehouse-adapters.md.

SQL passed to `query` / `execute` writes parameters as `:name` (a list or tuple expands to
`(:name_0, :name_1, ...)` for `in`); the adapter rewrites them into its driver's style and
binds the values, so no value is ever formatted into SQL text.
"""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from marketpulse.retry import LOCK_WAIT, RetryPolicy, call_with_retry

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

DEFAULT_KIND = "duckdb"


class ConfigError(Exception):
    """A setting a user gave is not usable."""


@dataclass(frozen=True)
class RawTable:
    """A raw table written row by row from Python (the run audit), not through dlt."""

    schema: str
    name: str
    ddl: str  # `create table if not exists <schema>.<name> (...)` in portable SQL
    columns: pa.Schema  # the same columns for the parquet lake

    @property
    def insert(self) -> str:
        names = self.columns.names
        return (
            f"insert into {self.schema}.{self.name} ({', '.join(names)})"
            f" values ({', '.join(':' + name for name in names)})"
        )


# A string literal, a quoted identifier or a comment is copied as it is (a `:` inside one is
# text, not a parameter); `::` is a cast; `:name` is a parameter; a bare `%` is text.
_TOKENS = re.compile(
    r"""
      (?P<text>'(?:[^']|'')*' | "(?:[^"]|"")*" | --[^\n]* | /\*.*?\*/)
    | (?P<cast>::)
    | (?<![\w:]):(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<percent>%)
    """,
    re.VERBOSE | re.DOTALL,
)


class Warehouse(ABC):
    """A warehouse kind: subclasses register under `kind` and carry their own settings."""

    kind: ClassVar[str]
    # The driver's positional placeholder, and whether a literal `%` must be doubled
    # (psycopg2 formats the whole statement when parameters are given).
    placeholder: ClassVar[str] = "?"
    escape_percent: ClassVar[bool] = False
    # `open` a file or a folder, `connect to` a server: for one-line errors.
    connect_verb: ClassVar[str] = "open"
    # Whether the warehouse has database roles (grant-bi creates a read-only one).
    has_roles: ClassVar[bool] = False
    # Why rows cannot be deleted in place, when they cannot (an append-only lake).
    append_only: ClassVar[str | None] = None
    # The kind a bare `make demo` uses (its hints need no "note: loading into ...").
    is_default: ClassVar[bool] = False

    _kinds: ClassVar[dict[str, type[Warehouse]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            Warehouse._kinds[cls.kind] = cls

    # -- choosing one ---------------------------------------------------------------------

    @classmethod
    def kinds(cls) -> tuple[str, ...]:
        return tuple(Warehouse._kinds)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Warehouse:
        """The warehouse WAREHOUSE names (default duckdb), with its settings from `env`."""
        env = dict(os.environ if env is None else env)
        kind = env.get("WAREHOUSE", DEFAULT_KIND).strip().lower() or DEFAULT_KIND
        adapter = Warehouse._kinds.get(kind)
        if adapter is None:
            raise ConfigError(
                f"WAREHOUSE={kind!r} is not supported; use one of: {', '.join(cls.kinds())}"
            )
        return adapter.from_settings(env)

    @classmethod
    @abstractmethod
    def from_settings(cls, env: Mapping[str, str]) -> Warehouse:
        """This kind's own settings, read from the environment."""

    # -- what it is -----------------------------------------------------------------------

    @abstractmethod
    def describe(self) -> str:
        """Where the data goes, safe to print (never a password)."""

    @property
    def dbt_target(self) -> str:
        """The output in profiles.yml (named after the kind)."""
        return self.kind

    def env(self) -> dict[str, str]:
        """What a subprocess (dbt, a child marketpulse) needs to reach this same warehouse."""
        return {"WAREHOUSE": self.kind, **self.settings_env()}

    @abstractmethod
    def settings_env(self) -> dict[str, str]:
        """This kind's settings as the environment variables profiles.yml reads."""

    def identifiers(self) -> dict[str, str]:
        """What identifies a server or a credential (`host`, `port`, `user`, `database`,
        `password`): masked in files that leave the machine (marketpulse/ops/artifacts.py).
        A local file names no server: nothing."""
        return {}

    def exists(self) -> bool:
        """False only when it certainly does not exist yet (a DuckDB file not created)."""
        return True

    def marts_hint(self) -> str | None:
        """One line after a build: where else the marts can be read from, if anywhere."""
        return None

    # -- dlt ------------------------------------------------------------------------------

    @abstractmethod
    def dlt_destination(self) -> Any: ...

    def loader_file_format(self) -> str | None:
        """What dlt writes; None: the destination's own default."""
        return None

    @abstractmethod
    def pipelines_dir(self) -> Path:
        """dlt's local working state: a cache of what the warehouse holds, one per warehouse.

        The authoritative pipeline state (cursors) lives in the warehouse itself; dlt restores
        it from there, and wipes this cache when the warehouse has no such dataset.
        """

    # -- connections ----------------------------------------------------------------------

    @abstractmethod
    def open_connection(self, read_only: bool, timeout: int) -> Any:
        """One DB-API connection attempt (no retry)."""

    def connect(
        self, read_only: bool = True, timeout: int = 10, wait: RetryPolicy | None = None
    ) -> Any:
        """A DB-API connection; keep it short-lived (DuckDB allows one writer per file).

        With `wait`, a lock held by another process is retried under that policy; without,
        the first error is raised (fail fast: a writer that finds the file taken says so).
        """
        if wait is None:
            return self.open_connection(read_only, timeout)
        return call_with_retry(
            lambda: self.open_connection(read_only, timeout),
            wait,
            what=f"{self.connect_verb} {self.describe()}",
            retry_if=self.is_lock_error,
            announce=False,  # a reader waiting for a writer's lock: not a failure to report
        )

    def is_lock_error(self, exc: BaseException) -> bool:
        """Whether `exc` means another process holds a lock we need (worth waiting for)."""
        return False

    @contextmanager
    def writer_lock(self, waiting: Callable[[str], None]) -> Iterator[None]:
        """One marketpulse writer (an ingest, a build) at a time on this warehouse: wait for
        the one in progress, telling `waiting` once. DuckDB needs nothing here (one process
        holds a file; another writer is refused at once), nor a local lake."""
        yield

    def is_unreachable(self, exc: BaseException) -> bool:
        """Whether `exc` means the warehouse cannot be reached or opened at all."""
        return isinstance(exc, OSError)

    def cursor(self, connection: Any) -> Any:
        """Where statements run: the driver's cursor."""
        return connection.cursor()

    def begin(self, cursor: Any) -> None:
        """Start a transaction on a read-write connection (DB-API drivers open one implicitly)."""
        return None

    @contextmanager
    def session(
        self, read_only: bool = True, timeout: int = 10, wait: RetryPolicy | None = None
    ) -> Iterator[Session]:
        """One connection for several statements. Read-only sessions wait for a lock held by
        a writer (LOCK_WAIT); a read-write session is one transaction, committed at the end."""
        policy = wait if wait is not None else (LOCK_WAIT if read_only else None)
        connection = self.connect(read_only=read_only, timeout=timeout, wait=policy)
        try:
            session = Session(self, connection)
            if not read_only:
                self.begin(session.cursor)
            yield session
            if not read_only:
                connection.commit()
        except BaseException:
            if not read_only:
                with suppress(Exception):
                    connection.rollback()
            raise
        finally:
            connection.close()

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run one read-only query with bound `:name` parameters; the rows as a DataFrame."""
        with self.session(read_only=True) as session:
            return session.query(sql, params)

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        """Run one statement in its own read-write transaction."""
        with self.session(read_only=False) as session:
            session.execute(sql, params)

    def paramstyle(self, connection: Any) -> tuple[str, bool]:
        """The placeholder and whether `%` is doubled, for statements on `connection`."""
        return self.placeholder, self.escape_percent

    def columns(self, session: Session, schemas: Sequence[str]) -> dict[tuple[str, str], set[str]]:
        """(schema, table) -> its columns, for every table and view in `schemas`."""
        sql = (
            "select table_schema, table_name, column_name from information_schema.columns"
            " where table_schema in :schemas"
        )
        found: dict[tuple[str, str], set[str]] = {}
        for schema, table, column in session.rows(sql, {"schemas": list(schemas)}):
            found.setdefault((schema, table), set()).add(column)
        return found

    def tables(self, session: Session, schema: str) -> set[str]:
        """The tables and views in `schema`."""
        return {table for _, table in self.columns(session, [schema])}

    def bind(
        self,
        sql: str,
        params: Mapping[str, Any] | None,
        style: tuple[str, bool] | None = None,
    ) -> tuple[str, tuple[Any, ...]]:
        """`:name` placeholders to the driver's positional style, and the values in order."""
        params = params or {}
        values: list[Any] = []
        placeholder, escape_percent = style or (self.placeholder, self.escape_percent)

        def replace(match: re.Match[str]) -> str:
            if match.group("text") is not None:
                text = match.group("text")
                return text.replace("%", "%%") if escape_percent else text
            if match.group("cast") is not None:
                return "::"
            if match.group("percent") is not None:
                return "%%" if escape_percent else "%"
            name = match.group("name")
            if name not in params:
                raise KeyError(f"no value given for the SQL parameter :{name}")
            value = params[name]
            if isinstance(value, list | tuple):
                if not value:
                    return "(null)"
                values.extend(value)
                return "(" + ", ".join([placeholder] * len(value)) + ")"
            values.append(value)
            return placeholder

        return _TOKENS.sub(replace, sql), tuple(values)

    # -- raw tables written from Python (the run audit) -------------------------------------

    def ensure_tables(self, tables: Sequence[RawTable]) -> None:
        """Create the schemas and tables if missing (so dbt finds them even before a run)."""
        with self.session(read_only=False) as session:
            for table in tables:
                session.execute(f"create schema if not exists {table.schema}")
                session.execute(table.ddl)

    def append_rows(self, batches: Sequence[tuple[RawTable, Sequence[Sequence[Any]]]]) -> None:
        """Append rows to raw tables, all of them in one transaction."""
        with self.session(read_only=False) as session:
            for table, _ in batches:
                session.execute(f"create schema if not exists {table.schema}")
                session.execute(table.ddl)
            for table, rows in batches:
                names = table.columns.names
                session.executemany(
                    table.insert, [dict(zip(names, row, strict=True)) for row in rows]
                )


class Session:
    """One open connection; statements with `:name` parameters (see `Warehouse.bind`)."""

    def __init__(self, warehouse: Warehouse, connection: Any) -> None:
        self.warehouse = warehouse
        self.connection = connection
        self.cursor = warehouse.cursor(connection)
        self.style = warehouse.paramstyle(connection)

    def _run(self, sql: str, params: Mapping[str, Any] | None) -> None:
        text, values = self.warehouse.bind(sql, params, self.style)
        self.cursor.execute(text, values)

    def columns(self, schemas: Sequence[str]) -> dict[tuple[str, str], set[str]]:
        """(schema, table) -> its columns, for every table and view in `schemas` (the
        warehouse's catalog: information_schema, or Spark's own)."""
        return self.warehouse.columns(self, schemas)

    def tables(self, schema: str) -> set[str]:
        """The tables and views in `schema`."""
        return self.warehouse.tables(self, schema)

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        self._run(sql, params)

    def executemany(self, sql: str, rows: Iterable[Mapping[str, Any]]) -> None:
        bound = [self.warehouse.bind(sql, row, self.style) for row in rows]
        if bound:
            self.cursor.executemany(bound[0][0], [values for _, values in bound])

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        self._run(sql, params)
        return [tuple(row) for row in self.cursor.fetchall()]

    def records(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """The rows as dicts, values as the driver returns them (dates stay dates)."""
        self._run(sql, params)
        names = [column[0] for column in self.cursor.description]
        return [dict(zip(names, row, strict=True)) for row in self.cursor.fetchall()]

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        import pandas as pd

        self._run(sql, params)
        rows = self.cursor.fetchall()
        columns = [column[0] for column in self.cursor.description]
        return pd.DataFrame.from_records(rows, columns=columns)
