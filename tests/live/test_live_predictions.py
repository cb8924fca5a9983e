"""ML_PREDICTION on predictions:<SYMBOL>: real WebSocket clients over 127.0.0.1, the service
reading a real (small) marts.fct_forecasts table in a scratch DuckDB file."""

from __future__ import annotations

import asyncio
import json
from contextlib import closing

import pytest
from websockets.asyncio.client import connect

from marketpulse.live.server import LiveService
from marketpulse.warehouse import Warehouse
from tests.live.test_live_service import BASE, receive, run_with_service, subscribe, write_snapshot

MODELS = (("return", "zero", 0.0), ("return", "lightgbm", 0.0042), ("volatility", "garch", 0.013))


def write_forecasts(warehouse: Warehouse, as_of: dict[str, str]) -> None:
    """Forecasts of every symbol on its as_of date, plus an older date that must not be sent."""
    with closing(warehouse.connect(read_only=False)) as connection:
        connection.execute("create schema if not exists marts")
        connection.execute(
            "create or replace table marts.fct_forecasts (symbol varchar, as_of_date date,"
            " horizon integer, target varchar, model varchar, model_version varchar,"
            " prediction double, lower double, upper double, fitted_through_date date)"
        )
        for symbol, day in as_of.items():
            for date_sql in (f"date '{day}'", f"date '{day}' - interval 1 day"):
                for target, model, value in MODELS:
                    connection.execute(
                        "insert into marts.fct_forecasts values"
                        f" (?, {date_sql}, 5, ?, ?, 'v1', ?, ?, ?, date '2018-12-03')",
                        [symbol, target, model, value, value - 0.01, value + 0.01],
                    )


def test_new_forecasts_reach_that_symbols_prediction_subscribers(
    duckdb_warehouse: Warehouse,
) -> None:
    write_snapshot(duckdb_warehouse, BASE)
    write_forecasts(duckdb_warehouse, {"AAPL": "2018-12-28", "MSFT": "2018-12-28"})

    async def scenario(service: LiveService, address: str) -> None:
        async with (
            connect(f"ws://{address}/") as aapl,
            connect(f"ws://{address}/") as msft,
            connect(f"ws://{address}/") as watcher,
        ):
            await subscribe(aapl, "predictions:AAPL")
            subscribed, latest = await receive(aapl, 2)  # reconnect-safe: the latest at once
            assert subscribed["type"] == "SUBSCRIBED"
            assert (latest["type"], latest["topic"]) == ("ML_PREDICTION", "predictions:AAPL")
            assert latest["data"]["as_of_date"] == "2018-12-28"
            assert {(f["target"], f["model"]) for f in latest["data"]["forecasts"]} == {
                (target, model) for target, model, _ in MODELS
            }
            gbm = next(f for f in latest["data"]["forecasts"] if f["model"] == "lightgbm")
            assert (gbm["horizon"], gbm["prediction"], gbm["upper"]) == (5, 0.0042, 0.0142)
            await subscribe(msft, "predictions:MSFT")
            await receive(msft, 2)
            # `marketpulse forecast` lands a new session for AAPL only; watch mode nudges.
            write_forecasts(duckdb_warehouse, {"AAPL": "2018-12-31", "MSFT": "2018-12-28"})
            await watcher.send(json.dumps({"action": "refresh"}))
            (update,) = await receive(aapl, 1)
            assert update["type"] == "ML_PREDICTION"
            assert update["data"]["as_of_date"] == "2018-12-31"
            assert len(update["data"]["forecasts"]) == len(MODELS)
            with pytest.raises(TimeoutError):  # MSFT has nothing new: nothing for its client
                await asyncio.wait_for(msft.recv(), timeout=1.0)

    run_with_service(duckdb_warehouse, scenario, poll_interval=3600)


def test_without_forecasts_the_price_service_runs_and_the_topic_is_accepted(
    duckdb_warehouse: Warehouse,
) -> None:
    write_snapshot(duckdb_warehouse, BASE)

    async def scenario(service: LiveService, address: str) -> None:
        async with connect(f"ws://{address}/") as ws:
            await subscribe(ws, "predictions:AAPL", "prices:AAPL")
            subscribed, price = await receive(ws, 2)
            assert subscribed["data"]["topics"] == ["predictions:AAPL", "prices:AAPL"]
            assert price["type"] == "PRICE_UPDATE"
            assert service.status()["status"] == "ok"
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.recv(), timeout=0.5)

    run_with_service(duckdb_warehouse, scenario, poll_interval=3600)
