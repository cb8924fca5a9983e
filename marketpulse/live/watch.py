"""`python -m marketpulse watch`: intraday micro-batches while the NYSE is open.

Every `interval` seconds during market hours: fetch the new 30-minute bars (raw_yahoo via the
intraday pipeline), `dbt build` only the models downstream of them, and nudge the live service.
When the market is closed it sleeps until the next open from the exchange calendar, in short
steps so Ctrl-C is answered at once.

Stopping (SIGINT / SIGTERM) never leaves anything half-written:
- while fetching: the fetch is abandoned and nothing of it is loaded (the dlt resource raises
  before its load package is complete; pending packages are dropped);
- while loading or building: that step and the rest of the micro-batch finish (a dlt load
  package is atomic; dbt runs in this process, where a signal only sets the stop flag), then
  the loop exits;
- a second signal stops at once (KeyboardInterrupt).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType

import dlt

from marketpulse.build.dbt import dbt_env
from marketpulse.ingest import runner
from marketpulse.ingest.config import IngestConfig
from marketpulse.ingest.report import Progress, SourceReport
from marketpulse.live import market_hours
from marketpulse.sources.yahoo.client import YahooClient, YFinanceClient
from marketpulse.sources.yahoo.intraday import STOPPED_WHILE_FETCHING, Clock, yahoo_intraday_source
from marketpulse.warehouse import Warehouse

# The intraday staging model and everything downstream of it (the two intraday marts).
DBT_SELECTOR = "stg_yahoo__prices_intraday+"
MAX_SLEEP_STEP = 1.0  # seconds: the longest Ctrl-C waits while idle


class StopSignal:
    """The first SIGINT/SIGTERM asks for a clean stop; the second one interrupts."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, object] = {}

    def install(self) -> StopSignal:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print(
            f"\nwatch: {signal.Signals(signum).name}: stopping after the current step "
            "(again to interrupt)",
            file=sys.stderr,
            flush=True,
        )

    def __call__(self) -> bool:
        return self.requested

    def sleep(self, seconds: float) -> None:
        """Sleep up to `seconds`, returning early once a stop is requested."""
        deadline = time.monotonic() + max(0.0, seconds)
        while not self.requested and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(MAX_SLEEP_STEP, left))


@dataclass
class Cycle:
    started_at: datetime
    report: SourceReport
    rows: int = 0
    built: bool = False
    aborted: bool = False
    timings: dict[str, float] = field(default_factory=dict)


def run_cycle(
    config: IngestConfig,
    warehouse: Warehouse,
    client: YahooClient,
    stop: Callable[[], bool],
    clock: Clock,
    progress: Progress,
    notify: str | None = None,
    build: Callable[[], int] | None = None,
) -> Cycle:
    """One micro-batch: fetch + load the new bars, dbt build the intraday models, notify."""
    started = time.monotonic()

    def resources(report: SourceReport) -> list:  # type: ignore[type-arg]
        return yahoo_intraday_source(
            config.symbols,
            client,
            report,
            progress,
            start_date=config.yahoo_start,
            clock=clock,
            should_stop=stop,
        )

    report = runner.run_source("intraday", resources, warehouse)
    cycle = Cycle(clock(), report, rows=sum(report.rows.values()))
    cycle.timings["load"] = time.monotonic() - started
    if report.fatal and STOPPED_WHILE_FETCHING in report.fatal:
        drop_pending_packages(warehouse)
        cycle.aborted = True
        return cycle
    if report.fatal or not report.loaded:
        return cycle
    built = time.monotonic()
    cycle.built = (build or IntradayBuild(warehouse))() == 0
    cycle.timings["dbt"] = time.monotonic() - built
    if cycle.built and notify:
        notify_service(notify)
    cycle.timings["total"] = time.monotonic() - started
    return cycle


def drop_pending_packages(warehouse: Warehouse) -> None:
    """After an abandoned fetch: make sure no partial package is loaded by a later run."""
    pipeline = dlt.pipeline(
        pipeline_name="marketpulse_intraday",
        destination=warehouse.dlt_destination(),
        dataset_name=runner.DATASETS["intraday"],
        pipelines_dir=str(warehouse.pipelines_dir()),
    )
    if pipeline.has_pending_data:
        pipeline.drop_pending_packages()


