"""`python -m marketpulse serve`: a WebSocket endpoint pushing intraday micro-batches.

Protocol (JSON text frames on ws://HOST:PORT/):
  client -> server
    {"action": "subscribe", "topics": ["prices:AAPL", "alerts:all", "system:status"]}
    {"action": "unsubscribe", "topics": [...]}
    {"action": "refresh"}     # "a micro-batch landed": watch mode sends this (--notify)
  server -> client, every message: {"type", "topic", "timestamp" (UTC ISO 8601, when the
  server published it), "data"}
    PRICE_UPDATE    topic prices:<SYMBOL>  data: the symbol's fct_intraday_snapshot row
    MARKET_ALERT    topic alerts:all       data: symbol, kind (price_move | volume_spike), ...
    ML_PREDICTION   topic predictions:<SYMBOL>  data: the symbol's newest forecasts from
                    marts.fct_forecasts: symbol, as_of_date, forecasts [{horizon, target,
                    model, model_version, prediction, lower, upper, fitted_through_date}]
    SYSTEM_STATUS   topic system:status    data: market open?, last refresh, clients, ...
    SUBSCRIBED / ERROR  (replies to a client's own request; topic null)

Where the data comes from: the service reads marts.fct_intraday_snapshot itself, with short
read-only connections, when nudged by a `refresh` (after each watch-mode micro-batch) and
every `poll_interval` seconds in any case (loads by the scheduled workflows). New bars become
PRICE_UPDATEs to that symbol's subscribers, threshold crossings MARKET_ALERTs. A new
as_of_date in marts.fct_forecasts (after `marketpulse forecast`) becomes an ML_PREDICTION to
that symbol's predictions subscribers (predictions.py).

Reconnect-safe: a (re)subscribing client at once gets the latest state of its topics (the
last PRICE_UPDATE per symbol, the recent alerts, a SYSTEM_STATUS).
Slow clients: a message is written to a client's socket at once while that client keeps up;
once its socket buffer holds more than 64 KiB, messages wait in its bounded queue
(`queue_size`), and when that is full the oldest is dropped (and counted), so one slow client
never stalls the others.
Heartbeats: WebSocket ping/pong every 20 s (a peer silent for 20 s more is dropped), and a
SYSTEM_STATUS to system:status subscribers every `status_interval` seconds.
Health: HTTP GET /health on the same port: 200 and JSON when the snapshot was read, else 503.
Limits (settings.py, `[live]`): at most `max_connections` clients at once and
`max_connections_per_address` from one IP address; one more is accepted and at once closed
with code 1013 (try again later) and a reason saying which limit, e.g.
"try again later: server full (1000 connections)". Refusals are counted in SYSTEM_STATUS.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode
from websockets.http11 import Request, Response

from marketpulse.live import market_hours
from marketpulse.live.predictions import (
    PredictionsUnavailableError,
    latest_as_of,
    read_predictions,
)
from marketpulse.live.settings import ConnectionLimits
from marketpulse.live.snapshot import SnapshotUnavailableError, alerts_for, read_snapshot
from marketpulse.warehouse import Warehouse

log = logging.getLogger("marketpulse.live")

PRICES_PREFIX = "prices:"
PREDICTIONS_PREFIX = "predictions:"
ALERTS_TOPIC = "alerts:all"
STATUS_TOPIC = "system:status"
RECENT_ALERTS = 50
MAX_TOPICS_PER_CLIENT = 500
# Above this many bytes waiting in a client's socket buffer, its messages go to its queue.
DIRECT_WRITE_LIMIT = 64 * 1024


def utc_stamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def message(kind: str, topic: str | None, data: Any) -> str:
    return json.dumps({"type": kind, "topic": topic, "timestamp": utc_stamp(), "data": data})


@dataclass(eq=False)
class Client:
    """One connection: its topics and a bounded, drop-oldest outgoing queue."""

    connection: ServerConnection
    queue_size: int
    topics: set[str] = field(default_factory=set)
    dropped: int = 0
    sending: bool = False

    def deliver(self, text: str) -> None:
        """Write at once when nothing is queued or in flight and the socket keeps up (the
        common case: no task switch per client); otherwise queue it behind the others."""
        transport = self.connection.transport
        if (
            not self.sending
            and self.queue.empty()
            and transport is not None
            and transport.get_write_buffer_size() < DIRECT_WRITE_LIMIT
        ):
            broadcast([self.connection], text)
        else:
            self.offer(text)

    def __post_init__(self) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=self.queue_size)

    def offer(self, text: str) -> None:
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(text)

    async def send_forever(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                text = await self.queue.get()
                self.sending = True
                try:
                    await self.connection.send(text)
                finally:
                    self.sending = False


class LiveService:
    def __init__(
        self,
        warehouse: Warehouse,
        poll_interval: float = 30.0,
        status_interval: float = 15.0,
        queue_size: int = 256,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        limits: ConnectionLimits | None = None,
    ) -> None:
        self.warehouse = warehouse
        self.limits = limits or ConnectionLimits()
        self.per_address: dict[str, int] = {}  # IP address -> open clients
        self.refused = 0
        self.poll_interval = poll_interval
        self.status_interval = status_interval
        self.queue_size = queue_size
        self.clock = clock
        self.clients: set[Client] = set()
        self.subscribers: dict[str, set[Client]] = {}
        self.latest_price: dict[str, str] = {}  # topic -> last PRICE_UPDATE text
        self.latest_prediction: dict[str, str] = {}  # topic -> last ML_PREDICTION text
        self.prediction_dates: dict[str, Any] = {}  # symbol -> as_of_date published
        self.forecasts_as_of: Any = None  # max(as_of_date) of fct_forecasts last read
        self.latest_bar: dict[str, tuple[Any, Any]] = {}  # symbol -> (bar_start_at, last_price)
        self.recent_alerts: deque[str] = deque(maxlen=RECENT_ALERTS)
        self.last_refresh_at: str | None = None
        self.last_error: str | None = None
        self.refreshes = 0
        self._refresh_lock = asyncio.Lock()
        self._refresh_wanted = asyncio.Event()

    # -- data ---------------------------------------------------------------------------
    async def refresh(self) -> int:
        """Read the snapshot and the forecasts; publish what changed. Returns how many symbols
        had a new bar."""
        async with self._refresh_lock:
            await self.refresh_predictions()
            return await self._refresh_prices()

    async def refresh_predictions(self) -> int:
        """ML_PREDICTION for every symbol whose newest as_of_date moved; how many."""
        try:
            newest = await asyncio.to_thread(latest_as_of, self.warehouse)
            if newest is None or newest == self.forecasts_as_of:
                return 0
            payloads = await asyncio.to_thread(read_predictions, self.warehouse)
        except PredictionsUnavailableError as exc:
            log.debug("%s", exc)  # forecasts are optional: no fct_forecasts before a forecast
            return 0
        self.forecasts_as_of = newest
        published = 0
        for symbol, payload in payloads.items():
            if self.prediction_dates.get(symbol) == payload["as_of_date"]:
                continue
            self.prediction_dates[symbol] = payload["as_of_date"]
            topic = PREDICTIONS_PREFIX + symbol
            text = message("ML_PREDICTION", topic, payload)
            self.latest_prediction[topic] = text
            self.publish(topic, text)
            published += 1
        return published

    async def _refresh_prices(self) -> int:
        """Read the snapshot; publish the new bars and their alerts."""
        try:
            rows = await asyncio.to_thread(read_snapshot, self.warehouse)
        except SnapshotUnavailableError as exc:
            self.last_error = str(exc)
            log.warning("%s", exc)
            return 0
        self.last_error = None
        self.last_refresh_at = utc_stamp()
        self.refreshes += 1
        changed = 0
        for row in rows:
            symbol = row["symbol"]
            bar = (row["bar_start_at"], row["last_price"])
            if self.latest_bar.get(symbol) == bar:
                continue
            first_sight = symbol not in self.latest_bar
            self.latest_bar[symbol] = bar
            topic = PRICES_PREFIX + symbol
            text = message("PRICE_UPDATE", topic, row)
            self.latest_price[topic] = text
            changed += 1
            self.publish(topic, text)
            if first_sight and self.refreshes == 1:
                continue  # the state found at start-up is not news
            for alert in alerts_for(row):
                alert_text = message("MARKET_ALERT", ALERTS_TOPIC, alert)
                self.recent_alerts.append(alert_text)
                self.publish(ALERTS_TOPIC, alert_text)
        if changed:
            self.publish(STATUS_TOPIC, self.status_message())
        return changed

    def status(self) -> dict[str, Any]:
        now = self.clock()
        is_open = market_hours.is_open(now)
        bars = [bar for bar, _ in self.latest_bar.values() if bar]
        return {
            "status": "ok" if self.last_refresh_at and not self.last_error else "degraded",
            "market_open": is_open,
            "next_close" if is_open else "next_open": utc_stamp(
                market_hours.next_close(now) if is_open else market_hours.next_open(now)
            ),
            "last_refresh_at": self.last_refresh_at,
            "last_error": self.last_error,
            "latest_bar_at": max(bars) if bars else None,
            "symbols": len(self.latest_bar),
            "clients": len(self.clients),
            "max_connections": self.limits.total,
            "refused_connections": self.refused,
            "dropped_messages": sum(client.dropped for client in self.clients),
            "warehouse": self.warehouse.describe(),
        }

    def status_message(self) -> str:
        return message("SYSTEM_STATUS", STATUS_TOPIC, self.status())

    # -- fan-out ------------------------------------------------------------------------
    def publish(self, topic: str, text: str) -> None:
        for client in self.subscribers.get(topic, ()):
            client.deliver(text)

    def subscribe(self, client: Client, topics: list[str]) -> None:
        for topic in topics:
            client.topics.add(topic)
            self.subscribers.setdefault(topic, set()).add(client)
        client.offer(message("SUBSCRIBED", None, {"topics": sorted(client.topics)}))
        # Reconnect-safe: the latest state of every topic asked for, at once.
        for topic in topics:
            if topic in self.latest_price:
                client.offer(self.latest_price[topic])
            elif topic in self.latest_prediction:
                client.offer(self.latest_prediction[topic])
            elif topic == ALERTS_TOPIC:
                for text in self.recent_alerts:
                    client.offer(text)
            elif topic == STATUS_TOPIC:
                client.offer(self.status_message())

    def unsubscribe(self, client: Client, topics: list[str]) -> None:
        for topic in topics:
            client.topics.discard(topic)
            self.subscribers.get(topic, set()).discard(client)

    # -- connections --------------------------------------------------------------------
    def refusal(self, address: str) -> str | None:
        """Why one more client from `address` is refused (the close reason), or None."""
        total, per_address = self.limits.total, self.limits.per_address
        if len(self.clients) >= total:
            return f"try again later: server full ({total} connection{'s' * (total != 1)})"
        if self.per_address.get(address, 0) >= per_address:
            return (
                f"try again later: {per_address} connection{'s' * (per_address != 1)} "
                f"from {address} already (the per-address limit)"
            )
        return None

    async def handle(self, connection: ServerConnection) -> None:
        address = str(connection.remote_address[0]) if connection.remote_address else "unknown"
        reason = self.refusal(address)
        if reason is not None:
            self.refused += 1
            await connection.close(CloseCode.TRY_AGAIN_LATER, reason)
            return
        client = Client(connection, self.queue_size)
        self.clients.add(client)
        self.per_address[address] = self.per_address.get(address, 0) + 1
        sender = asyncio.create_task(client.send_forever())
        try:
            async for raw in connection:
                self.on_message(client, raw)
        except ConnectionClosed:
            pass
        finally:
            self.clients.discard(client)
            self.per_address[address] -= 1
            if not self.per_address[address]:
                del self.per_address[address]
            self.unsubscribe(client, list(client.topics))
            sender.cancel()

    def on_message(self, client: Client, raw: str | bytes) -> None:
        try:
            request = json.loads(raw)
            action = request["action"]
        except (ValueError, KeyError, TypeError):
            client.offer(message("ERROR", None, {"error": 'expected JSON {"action": ...}'}))
            return
        if action == "refresh":
            self._refresh_wanted.set()
            return
        if action not in ("subscribe", "unsubscribe"):
            client.offer(message("ERROR", None, {"error": f"unknown action {action!r}"}))
            return
        topics = request.get("topics")
        if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
            client.offer(message("ERROR", None, {"error": "topics must be a list of strings"}))
            return
        bad = [t for t in topics if not valid_topic(t)]
        if bad:
            client.offer(
                message(
                    "ERROR",
                    None,
                    {
                        "error": f"unknown topic {bad[0]!r}; use prices:<SYMBOL>, "
                        "predictions:<SYMBOL>, alerts:all, system:status"
                    },
                )
            )
            return
        if action == "subscribe":
            if len(client.topics | set(topics)) > MAX_TOPICS_PER_CLIENT:
                client.offer(message("ERROR", None, {"error": "too many topics"}))
                return
            self.subscribe(client, topics)
        else:
            self.unsubscribe(client, topics)

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.path.split("?")[0] != "/health":
            return None
        body = self.status()
        ok = body["status"] == "ok"
        response = connection.respond(
            HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE, json.dumps(body) + "\n"
        )
        del response.headers["Content-Type"]
        response.headers["Content-Type"] = "application/json"
        return response

    # -- background loops ---------------------------------------------------------------
    async def refresh_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._refresh_wanted.wait(), timeout=self.poll_interval)
            self._refresh_wanted.clear()
            await self.refresh()

    async def status_loop(self) -> None:
        while True:
            await asyncio.sleep(self.status_interval)
            if self.subscribers.get(STATUS_TOPIC):
                self.publish(STATUS_TOPIC, self.status_message())

    async def start(self, host: str, port: int) -> Server:
        await self.refresh()
        server = await serve(
            self.handle,
            host,
            port,
            process_request=self.process_request,
            ping_interval=20,
            ping_timeout=20,
            max_size=2**16,
        )
        self._tasks = [
            asyncio.create_task(self.refresh_loop()),
            asyncio.create_task(self.status_loop()),
        ]
        return server

    async def stop(self, server: Server) -> None:
        for task in self._tasks:
            task.cancel()
        server.close()
        await server.wait_closed()


def valid_topic(topic: str) -> bool:
    if topic in (ALERTS_TOPIC, STATUS_TOPIC):
        return True
    for prefix in (PRICES_PREFIX, PREDICTIONS_PREFIX):
        if topic.startswith(prefix):
            return 0 < len(topic.removeprefix(prefix)) <= 20
    return False


async def run(
    warehouse: Warehouse, host: str, port: int, poll_interval: float, limits: ConnectionLimits
) -> int:
    service = LiveService(warehouse, poll_interval=poll_interval, limits=limits)
    server = await service.start(host, port)
    print(
        f"live service on ws://{host}:{port}/ (health: http://{host}:{port}/health), "
        f"{len(service.latest_bar)} symbols from {warehouse.describe()}; at most "
        f"{limits.total} clients, {limits.per_address} per address; Ctrl-C stops",
        flush=True,
    )
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopped.set)
    await stopped.wait()
    await service.stop(server)
    print("live service stopped", flush=True)
    return 0


def main(warehouse: Warehouse, host: str, port: int, poll_interval: float) -> int:
    from marketpulse.live.settings import connection_limits

    limits = connection_limits()  # a bad setting: ConfigError, one line and exit 2 in the CLI
    return asyncio.run(run(warehouse, host, port, poll_interval, limits))
