"""A deterministic synthetic universe in the raw Yahoo shape, loaded through the Yahoo pipeline.

Prices are geometric Brownian motions (per-symbol drift and volatility), with consistent
open/high/low, log-normal volume and quarterly dividends on most symbols, on the NYSE sessions
that end on END_DATE. The same (seed, symbols, years) always gives the same rows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import exchange_calendars
import numpy as np
import pandas as pd

from bench.yahoo_client import SyntheticYahooClient
from marketpulse.ingest import runner
from marketpulse.ingest.config import IngestConfig
from marketpulse.ingest.report import Progress
from marketpulse.sources.yahoo import yahoo_source
from marketpulse.warehouse import Warehouse

END_DATE = date(2018, 12, 31)
SESSIONS_PER_YEAR = 252
ORIGIN = "sample_simulated"
OTHER_SOURCES = ("fred", "trends", "news", "intraday")


def sessions(years: int) -> pd.DatetimeIndex:
    calendar = exchange_calendars.get_calendar("XNYS", start="1995-01-01", end="2030-12-31")
    days = calendar.sessions[calendar.sessions <= END_DATE.isoformat()]
    return days[-years * SESSIONS_PER_YEAR :]


def symbol_names(count: int) -> list[str]:
    return [f"SYN{number:04d}" for number in range(count)]


def generate(symbols: int, years: int, seed: int = 20260101) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(prices, dividends) in the columns of raw_yahoo.prices_daily / corporate_actions."""
    days = sessions(years)
    dates = days.date
    count = len(days)
    price_frames, action_frames = [], []
    for number, symbol in enumerate(symbol_names(symbols)):
        rng = np.random.default_rng([seed, number])
        drift = rng.normal(0.07, 0.05) / SESSIONS_PER_YEAR
        volatility = rng.uniform(0.15, 0.5) / np.sqrt(SESSIONS_PER_YEAR)
        log_returns = rng.normal(drift - volatility**2 / 2, volatility, count)
        close = rng.uniform(10, 500) * np.exp(np.cumsum(log_returns))
        open_ = np.concatenate([[close[0]], close[:-1]]) * np.exp(rng.normal(0, 0.003, count))
        high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.006, count)))
        low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.006, count)))
        volume = np.round(np.exp(rng.normal(14, 0.6, count))).astype("int64")
        price_frames.append(
            pd.DataFrame(
                {
                    "symbol": symbol,
                    "trading_date": dates,
                    "open": open_,
                    "high": high,
                    "low": low,
                    "close": close,
                    "adj_close": close,
                    "volume": volume,
                }
            )
        )
        if rng.uniform() < 0.6:
            ex_rows = np.arange(int(rng.integers(20, 63)), count, 63)
            action_frames.append(
                pd.DataFrame(
                    {
                        "symbol": symbol,
                        "ex_date": dates[ex_rows],
                        "action_type": "dividend",
                        "value": np.round(close[ex_rows] * rng.uniform(0.002, 0.01), 4),
                    }
                )
            )
    return pd.concat(price_frames, ignore_index=True), pd.concat(action_frames, ignore_index=True)


def raw_prices(prices: pd.DataFrame, loaded_at: datetime | None = None) -> pd.DataFrame:
    """The rows of raw_yahoo.prices_daily as the pipeline lands them (with its own columns)."""
    return prices.assign(
        exchange_timezone="America/New_York",
        data_origin=ORIGIN,
        _loaded_at=loaded_at or datetime.now(UTC),
    )


def load_yahoo(warehouse: Warehouse, prices: pd.DataFrame, actions: pd.DataFrame) -> None:
    """Into raw_yahoo through the real Yahoo pipeline (marketpulse.ingest.runner and
    marketpulse.sources.yahoo), with bench/yahoo_client.py at the client boundary."""
    load_through_source(warehouse, SyntheticYahooClient(prices, actions))


def load_through_source(warehouse: Warehouse, client: SyntheticYahooClient) -> None:
    """One run of the Yahoo pipeline over every symbol of `client` (built beforehand, so a
    timed call measures the pipeline and not the client's frames)."""
    report = runner.run_source(
        "yahoo",
        lambda report: yahoo_source(
            client.symbols, client, report, Progress(quiet=True), start_date=client.first_date
        ),
        warehouse,
    )
    if not report.ok:
        raise RuntimeError(f"yahoo load failed: {report.fatal or report.failed}")


def load_other_samples(warehouse: Warehouse) -> None:
    """Every source but Yahoo's daily prices from the bundled samples, through the real
    pipelines (FRED, Trends, news, intraday bars), so that a full `dbt build` has every source
    it reads."""
    reports = runner.run(
        IngestConfig.load(),
        warehouse,
        runner.sample_clients(),
        sources=OTHER_SOURCES,
        progress=Progress(quiet=True),
    )
    failed = [report for report in reports if not report.ok]
    if failed:
        raise RuntimeError(f"sample load failed: {failed}")


def import_portfolio(warehouse: Warehouse, prices: pd.DataFrame, folder: Path) -> None:
    """A two-holding portfolio of the universe's first symbols, through the real importer, so
    that the portfolio marts have something to build."""
    from marketpulse.portfolio.importing.importing import import_files

    first_day = prices["trading_date"].min()
    holdings = pd.DataFrame(
        {
            "portfolio_name": "Bench",
            "symbol": sorted(prices["symbol"].unique())[:2],
            "quantity": 100,
            "target_weight": 0.5,
            "cost_basis": 100.0,
            "as_of_date": first_day,
            "base_currency": "USD",
        }
    )
    path = folder / "bench_portfolio.csv"
    holdings.to_csv(path, index=False)
    try:
        if import_files(warehouse, [path]) != 0:
            raise RuntimeError("bench portfolio import failed")
    finally:
        path.unlink(missing_ok=True)
