"""The ops tests share the quality tests' sliced sample warehouse (DuckDB and Postgres)."""

from tests.quality.conftest import slice_warehouse

__all__ = ["slice_warehouse"]
