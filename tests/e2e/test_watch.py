"""Watch mode on a copy of the demo warehouse: a scripted client (no network) hands over new
30-minute bars; a micro-batch lands them in fct_intraday_snapshot, the bar still forming
does not count, and SIGINT in the middle of a fetch leaves the warehouse untouched."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from marketpulse.ingest import runner
from marketpulse.ingest.config import IngestConfig
from marketpulse.ingest.report import Progress
from marketpulse.live.watch import run_cycle
from marketpulse.sources.yahoo.client import ReplayYahooClient
from marketpulse.sources.yahoo.scripted import ScriptedYahooClient
from marketpulse.warehouse import Warehouse
from tests.conftest import ROOT
from tests.sample_warehouses import Demo, query

NEW_BAR = pd.Timestamp("2019-01-02T14:30:00Z")  # 09:30 New York, the first session of 2019


def copy_demo(demo: Demo, tmp: Path) -> Warehouse:
    target = tmp / "watch.duckdb"
    shutil.copyfile(demo.warehouse.duckdb_path, target)
    return Warehouse.from_env({"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(target)})


@pytest.fixture
def dbt_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))


def snapshot(warehouse: Warehouse, symbol: str) -> tuple:
    return query(
        warehouse,
        "select bar_start_at, last_price, previous_trading_date, previous_close, net_change,"
        f" session_volume from marts.fct_intraday_snapshot where symbol = '{symbol}'",
    )[0]


def test_a_micro_batch_lands_the_new_complete_bar(
    demo_duckdb: Demo, tmp_path: Path, dbt_paths: None
) -> None:
    warehouse = copy_demo(demo_duckdb, tmp_path)
    config = IngestConfig.load()
    client = ScriptedYahooClient(ReplayYahooClient(runner.SAMPLE_DIR / "yahoo"))
    for symbol in config.symbols:
        client.push(
            symbol,
            NEW_BAR,
            {"Open": 150.0, "High": 152.0, "Low": 149.0, "Close": 151.25, "Volume": 5000},
        )
    daily = pd.read_csv(runner.SAMPLE_DIR / "yahoo" / "history" / "AAPL.csv")
    close_2018_12_31 = daily.loc[daily["Date"].str.startswith("2018-12-31"), "Close"].item()

    # 09:45: the 09:30 bar is still forming: loaded, flagged, not in the snapshot.
    forming = run_cycle(
        config,
        warehouse,
        client,
        lambda: False,
        lambda: datetime(2019, 1, 2, 14, 45, tzinfo=UTC),
        Progress(quiet=True),
    )
    assert forming.built and not forming.report.failed
    assert query(
        warehouse,
        "select is_complete from marts.fct_prices_intraday"
        f" where symbol = 'AAPL' and bar_start_at = '{NEW_BAR.isoformat()}'",
    ) == [(False,)]
    assert pd.Timestamp(snapshot(warehouse, "AAPL")[0]) == pd.Timestamp("2018-12-31T20:30:00Z")

    # 10:00:05: complete; the snapshot moves to it and compares with the 2018-12-31 close.
    done = run_cycle(
        config,
        warehouse,
        client,
        lambda: False,
        lambda: datetime(2019, 1, 2, 15, 0, 5, tzinfo=UTC),
        Progress(quiet=True),
    )
    assert done.built
    bar_start_at, last_price, previous_date, previous_close, change, volume = snapshot(
        warehouse, "AAPL"
    )
    assert pd.Timestamp(bar_start_at) == NEW_BAR
    assert (last_price, str(previous_date), volume) == (151.25, "2018-12-31", 5000)
    assert previous_close == pytest.approx(close_2018_12_31)
    assert change == pytest.approx(151.25 - close_2018_12_31)
    assert client.served_at.keys() == set(config.symbols)


def test_sigint_while_fetching_leaves_the_warehouse_untouched(
    demo_duckdb: Demo, tmp_path: Path, dbt_paths: None
) -> None:
    warehouse = copy_demo(demo_duckdb, tmp_path)
    count_sql = "select count(*), max(bar_start_at) from raw_yahoo.prices_intraday"
    before = query(warehouse, count_sql)
    marker = tmp_path / "fetching"
    env = {
        **os.environ,
        "WAREHOUSE": "duckdb",
        "MARKETPULSE_DUCKDB_PATH": str(warehouse.duckdb_path),
    }
    child = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "e2e" / "watch_child.py"), str(marker), "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "the watch child never started fetching"
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, out + err
    assert "stop requested while fetching" in out and "stopped cleanly" in out
    assert "SIGINT" in err
    assert query(warehouse, count_sql) == before
    pending = list((warehouse.pipelines_dir() / "marketpulse_intraday").glob("**/new_jobs/*"))
    assert pending == []


def test_a_micro_batch_reaches_a_live_subscriber(
    demo_duckdb: Demo, tmp_path: Path, dbt_paths: None
) -> None:
    """Scripted bar -> watch cycle -> fct_intraday_snapshot -> `python -m marketpulse serve` ->
    a real WebSocket subscriber, which gets the bar, and its state again on reconnecting."""
    import json
    import socket

    from websockets.sync.client import connect

    warehouse = copy_demo(demo_duckdb, tmp_path)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "WAREHOUSE": "duckdb",
        "MARKETPULSE_DUCKDB_PATH": str(warehouse.duckdb_path),
    }
    service = subprocess.Popen(
        [sys.executable, "-m", "marketpulse", "serve", "--port", str(port), "--poll", "3600"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert service.stdout is not None
        assert "live service on" in service.stdout.readline()
        url = f"ws://127.0.0.1:{port}/"
        config = IngestConfig.load()
        client = ScriptedYahooClient(ReplayYahooClient(runner.SAMPLE_DIR / "yahoo"))
        for symbol in config.symbols:
            client.push(
                symbol,
                NEW_BAR,
                {"Open": 150.0, "High": 152.0, "Low": 149.0, "Close": 151.25, "Volume": 5000},
            )
        with connect(url) as subscriber:
            subscriber.send(json.dumps({"action": "subscribe", "topics": ["prices:MSFT"]}))
            assert json.loads(subscriber.recv(timeout=10))["type"] == "SUBSCRIBED"
            old = json.loads(subscriber.recv(timeout=10))
            assert old["data"]["bar_start_at"] == "2018-12-31T20:30:00Z"
            cycle = run_cycle(
                config,
                warehouse,
                client,
                lambda: False,
                lambda: datetime(2019, 1, 2, 15, 0, 5, tzinfo=UTC),
                Progress(quiet=True),
                notify=url,
            )
            assert cycle.built
            update = json.loads(subscriber.recv(timeout=30))
            assert (update["type"], update["topic"]) == ("PRICE_UPDATE", "prices:MSFT")
            assert update["data"]["bar_start_at"] == "2019-01-02T14:30:00Z"
            assert update["data"]["last_price"] == 151.25
            assert update["timestamp"].endswith("Z")
        with connect(url) as again:  # reconnecting: the latest state at once
            again.send(json.dumps({"action": "subscribe", "topics": ["prices:MSFT"]}))
            again.recv(timeout=10)
            latest = json.loads(again.recv(timeout=10))
            assert latest["data"]["bar_start_at"] == "2019-01-02T14:30:00Z"
    finally:
        service.terminate()
        service.wait(timeout=30)
