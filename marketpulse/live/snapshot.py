"""Reading marts.fct_intraday_snapshot for the live service, and turning rows into messages.

The service reads the warehouse with short read-only connections only (DuckDB allows one
writing process per file: watch mode). When the writer holds the file the read waits for it (marketpulse.retry).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from marketpulse.errors import one_line
from marketpulse.retry import RetryPolicy
from marketpulse.warehouse import Warehouse

SNAPSHOT_SQL = "select * from marts.fct_intraday_snapshot"
# MARKET_ALERT thresholds: the move against the previous close, and the session's volume so
# far against the usual volume by this time of day (with enough history to compare).
PRICE_MOVE_ALERT = 0.02
RELATIVE_VOLUME_ALERT = 2.0
MIN_VOLUME_HISTORY = 5


class SnapshotUnavailableError(Exception):
    """The snapshot could not be read (no such table yet, warehouse down, file locked)."""


# Watch mode holds the DuckDB file for a moment each minute: wait ~2 s for it, then report.
SNAPSHOT_WAIT = RetryPolicy(attempts=10, base_delay=0.2, max_delay=0.2, jitter=False)


def read_snapshot(warehouse: Warehouse, wait: RetryPolicy = SNAPSHOT_WAIT) -> list[dict]:
    """All rows of the snapshot as JSON-ready dicts; waits while another process writes."""
    try:
        with warehouse.session(read_only=True, timeout=5, wait=wait) as session:
            records = session.records(SNAPSHOT_SQL)
    except Exception as exc:  # locked for too long, no such table yet, warehouse down
        raise SnapshotUnavailableError(
            f"cannot read marts.fct_intraday_snapshot: {one_line(exc)}"
        ) from exc
    return [{name: jsonable(value) for name, value in record.items()} for record in records]


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
