"""WAREHOUSE=duckdb (the default): an embedded file, one writing process at a time.

`data/marketpulse.duckdb` unless MARKETPULSE_DUCKDB_PATH says otherwise (relative paths are
made absolute, so dbt and dlt, started elsewhere, agree on the file).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from marketpulse.warehouse.base import Warehouse

DEFAULT_DUCKDB_PATH = Path("data") / "marketpulse.duckdb"


@dataclass(frozen=True)
class DuckDBWarehouse(Warehouse):
    duckdb_path: Path

    kind: ClassVar[str] = "duckdb"
    is_default: ClassVar[bool] = True

    @classmethod
    def from_settings(cls, env: Mapping[str, str]) -> DuckDBWarehouse:
        return cls(Path(env.get("MARKETPULSE_DUCKDB_PATH") or DEFAULT_DUCKDB_PATH).absolute())

    def describe(self) -> str:
        return f"duckdb file {self.duckdb_path}"

    def settings_env(self) -> dict[str, str]:
        return {"MARKETPULSE_DUCKDB_PATH": str(self.duckdb_path)}

    def exists(self) -> bool:
        return self.duckdb_path.exists()

    def marts_hint(self) -> str:
        return f"other DuckDB tools open the file read-only: {self.duckdb_path}"

    def dlt_destination(self) -> Any:
        import dlt

        self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        return dlt.destinations.duckdb(credentials=str(self.duckdb_path))

    def pipelines_dir(self) -> Path:
        return self.duckdb_path.parent / ".dlt" / self.duckdb_path.stem

    def open_connection(self, read_only: bool, timeout: int) -> Any:
        import duckdb

        if not read_only:
            self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(self.duckdb_path), read_only=read_only)

    def is_lock_error(self, exc: BaseException) -> bool:
        # DuckDB has no lock exception of its own: another process's lock on the file is an
        # IOException ("Could not set lock on file ...: Conflicting lock is held in ...").
        import duckdb

        return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()

    def is_unreachable(self, exc: BaseException) -> bool:
        import duckdb

        return isinstance(exc, duckdb.IOException | OSError)

    def cursor(self, connection: Any) -> Any:
        # A DuckDB cursor is a second connection with transactions of its own: use the
        # connection itself, so a session's statements share its transaction.
        return connection

    def begin(self, cursor: Any) -> None:
        cursor.execute("begin transaction")
