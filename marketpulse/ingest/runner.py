"""Runs each source through its own dlt pipeline into raw_<source>, isolating failures."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import dlt
from dlt.sources import DltResource

from marketpulse.errors import NoNetworkError, one_line
from marketpulse.ingest.config import IngestConfig
from marketpulse.ingest.origin import MixedOriginError
from marketpulse.ingest.packages import run_pipeline
from marketpulse.ingest.report import Progress, SourceReport
from marketpulse.ops import audit
from marketpulse.retry import RetryPolicy
from marketpulse.sources.fred import fred_source
from marketpulse.sources.fred.client import (
    FredApiClient,
    FredClient,
    FredCsvClient,
    ReplayFredClient,
)
from marketpulse.sources.news import news_source
from marketpulse.sources.news.client import NewsClient, ReplayNewsClient, YahooNewsClient
from marketpulse.sources.trends import trends_source
from marketpulse.sources.trends.client import PyTrendsClient, ReplayTrendsClient, TrendsClient
from marketpulse.sources.yahoo import yahoo_source
from marketpulse.sources.yahoo.client import ReplayYahooClient, YahooClient, YFinanceClient
from marketpulse.sources.yahoo.intraday import yahoo_intraday_source
from marketpulse.warehouse import Warehouse, hints

SOURCES = ("yahoo", "fred", "trends", "news")
# Loaded on request (`--sources intraday`, watch mode, the workflows) and by the demo, not by a
# plain `run`: the 30-minute bars are Yahoo data kept in raw_yahoo, with a pipeline (and
# state) of their own so watch mode can load them every minute without the daily pipeline.
ALL_SOURCES = (*SOURCES, "intraday")
# Sources landing in another source's raw schema (default: raw_<name>).
DATASETS = {"intraday": "raw_yahoo"}
SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"
log = logging.getLogger(__name__)
OFFLINE_HINT = "run `make demo` to try marketpulse offline with the bundled sample data"
# What a user can do about a source's load package that was set aside (ingest/packages.py):
# its pipeline state was rewound, so the next run fetches the same data again.
RETRY_SOURCE = "the next run fetches its data again"


class WarehouseUnreachableError(Exception):
    """The warehouse cannot be written: down, wrong credentials, or locked by another writer."""


def check_warehouse(warehouse: Warehouse) -> None:
    """Fail fast, in one line, before any source is fetched."""
    try:
        warehouse.connect(read_only=False, timeout=5).close()
    except Exception as exc:
        if not warehouse.is_unreachable(exc):
            raise
        reason = one_line(exc, default="connection failed")
        raise WarehouseUnreachableError(
            f"cannot {warehouse.connect_verb} {warehouse.describe()}: {reason}"
        ) from None


def run_source(
    name: str,
    resources: Callable[[SourceReport], list[DltResource]],
    warehouse: Warehouse,
    progress: Progress | None = None,
) -> SourceReport:
    """Extract and load one source; whatever goes wrong ends up in its report, not a traceback."""
    report = SourceReport(name, started_at=datetime.now(UTC))
    pipeline = dlt.pipeline(
        pipeline_name=f"marketpulse_{name}",
        destination=warehouse.dlt_destination(),
        dataset_name=DATASETS.get(name, f"raw_{name}"),
        pipelines_dir=str(warehouse.pipelines_dir()),
        progress=progress.dlt_collector() if progress else None,
    )
    outcome = run_pipeline(
        pipeline, resources(report), warehouse, loader_file_format=warehouse.loader_file_format()
    )
    if outcome.resumed_packages:
        resumed = sum(outcome.resumed_rows.values())
        for table, rows in outcome.resumed_rows.items():
            report.add_rows(table, rows)
        counted = f": {resumed:,} rows" if outcome.resumed_rows else " (rows not counted)"
        report.notes.append(f"finished loading what an interrupted run had fetched{counted}")
    set_aside = [aside.line(RETRY_SOURCE) for aside in outcome.set_aside]
    refusal = _refusal(outcome.error) if outcome.error is not None else None
    if refusal is not None:  # not a failure: nothing was fetched (ADR 0003)
        report.refused = f"{refusal}; {hints.mixed_origin(warehouse)}"
        report.notes += set_aside
    elif outcome.error is not None:  # dlt wraps everything in PipelineStepFailed: the cause
        report.fatal = "; ".join([_explain(name, outcome.error, warehouse), *set_aside])
    else:
        report.notes += set_aside
    report.finished_at = datetime.now(UTC)
    return report


def _refusal(exc: BaseException) -> MixedOriginError | None:
    current: BaseException | None = exc
    seen: list[BaseException] = []
    while current is not None and current not in seen:
        if isinstance(current, MixedOriginError):
            return current
        seen.append(current)
        current = current.__cause__ or current.__context__
    return None


def _explain(name: str, exc: BaseException, warehouse: Warehouse) -> str:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for error in chain:
        if isinstance(error, NoNetworkError):
            return f"no network: {error}; {OFFLINE_HINT}"
        if isinstance(error, MixedOriginError):
            return f"{error}; {hints.mixed_origin(warehouse)}"
    last = chain[-1]
    message = one_line(last)
    return f"{type(last).__name__} while loading into {warehouse.describe()}: {message}"


def live_clients(
    config: IngestConfig,
) -> tuple[YahooClient, FredClient, TrendsClient, NewsClient]:
    fred: FredClient = (
        FredApiClient(config.fred_api_key) if config.fred_api_key else FredCsvClient()
    )
    return YFinanceClient(), fred, PyTrendsClient(), YahooNewsClient()


def sample_clients(
    directory: Path = SAMPLE_DIR,
) -> tuple[YahooClient, FredClient, TrendsClient, NewsClient]:
    return (
        ReplayYahooClient(directory / "yahoo", origin="sample"),
        ReplayFredClient(directory / "fred", origin="sample"),
        ReplayTrendsClient(directory / "trends", origin="sample"),
        ReplayNewsClient(directory / "news", origin="sample"),
    )


def run(
    config: IngestConfig,
    warehouse: Warehouse,
    clients: tuple[YahooClient, FredClient]
    | tuple[YahooClient, FredClient, TrendsClient, NewsClient],
    sources: tuple[str, ...] | None = None,
    progress: Progress | None = None,
    retry: RetryPolicy | None = None,
    run_id: str | None = None,
) -> list[SourceReport]:
    """Load `sources` (default: every source that `clients` has a client for, in SOURCES order),
    then write one audit row per source in raw_audit (marketpulse/ops/audit.py)."""
    progress = progress or Progress()
    yahoo_client, fred_client = clients[0], clients[1]
    trends_client, news_client = (clients[2], clients[3]) if len(clients) == 4 else (None, None)
    sources = SOURCES[: len(clients)] if sources is None else sources
    given = dict(zip(SOURCES, clients, strict=False))
    given["intraday"] = yahoo_client  # the 30-minute bars come from the Yahoo client
    missing = [name for name in sources if given.get(name) is None]
    if missing:
        raise ValueError(f"no client for source {missing[0]!r}")
    check_warehouse(warehouse)
    builders: dict[str, Callable[[SourceReport], list[DltResource]]] = {
        "yahoo": lambda report: yahoo_source(
            config.symbols,
            yahoo_client,
            report,
            progress,
            start_date=config.yahoo_start,
            lag_days=config.yahoo_lag_days,
            retry=retry,
        ),
        "fred": lambda report: fred_source(
            config.series,
            fred_client,
            report,
            progress,
            start_date=config.fred_start,
            lag_days=config.fred_lag_days,
            retry=retry,
        ),
        "trends": lambda report: trends_source(
            config.trends_keywords,
            trends_client,  # type: ignore[arg-type]
            report,
            progress,
            geo=config.trends_geo,
            timeframe=config.trends_timeframe,
            retry=retry,
        ),
        "news": lambda report: news_source(
            config.news_symbols,
            news_client,  # type: ignore[arg-type]
            report,
            progress,
            retry=retry,
        ),
        "intraday": lambda report: yahoo_intraday_source(
            config.symbols,
            yahoo_client,
            report,
            progress,
            start_date=config.yahoo_start,
            retry=retry,
        ),
    }
    reports = []
    with warehouse.writer_lock(announce_wait):  # one writer at a time (ADR 0032)
        for name in sources:
            dataset = DATASETS.get(name, f"raw_{name}")
            progress(name, "", f"-> {dataset} in {warehouse.describe()}")
            reports.append(run_source(name, builders[name], warehouse, progress))
        ran = [report for report in reports if not report.refused]  # a refusal is no run
        try:
            if ran:
                audit.record(warehouse, run_id or audit.new_run_id(), ran, yahoo_client.origin)
        except Exception as exc:  # the audit must never hide what the run itself did
            log.warning("could not write the run audit: %s", one_line(exc, default=repr(exc)))
    return reports


def announce_wait(line: str) -> None:
    """The one line a run prints while another marketpulse run holds the warehouse."""
    print(line, file=sys.stderr, flush=True)
