"""A real ingest run that stops dead at a chosen point, for the SIGKILL test.

`python -m tests.ingest.interrupted_run extract|load|committed` runs the sample ingest into the warehouse
named by the environment, prints KILLPOINT and sleeps at the chosen point; the test then kills
the process with SIGKILL. Nothing here is a mock: only a pause is added.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from datetime import date
from typing import Any

from dlt.load.load import Load

from marketpulse.ingest import runner
from marketpulse.ingest.config import IngestConfig
from marketpulse.ingest.report import Progress
from marketpulse.warehouse import Warehouse

SYMBOLS = ("AAPL", "MSFT", "SPY", "XLK", "XLF", "^GSPC")
SERIES = ("DGS10", "UNRATE", "CPIAUCSL")


def config() -> IngestConfig:
    return replace(
        IngestConfig.load(),
        symbols=SYMBOLS,
        series=SERIES,
        yahoo_start=date(2017, 1, 1),
        fred_start=date(2015, 1, 1),
    )


def pause() -> None:
    print("KILLPOINT", flush=True)
    time.sleep(120)


class PauseAfter(Progress):
    """Pause while extracting, after `count` Yahoo symbols were fetched."""

    def __init__(self, count: int) -> None:
        super().__init__(quiet=True)
        self.count, self.seen = count, 0

    def __call__(self, source: str, item: str, message: str) -> None:
        if source == "yahoo" and item:
            self.seen += 1
            if self.seen == self.count:
                pause()


def pause_mid_load() -> None:
    """Pause once the first prices_daily job has completed, before its merge has run."""
    original = Load.complete_jobs

    def complete_jobs(self: Load, load_id: str, jobs: Any, schema: Any) -> Any:
        remaining, finalized, error = original(self, load_id, jobs, schema)
        if any("prices_daily" in job.file_name() for job in finalized):
            pause()
        return remaining, finalized, error

    Load.complete_jobs = complete_jobs  # type: ignore[method-assign]


def pause_after_a_job_committed() -> None:
    """Pause once a prices_daily load job has written (and committed) its rows into the staging
    table, before dlt marks the job done and merges: a kill here leaves a job dlt will run
    again on the next load. prices_daily is marked `deduplicated` (ADR 0036), so only the
    dedup a resumed package gets back keeps its rows from landing twice."""
    from dlt.common.destination.client import RunnableLoadJob

    original = RunnableLoadJob.run_managed

    def run_managed(self: RunnableLoadJob, *args: Any) -> None:
        inner = self.run

        def run() -> None:
            inner()
            if self.file_name().startswith("prices_daily."):
                pause()

        self.run = run  # type: ignore[method-assign]
        original(self, *args)

    RunnableLoadJob.run_managed = run_managed  # type: ignore[method-assign]


if __name__ == "__main__":
    phase = sys.argv[1]
    if phase == "load":
        pause_mid_load()
    if phase == "committed":
        pause_after_a_job_committed()
    progress = PauseAfter(4) if phase == "extract" else Progress(quiet=True)
    runner.run(config(), Warehouse.from_env(), runner.sample_clients(), progress=progress)
    print("FINISHED", flush=True)
