"""Reading the newest forecasts of marts.fct_forecasts for the live service (ML_PREDICTION).

One payload per symbol: its latest as_of_date and every model's forecast made after that
close (horizon, target, model, model_version, prediction, lower, upper). The service first
asks for max(as_of_date), which the warehouse answers from its statistics, and reads the rows
only when that moved: a refresh costs one small query while no new forecast has landed.
"""

from __future__ import annotations

from typing import Any

from marketpulse.errors import one_line
from marketpulse.live.snapshot import SNAPSHOT_WAIT, jsonable
from marketpulse.retry import RetryPolicy
from marketpulse.warehouse import Warehouse

LATEST_SQL = "select max(as_of_date) from marts.fct_forecasts"
ROWS_SQL = """
select forecasts.symbol, forecasts.as_of_date, forecasts.horizon, forecasts.target,
    forecasts.model, forecasts.model_version, forecasts.prediction, forecasts.lower,
    forecasts.upper, forecasts.fitted_through_date
from marts.fct_forecasts as forecasts
inner join (
    select symbol, max(as_of_date) as as_of_date
    from marts.fct_forecasts
    group by symbol
) as newest
    on forecasts.symbol = newest.symbol and forecasts.as_of_date = newest.as_of_date
order by forecasts.symbol, forecasts.target, forecasts.horizon, forecasts.model
"""


class PredictionsUnavailableError(Exception):
    """No forecasts to read (no fct_forecasts yet, warehouse down, file locked)."""


def latest_as_of(warehouse: Warehouse, wait: RetryPolicy = SNAPSHOT_WAIT) -> Any:
    try:
        with warehouse.session(read_only=True, timeout=5, wait=wait) as session:
            return session.rows(LATEST_SQL)[0][0]
    except Exception as exc:  # no such table yet, warehouse down, locked for too long
        raise PredictionsUnavailableError(
            f"cannot read marts.fct_forecasts: {one_line(exc)}"
        ) from exc


def read_predictions(
    warehouse: Warehouse, wait: RetryPolicy = SNAPSHOT_WAIT
) -> dict[str, dict[str, Any]]:
    """symbol -> {symbol, as_of_date, forecasts: [...]}, JSON-ready."""
    try:
        with warehouse.session(read_only=True, timeout=5, wait=wait) as session:
            records = session.records(ROWS_SQL)
    except Exception as exc:
        raise PredictionsUnavailableError(
            f"cannot read marts.fct_forecasts: {one_line(exc)}"
        ) from exc
    out: dict[str, dict[str, Any]] = {}
    for record in records:
        row = {name: jsonable(value) for name, value in record.items()}
        symbol = row.pop("symbol")
        payload = out.setdefault(
            symbol, {"symbol": symbol, "as_of_date": row["as_of_date"], "forecasts": []}
        )
        row.pop("as_of_date")
        payload["forecasts"].append(row)
    return out
