"""The live service with real WebSocket clients over 127.0.0.1, reading a real (small)
fct_intraday_snapshot table in a scratch DuckDB file."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from marketpulse.live.server import Client, LiveService
from marketpulse.live.settings import ConnectionLimits
from marketpulse.warehouse import Warehouse
from tests.conftest import ROOT

CLOSED_SATURDAY = datetime(2018, 12, 29, 15, 0, tzinfo=UTC)


def write_snapshot(warehouse: Warehouse, rows: list[tuple[str, str, float, float, float]]) -> None:
    with closing(warehouse.connect(read_only=False)) as connection:
        connection.execute("create schema if not exists marts")
        connection.execute(
            "create or replace table marts.fct_intraday_snapshot (symbol varchar,"
            " bar_start_at timestamptz, last_price double, change_pct double,"
            " relative_volume double, volume_history_sessions bigint)"
        )
        for row in rows:
            connection.execute(
                "insert into marts.fct_intraday_snapshot values (?, ?, ?, ?, ?, 20)", row
            )


def run_with_service(
    warehouse: Warehouse, scenario: Callable[[LiveService, str], Awaitable[None]], **options: Any
) -> None:
    async def main() -> None:
        service = LiveService(warehouse, clock=lambda: CLOSED_SATURDAY, **options)
        server = await service.start("127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            await asyncio.wait_for(scenario(service, f"127.0.0.1:{port}"), timeout=60)
        finally:
            await service.stop(server)

    asyncio.run(main())


async def receive(ws: ClientConnection, count: int) -> list[dict[str, Any]]:
    return [json.loads(await asyncio.wait_for(ws.recv(), timeout=10)) for _ in range(count)]


async def subscribe(ws: ClientConnection, *topics: str) -> None:
    await ws.send(json.dumps({"action": "subscribe", "topics": list(topics)}))


BASE = [
    ("AAPL", "2018-12-31 20:30:00+00", 157.74, 0.0126, 0.72),
    ("MSFT", "2018-12-31 20:30:00+00", 101.57, 0.0070, 1.10),
]


def test_a_subscriber_gets_the_latest_state_at_once_and_again_after_reconnecting(
    duckdb_warehouse: Warehouse,
) -> None:
    write_snapshot(duckdb_warehouse, BASE)

    async def scenario(service: LiveService, address: str) -> None:
        for _ in range(2):  # connect, disconnect, reconnect
            async with connect(f"ws://{address}/") as ws:
                await subscribe(ws, "prices:AAPL", "system:status")
                subscribed, price, status = await receive(ws, 3)
                assert subscribed["type"] == "SUBSCRIBED"
                assert price["type"] == "PRICE_UPDATE" and price["topic"] == "prices:AAPL"
                assert price["data"]["last_price"] == 157.74
                assert price["data"]["bar_start_at"] == "2018-12-31T20:30:00Z"
                assert status["type"] == "SYSTEM_STATUS"
                assert status["data"]["market_open"] is False
                assert status["data"]["next_open"] == "2018-12-31T14:30:00.000Z"
                assert status["data"]["symbols"] == 2
                assert datetime.fromisoformat(price["timestamp"]).tzinfo is not None

    run_with_service(duckdb_warehouse, scenario)


def test_a_new_bar_goes_to_that_symbols_subscribers_with_its_alert(
    duckdb_warehouse: Warehouse,
) -> None:
    write_snapshot(duckdb_warehouse, BASE)

    async def scenario(service: LiveService, address: str) -> None:
        async with (
            connect(f"ws://{address}/") as aapl,
            connect(f"ws://{address}/") as msft,
            connect(f"ws://{address}/") as watcher,
        ):
            await subscribe(aapl, "prices:AAPL", "alerts:all")
            await subscribe(msft, "prices:MSFT")
            await receive(aapl, 2)
            await receive(msft, 2)
            # A micro-batch lands: AAPL has a new bar, +4 % on the day and 2.5x the volume.
            write_snapshot(
                duckdb_warehouse,
                [("AAPL", "2019-01-02 14:30:00+00", 164.0, 0.04, 2.5), BASE[1]],
            )
            await watcher.send(json.dumps({"action": "refresh"}))
            update, *alerts = await receive(aapl, 3)
            assert (update["type"], update["data"]["last_price"]) == ("PRICE_UPDATE", 164.0)
            assert {(a["type"], a["data"]["kind"]) for a in alerts} == {
                ("MARKET_ALERT", "price_move"),
                ("MARKET_ALERT", "volume_spike"),
            }
            with pytest.raises(TimeoutError):  # MSFT did not change: nothing for its client
                await asyncio.wait_for(msft.recv(), timeout=1.0)
            # A client subscribing later gets the alerts of the latest batch.
            async with connect(f"ws://{address}/") as late:
                await subscribe(late, "alerts:all")
                _, *late_alerts = await receive(late, 3)
                assert [a["data"]["symbol"] for a in late_alerts] == ["AAPL", "AAPL"]

    run_with_service(duckdb_warehouse, scenario, poll_interval=3600)


def test_a_slow_client_loses_its_oldest_messages_and_stalls_nobody(
    duckdb_warehouse: Warehouse,
) -> None:
    write_snapshot(duckdb_warehouse, BASE)
    payload = "x" * 100_000  # 30 MB in all: more than the loopback socket buffers hold

    async def scenario(service: LiveService, address: str) -> None:
        # The slow client subscribes, then never reads; its receive buffer is tiny, so the
        # server's socket to it fills after a few messages.
        host, port = address.split(":")
        slow = await asyncio.to_thread(raw_subscriber, host, int(port), "prices:TEST")
        async with connect(f"ws://{address}/") as fast:
            await subscribe(fast, "prices:TEST")
            await receive(fast, 1)
            got: list[int] = []

            async def read_fast() -> None:
                while len(got) < 300:
                    got.append(json.loads(await fast.recv())["n"])

            reader = asyncio.create_task(read_fast())
            for n in range(300):
                service.publish("prices:TEST", json.dumps({"n": n, "pad": payload}))
                await asyncio.sleep(0.002)
            await asyncio.wait_for(reader, timeout=20)
            assert got == list(range(300))
            slow_client = next(c for c in service.clients if c.dropped)
            assert slow_client.dropped > 0
            assert slow_client.queue.qsize() == service.queue_size
        slow.close()

    run_with_service(duckdb_warehouse, scenario, queue_size=8)


def raw_subscriber(host: str, port: int, topic: str) -> socket.socket:
    """A WebSocket client by hand (RFC 6455 handshake and one masked text frame)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(1)
    assert answer.startswith(b"HTTP/1.1 101")
    payload = json.dumps({"action": "subscribe", "topics": [topic]}).encode()
    mask = os.urandom(4)
    masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
    sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)
    return sock