class IntradayBuild:
    """`dbt build --select stg_yahoo__prices_intraday+`, in this process.

    dbt runs in-process (dbtRunner) with the project parsed once and the manifest reused, so a
    micro-batch pays neither dbt's start-up nor its parse (seconds each; the latency target is
    10 s). A signal only sets the stop flag, so a build in progress always finishes. After each
    build dbt-duckdb's database handle is closed: DuckDB allows one process to hold the file,
    and the live service reads it between micro-batches.
    """

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self._manifest: object | None = None

    def __call__(self) -> int:
        from dbt.cli.main import dbtRunner

        with patched_environ(dbt_env(self.warehouse)):
            try:
                if self._manifest is None:
                    parsed = dbtRunner().invoke(["parse", "--quiet"])
                    if not parsed.success:
                        return 1
                    self._manifest = parsed.result
                result = dbtRunner(manifest=self._manifest).invoke(  # type: ignore[arg-type]
                    ["build", "--quiet", "--select", DBT_SELECTOR]
                )
                return 0 if result.success else 1
            finally:
                release_duckdb()


@contextlib.contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def release_duckdb() -> None:
    """Close dbt-duckdb's process-wide database handle (it keeps the file locked otherwise)."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        if environment is not None:
            environment.close()
            DuckDBConnectionManager._ENV = None


_unreachable: set[str] = set()


def notify_service(url: str) -> None:
    """Tell the live service a micro-batch landed; it then reads fct_intraday_snapshot.
    A service that is not running is reported once, not every minute."""
    from websockets.sync.client import connect

    try:
        with connect(url, open_timeout=2, close_timeout=1) as connection:
            connection.send(json.dumps({"action": "refresh"}))
        _unreachable.discard(url)
    except Exception as exc:  # OSError, TimeoutError, websockets errors: service not running
        if url not in _unreachable:
            _unreachable.add(url)
            print(
                f"watch: live service at {url} not reachable ({exc}); carrying on", file=sys.stderr
            )


def watch(
    config: IngestConfig,
    warehouse: Warehouse,
    client: YahooClient,
    stop: StopSignal,
    interval: float = 60.0,
    notify: str | None = None,
    clock: Clock = lambda: datetime.now(UTC),
    max_cycles: int | None = None,
    progress: Progress | None = None,
) -> int:
    progress = progress or Progress(quiet=True)
    build = IntradayBuild(warehouse)
    cycles = 0
    while not stop.requested and (max_cycles is None or cycles < max_cycles):
        now = clock()
        if not market_hours.is_open(now):
            opens = market_hours.next_open(now)
            print(
                f"watch: market closed; sleeping until the next open {opens:%Y-%m-%d %H:%M}Z",
                flush=True,  # a log file shows it now, not when the buffer fills hours later
            )
            # Re-check the calendar at least hourly (and the clock jumps of a laptop's sleep).
            stop.sleep(min((opens - now).total_seconds(), 3600.0))
            continue
        started = time.monotonic()
        cycle = run_cycle(config, warehouse, client, stop, clock, progress, notify, build)
        cycles += 1
        print(describe(cycle), flush=True)
        if cycle.aborted:
            break
        stop.sleep(interval - (time.monotonic() - started))
    print("watch: stopped cleanly", flush=True)
    return 0


def describe(cycle: Cycle) -> str:
    stamp = f"{cycle.started_at:%H:%M:%S}Z"
    if cycle.aborted:
        return f"watch {stamp}: stop requested while fetching; nothing of this batch was loaded"
    if cycle.report.fatal:
        return f"watch {stamp}: FAILED: {cycle.report.fatal}"
    if cycle.report.refused:
        return f"watch {stamp}: REFUSED: {cycle.report.refused}"
    failed = f", {len(cycle.report.failed)} symbols failed" if cycle.report.failed else ""
    build = "dbt build ok" if cycle.built else "dbt build FAILED (see above)"
    if not cycle.report.loaded:
        build = "nothing loaded"
    timings = ", ".join(f"{k} {v:.1f}s" for k, v in cycle.timings.items())
    return f"watch {stamp}: {cycle.rows} bars{failed}; {build} ({timings})"


def main(
    config: IngestConfig,
    warehouse: Warehouse,
    interval: int,
    notify: str | None,
    client: YahooClient | None = None,
    clock: Clock | None = None,
) -> int:
    """The CLI's watch: stdout line-buffered, so a log file (`make watch > watch.log`) shows
    each line as it is printed, as a terminal does."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    stop = StopSignal().install()
    try:
        return watch(
            config,
            warehouse,
            client or YFinanceClient(),
            stop,
            interval=interval,
            notify=notify,
            clock=clock or (lambda: datetime.now(UTC)),
        )
    except KeyboardInterrupt:
        print("watch: interrupted", file=sys.stderr)
        return 130
    finally:
        stop.restore()
