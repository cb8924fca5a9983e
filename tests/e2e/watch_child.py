"""A watch-mode process for tests/e2e/test_watch.py: the real loop, signal handling and
pipelines, with a scripted Yahoo client (no network) and a clock inside market hours.

    python tests/e2e/watch_child.py <marker file> <fetch delay seconds>

Writes <marker file> when the fifth symbol's fetch starts (mid-cycle), then that fetch takes
<fetch delay> seconds, so the test can send SIGINT while the cycle is fetching.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from marketpulse.ingest import runner
from marketpulse.ingest.config import IngestConfig
from marketpulse.live.watch import StopSignal, watch
from marketpulse.sources.yahoo.client import ReplayYahooClient
from marketpulse.sources.yahoo.scripted import ScriptedYahooClient
from marketpulse.warehouse import Warehouse

NOW = datetime(2019, 1, 2, 15, 0, 1, tzinfo=UTC)  # a Wednesday, 10:00 in New York


def main() -> int:
    marker, delay = Path(sys.argv[1]), float(sys.argv[2])
    fetched: list[str] = []

    def before_fetch(symbol: str) -> None:
        fetched.append(symbol)
        if len(fetched) == 5:
            marker.write_text(symbol)
            time.sleep(delay)

    base = ReplayYahooClient(runner.SAMPLE_DIR / "yahoo", origin="sample")
    client = ScriptedYahooClient(base, before_fetch=before_fetch)
    import pandas as pd

    for symbol in IngestConfig.load().symbols:
        client.push(
            symbol,
            pd.Timestamp("2019-01-02T14:30:00Z"),
            {"Open": 100.0, "High": 101.0, "Low": 99.0, "Close": 100.5, "Volume": 1000},
        )
    stop = StopSignal().install()
    return watch(
        IngestConfig.load(), Warehouse.from_env(), client, stop, interval=1, clock=lambda: NOW
    )


if __name__ == "__main__":
    sys.exit(main())