def test_bounded_queue_drops_the_oldest() -> None:
    async def main() -> None:
        client = Client(connection=None, queue_size=3)  # type: ignore[arg-type]
        for n in range(5):
            client.offer(str(n))
        assert [client.queue.get_nowait() for _ in range(3)] == ["2", "3", "4"]
        assert client.dropped == 2

    asyncio.run(main())


def test_health_endpoint_and_bad_requests(duckdb_warehouse: Warehouse) -> None:
    async def scenario(service: LiveService, address: str) -> None:
        def health() -> tuple[int, dict[str, Any]]:
            try:
                with urllib.request.urlopen(f"http://{address}/health", timeout=5) as answer:
                    return answer.status, json.loads(answer.read())
            except urllib.error.HTTPError as error:
                return error.code, json.loads(error.read())

        code, body = await asyncio.to_thread(health)
        assert code == 503 and body["status"] == "degraded"
        assert "fct_intraday_snapshot" in body["last_error"]
        write_snapshot(duckdb_warehouse, BASE)
        await service.refresh()
        code, body = await asyncio.to_thread(health)
        assert (code, body["status"], body["symbols"]) == (200, "ok", 2)
        async with connect(f"ws://{address}/") as ws:
            for request in (
                "not json",
                '{"action": "dance"}',
                '{"action": "subscribe", "topics": ["news:AAPL"]}',
            ):
                await ws.send(request)
                (reply,) = await receive(ws, 1)
                assert reply["type"] == "ERROR" and reply["data"]["error"]

    run_with_service(duckdb_warehouse, scenario)


