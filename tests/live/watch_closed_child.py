"""Watch mode as the CLI runs it (marketpulse.live.watch.main), at a Saturday noon in New York:
for tests/live/test_watch_loop.py, which reads its stdout from a file while it sleeps.

    python tests/live/watch_closed_child.py <duckdb path>
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from marketpulse.ingest.config import IngestConfig
from marketpulse.live import watch
from marketpulse.warehouse import Warehouse

SATURDAY = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)

if __name__ == "__main__":
    warehouse = Warehouse.from_env({"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": sys.argv[1]})
    sys.exit(watch.main(IngestConfig.load(), warehouse, 60, None, clock=lambda: SATURDAY))
