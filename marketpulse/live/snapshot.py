"""Reading marts.fct_intraday_snapshot for the live service, and turning rows into messages.

The service reads the warehouse with short read-only connections only (DuckDB allows one
writing process per file: watch mode). When the writer holds the file the read is retried.
"""

from __future__ import annotations

import math
import time
from contextlib import closing
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from marketpulse.warehouse import Warehouse

SNAPSHOT_SQL = "select * from marts.fct_intraday_snapshot"
# MARKET_ALERT thresholds: the move against the previous close, and the session's volume so
# far against the usual volume by this time of day (with enough history to compare).
PRICE_MOVE_ALERT = 0.02
RELATIVE_VOLUME_ALERT = 2.0
MIN_VOLUME_HISTORY = 5


class SnapshotUnavailableError(Exception):
    """The snapshot could not be read (no such table yet, warehouse down, file locked)."""


def read_snapshot(warehouse: Warehouse, attempts: int = 10, pause: float = 0.2) -> list[dict]:
    """All rows of the snapshot as JSON-ready dicts; retries while another process writes."""
    last_error: Exception | None = None
    for attempt in range(attempts):
        try:
            with closing(warehouse.connect(read_only=True, timeout=5)) as connection:
                cursor = connection.cursor()
                cursor.execute(SNAPSHOT_SQL)
                columns = [column[0] for column in cursor.description]
                return [
                    {name: jsonable(value) for name, value in zip(columns, row, strict=True)}
                    for row in cursor.fetchall()
                ]
        except Exception as exc:  # duckdb.IOException (locked), CatalogException, psycopg2 errors
            last_error = exc
            if "lock" not in str(exc).lower() or attempt == attempts - 1:
                break
            time.sleep(pause)
    reason = str(last_error).strip().splitlines()[0] if last_error else "unknown error"
    raise SnapshotUnavailableError(f"cannot read marts.fct_intraday_snapshot: {reason}")


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def alerts_for(row: dict) -> list[dict]:
    """The MARKET_ALERT payloads a snapshot row raises (none for an ordinary bar)."""
    alerts = []
    change_pct = row.get("change_pct")
    if change_pct is not None and abs(change_pct) >= PRICE_MOVE_ALERT:
        alerts.append(
            {
                "symbol": row["symbol"],
                "kind": "price_move",
                "bar_start_at": row["bar_start_at"],
                "value": change_pct,
                "threshold": PRICE_MOVE_ALERT,
                "message": f"{row['symbol']} {change_pct:+.2%} vs the previous close",
            }
        )
    relative = row.get("relative_volume")
    history = row.get("volume_history_sessions") or 0
    if relative is not None and history >= MIN_VOLUME_HISTORY and relative >= RELATIVE_VOLUME_ALERT:
        alerts.append(
            {
                "symbol": row["symbol"],
                "kind": "volume_spike",
                "bar_start_at": row["bar_start_at"],
                "value": relative,
                "threshold": RELATIVE_VOLUME_ALERT,
                "message": f"{row['symbol']} volume {relative:.1f}x the usual by this time of day",
            }
        )
    return alerts