async def refused(ws: ClientConnection) -> tuple[int, str]:
    """The close code and reason of a connection the server refuses after the handshake."""
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), timeout=10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def served(ws: ClientConnection) -> bool:
    await subscribe(ws, "system:status")
    subscribed, status = await receive(ws, 2)
    return subscribed["type"] == "SUBSCRIBED" and status["type"] == "SYSTEM_STATUS"


def test_over_the_connection_limit_a_client_is_closed_with_1013_and_why(
    duckdb_warehouse: Warehouse,
) -> None:
    """Three clients at most: the fourth is closed with 1013 "try again later: server full",
    and once one of the three leaves, a newcomer is served again."""
    write_snapshot(duckdb_warehouse, BASE)

    async def scenario(service: LiveService, address: str) -> None:
        url = f"ws://{address}/"
        first = [await connect(url) for _ in range(3)]
        assert [await served(ws) for ws in first] == [True] * 3
        async with connect(url) as extra:
            assert await refused(extra) == (1013, "try again later: server full (3 connections)")
        await first[0].close()
        while len(service.clients) > 2:
            await asyncio.sleep(0.01)
        async with connect(url) as newcomer:
            assert await served(newcomer)
            await subscribe(newcomer, "system:status")
            _, status = await receive(newcomer, 2)
            assert status["data"]["clients"] == 3
            assert status["data"]["refused_connections"] == 1
            assert status["data"]["max_connections"] == 3
        for ws in first[1:]:
            await ws.close()

    run_with_service(duckdb_warehouse, scenario, limits=ConnectionLimits(3, 3))


def test_one_address_cannot_take_every_connection(duckdb_warehouse: Warehouse) -> None:
    """Two per address: a third client from 127.0.0.1 is refused, one from 127.0.0.2 is not."""
    write_snapshot(duckdb_warehouse, BASE)

    async def scenario(service: LiveService, address: str) -> None:
        url = f"ws://{address}/"
        mine = [await connect(url) for _ in range(2)]
        assert [await served(ws) for ws in mine] == [True, True]
        async with connect(url) as third:
            assert await refused(third) == (
                1013,
                "try again later: 2 connections from 127.0.0.1 already (the per-address limit)",
            )
        async with connect(url, local_addr=("127.0.0.2", 0)) as other:
            assert await served(other)
        for ws in mine:
            await ws.close()

    run_with_service(duckdb_warehouse, scenario, limits=ConnectionLimits(10, 2))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_takes_its_limits_from_the_environment(
    duckdb_warehouse: Warehouse, tmp_path: Path
) -> None:
    """`marketpulse serve` with LIVE__MAX_CONNECTIONS=1: the second client is refused; a
    malformed limit is one line and exit 2."""
    write_snapshot(duckdb_warehouse, BASE)
    env = {**os.environ, **duckdb_warehouse.env()}
    bad = subprocess.run(
        [sys.executable, "-m", "marketpulse", "serve", "--port", str(free_port())],
        cwd=ROOT,
        env={**env, "LIVE__MAX_CONNECTIONS": "lots"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == [
        "error: live.max_connections (LIVE__MAX_CONNECTIONS) = 'lots' must be a whole number"
        " of at least 1"
    ]
    port = free_port()
    service = subprocess.Popen(
        [sys.executable, "-m", "marketpulse", "serve", "--port", str(port)],
        cwd=ROOT,
        env={**env, "LIVE__MAX_CONNECTIONS": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert service.stdout is not None
        banner = service.stdout.readline()
        assert "at most 1 clients, 50 per address" in banner, banner

        async def clients() -> None:
            async with connect(f"ws://127.0.0.1:{port}/") as first:
                assert await served(first)
                async with connect(f"ws://127.0.0.1:{port}/") as second:
                    assert await refused(second) == (
                        1013,
                        "try again later: server full (1 connection)",
                    )

        asyncio.run(asyncio.wait_for(clients(), timeout=60))
    finally:
        service.send_signal(signal.SIGINT)
        service.communicate(timeout=30)
