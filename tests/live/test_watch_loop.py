"""Watch mode's loop without a warehouse: closed-market sleeps from the calendar, and the
two-stage Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from marketpulse.ingest.config import IngestConfig
from marketpulse.live.watch import StopSignal, watch
from marketpulse.warehouse import Warehouse
from tests.conftest import ROOT

CLOSED_CHILD = Path(__file__).with_name("watch_closed_child.py")


class RecordingStop(StopSignal):
    """Records the sleeps instead of sleeping; asks to stop after `sleeps` of them."""

    def __init__(self, sleeps: int) -> None:
        super().__init__()
        self.slept: list[float] = []
        self.left = sleeps

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.left -= 1
        if self.left == 0:
            self.requested = True


@pytest.mark.parametrize(
    ("now", "expected_sleep", "next_open"),
    [
        # Friday after the close (EST): 3 days minus 2 hours to Monday 14:30Z, capped at 1 h.
        (datetime(2018, 12, 28, 21, 0, tzinfo=UTC), 3600.0, "2018-12-31 14:30Z"),
        # Monday 14:00Z = 09:00 New York: 30 minutes to the open.
        (datetime(2018, 12, 31, 14, 0, tzinfo=UTC), 1800.0, "2018-12-31 14:30Z"),
        # Half day 2018-11-23 after its 13:00 close: next open Monday.
        (datetime(2018, 11, 23, 18, 0, tzinfo=UTC), 3600.0, "2018-11-26 14:30Z"),
    ],
)
def test_a_closed_market_sleeps_until_the_next_open(
    now: datetime, expected_sleep: float, next_open: str, capsys: pytest.CaptureFixture[str]
) -> None:
    stop = RecordingStop(sleeps=1)
    warehouse = Warehouse.from_env(
        {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": "/nonexistent/x.duckdb"}
    )
    code = watch(IngestConfig.load(), warehouse, client=None, stop=stop, clock=lambda: now)  # type: ignore[arg-type]
    assert code == 0
    assert stop.slept == [expected_sleep]
    out = capsys.readouterr().out
    assert f"market closed; sleeping until the next open {next_open}" in out
    assert "stopped cleanly" in out


def test_first_signal_asks_to_stop_the_second_interrupts() -> None:
    stop = StopSignal().install()
    try:
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.requested
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
    finally:
        stop.restore()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_stop_sleep_returns_as_soon_as_a_stop_is_requested() -> None:
    stop = StopSignal()
    stop.requested = True
    started = datetime.now(UTC)
    stop.sleep(30)
    assert (datetime.now(UTC) - started).total_seconds() < 1


def test_the_market_closed_line_reaches_a_log_file_while_watch_sleeps(tmp_path: Path) -> None:
    """Issue 18 item 15: stdout is a file (`make watch > watch.log`); the closed-market line
    is in the file while the process sleeps, not only when it exits."""
    log = tmp_path / "watch.log"
    # As in a user's shell: Python buffers a file's output unless told otherwise.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    with log.open("w") as out:
        child = subprocess.Popen(
            [sys.executable, str(CLOSED_CHILD), str(tmp_path / "wh.duckdb")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
        )
    expected = "watch: market closed; sleeping until the next open 2026-12-07 14:30Z"
    try:
        deadline = time.monotonic() + 120  # a bound on start-up under load, not a measurement
        while expected not in log.read_text() and child.poll() is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        assert log.read_text().splitlines() == [expected]
    finally:
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=60)
    assert child.returncode == 0, stderr
    assert log.read_text().splitlines() == [expected, "watch: stopped cleanly"]
