"""What a long run shows while it runs (issue 17, item 7): every retry is one line on stderr;
per-item lines and dlt's load progress on a terminal only, never in a CI log or a pipe."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from marketpulse.errors import RateLimitedError
from marketpulse.ingest import runner
from marketpulse.ingest.report import Progress
from marketpulse.retry import RetryPolicy
from marketpulse.sources.yahoo.client import ReplayYahooClient
from marketpulse.warehouse import Warehouse
from tests.conftest import FIXTURES, ROOT, fixture_config

STEADY = RetryPolicy(attempts=3, base_delay=0.2, max_delay=1.0, jitter=False)


class TwiceRateLimited(ReplayYahooClient):
    def __init__(self) -> None:
        super().__init__(FIXTURES / "yahoo", origin="recorded")
        self.calls: dict[str, int] = {}

    def history(self, symbol: str, start: date, end: date | None = None) -> pd.DataFrame:
        self.calls[symbol] = self.calls.get(symbol, 0) + 1
        if self.calls[symbol] <= 2:
            raise RateLimitedError(f"{symbol}: rate limited by Yahoo (HTTP 429)")
        return super().history(symbol, start, end)


def test_each_retry_is_one_line_on_stderr(
    duckdb_warehouse: Warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    [report] = runner.run(
        fixture_config(),
        duckdb_warehouse,
        (TwiceRateLimited(), None),  # type: ignore[arg-type]
        sources=("yahoo",),
        progress=Progress(quiet=True),
        retry=STEADY,
    )
    assert report.ok and sorted(report.loaded) == ["AAPL", "SPY"]
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"retry: yahoo {symbol}: attempt {attempt}/3 failed (RateLimitedError: rate limited by"
        f" Yahoo (HTTP 429)); next in {wait}s"
        for symbol in ("AAPL", "SPY")
        for attempt, wait in ((1, "0.2"), (2, "0.4"))
    ]


def ingest(env: dict[str, str], terminal: bool) -> tuple[int, str]:
    """`marketpulse ingest --sample --sources fred`, its stdout a terminal (pty) or a pipe."""
    command = [sys.executable, "-m", "marketpulse", "ingest", "--sample", "--sources", "fred"]
    full_env = {**os.environ, **env}
    full_env.pop("CI", None)
    full_env.update(env)
    if not terminal:
        result = subprocess.run(
            command, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=300
        )
        return result.returncode, result.stdout
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=follower, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=300), b"".join(chunks).decode().replace("\r\n", "\n")


@pytest.mark.parametrize(
    ("terminal", "ci", "shown"), [(True, None, True), (True, "true", False), (False, None, False)]
)
def test_progress_on_a_terminal_only(
    tmp_path: Path, terminal: bool, ci: str | None, shown: bool
) -> None:
    env = {"MARKETPULSE_DUCKDB_PATH": str(tmp_path / "wh.duckdb")}
    if ci:
        env["CI"] = ci
    code, out = ingest(env, terminal)
    assert code == 0, out
    lines = out.splitlines()
    assert "fred: ok; 14 loaded; rows: observations 10,607, series 14" in lines
    per_series = [line for line in lines if line.startswith("  fred   UNRATE ")]
    load_progress = [line for line in lines if "Load marketpulse_fred in " in line]
    assert bool(per_series) is shown and bool(load_progress) is shown, out
