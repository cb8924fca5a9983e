"""What to run next, per warehouse kind: the advice the demo, the ingest and health print.

Every hint is a command that runs as written from the repository root and reaches the same
warehouse the program just used: after `WAREHOUSE=postgres PGDATABASE=marketpulse make demo`
the hints carry those settings, and the way back to an empty warehouse is `make reset`, which
works on every kind (not `make clean`, which only deletes local files). The per-kind parts are
looked up in dicts keyed by the warehouse's kind; nothing outside marketpulse/warehouse/ needs
to know which kind it is.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

from marketpulse.warehouse import (
    DEFAULT_DUCKDB_PATH,
    DEFAULT_LAKE,
    DEFAULT_SPARK_DIR,
    Warehouse,
)

ROOT = Path(__file__).resolve().parents[2]
PG_DEFAULTS = {"host": ("PGHOST", "127.0.0.1"), "port": ("PGPORT", "5432")}
PG_DEFAULTS |= {"username": ("PGUSER", "postgres"), "sslmode": ("PGSSLMODE", "prefer")}
PG_DEFAULTS |= {"sslrootcert": ("PGSSLROOTCERT", "")}


def _duckdb_settings(warehouse: Warehouse) -> list[str]:
    if warehouse.duckdb_path == ROOT / DEFAULT_DUCKDB_PATH:
        return []
    return [f"MARKETPULSE_DUCKDB_PATH={warehouse.duckdb_path}"]


def _postgres_settings(warehouse: Warehouse) -> list[str]:
    """WAREHOUSE and the database always; host, port, user only where not the default.

    The password is never printed: it stays in the user's environment.
    """
    pg = warehouse.pg
    settings = ["WAREHOUSE=postgres"]
    settings += [
        f"{var}={pg[key]}" for key, (var, default) in PG_DEFAULTS.items() if pg[key] != default
    ]
    return [*settings, f"PGDATABASE={pg['database']}"]


def _spark_settings(warehouse: Warehouse) -> list[str]:
    settings = ["WAREHOUSE=spark"]
    if warehouse.lake_url != str(ROOT / DEFAULT_LAKE):
        settings.append(f"MARKETPULSE_LAKE_URL={warehouse.lake_url}")
    if warehouse.spark_dir != ROOT / DEFAULT_SPARK_DIR:
        settings.append(f"MARKETPULSE_SPARK_DIR={warehouse.spark_dir}")
    if warehouse.spark_warehouse_url != str(warehouse.spark_dir / "warehouse"):
        settings.append(f"MARKETPULSE_SPARK_WAREHOUSE_URL={warehouse.spark_warehouse_url}")
    if warehouse.spark.master != "local[*]":
        settings.append(f"MARKETPULSE_SPARK_MASTER={warehouse.spark.master}")
    return settings


SETTINGS: dict[str, Callable[[Warehouse], list[str]]] = {
    "duckdb": _duckdb_settings,
    "postgres": _postgres_settings,
    "spark": _spark_settings,
}


def settings(warehouse: Warehouse) -> str:
    """The environment settings, as a command prefix, that select this warehouse ("" if default)."""
    return "".join(f"{shlex.quote(setting)} " for setting in SETTINGS[warehouse.kind](warehouse))


def make(warehouse: Warehouse, target: str) -> str:
    """`make <target>` on this warehouse, e.g. `WAREHOUSE=postgres PGDATABASE=mp make build`."""
    return f"{settings(warehouse)}make {target}"


def reset(warehouse: Warehouse) -> str:
    """The command that empties this warehouse (the project's own data only)."""
    return make(warehouse, "reset YES=1")


def query(warehouse: Warehouse) -> str:
    """A read-only look at the marts with the console script (no database client needed)."""
    sql = "select * from marts.fct_prices_daily limit 5"
    return f"{settings(warehouse)}.venv/bin/marketpulse query {shlex.quote(sql)}"


def next_steps(warehouse: Warehouse) -> list[str]:
    """The "next:" lines of the demo's summary."""
    where = warehouse.marts_hint()
    return [
        f"{make(warehouse, 'build')}    # rebuild and test the models on the same warehouse",
        f"{make(warehouse, 'docs-serve')}    # the dbt docs site on http://localhost:8080",
        f"{reset(warehouse)} && {make(warehouse, 'ingest')}"
        "    # live data instead (needs internet; never mixed with the sample)",
        f"{query(warehouse)}    # any SQL on the marts, read-only",
        *([where] if where else []),
    ]


def mixed_origin(warehouse: Warehouse) -> str:
    """What to do when sample and live data would meet in one warehouse (ADR 0003)."""
    return f"use another warehouse, or empty this one first: {reset(warehouse)}"
