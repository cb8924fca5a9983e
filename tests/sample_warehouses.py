"""The bundled sample, built as the demo builds it (DuckDB, Postgres, Spark) or as a small
slice loaded raw, and the helpers that read them. The fixtures that share these builds are in
tests/conftest.py (the slice) and tests/e2e/conftest.py (the demos).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from marketpulse import backtest, forecast
from marketpulse.backtest import config as backtest_config
from marketpulse.build.dbt import run_dbt
from marketpulse.ingest import runner
from marketpulse.ingest.config import IngestConfig
from marketpulse.ingest.report import Progress
from marketpulse.portfolio import optimize
from marketpulse.portfolio.importing.importing import import_files
from marketpulse.portfolio.optimize.engine import Settings
from marketpulse.warehouse import Warehouse
from tests.conftest import ROOT, fixture_config

MARTS = ("dim_symbol", "dim_indicator", "dim_date", "fct_prices_daily", "fct_macro_observations")
MARTS += ("fct_macro_asof_daily", "fct_macro_lens_monthly", "fct_yield_curve_daily")
MARTS += ("fct_trends", "fct_news_sentiment", "fct_sentiment_daily", "fct_sentiment_divergence")
MARTS += ("fct_technical_indicators",)
MARTS += ("fct_prices_weekly",)  # issue 15: the dashboard's weekly bars
MARTS += ("fct_data_quality",)
# The points fct_data_quality sums (ADR 0038): compared across warehouses through it, not yet
# on their own.
POINT_MARTS = ("fct_quality_points",)
MARTS += (  # risk and rotation (issue 3)
    "fct_risk_metrics",
    "fct_rolling_risk",
    "fct_drawdowns",
    "fct_drawdown_episodes",
    "fct_sector_rotation",
)
# The run audit (marts/ops): per-warehouse records of runs, not data; counts grow per run.
OPS_MARTS = ("fct_pipeline_runs", "fct_pipeline_loads", "fct_pipeline_failures")
MARTS += OPS_MARTS
MARTS += ("fct_prices_intraday", "fct_intraday_snapshot")
MARTS += (  # portfolios (issue 8)
    "dim_portfolio",
    "fct_portfolio_holdings_daily",
    "fct_portfolio_performance_daily",
    "fct_portfolio_risk",
)
MARTS += ("fct_optimization_results", "fct_optimization_weights")
# Forecasts (issue 21): Python's outputs from each warehouse's marts. Their SQL columns are
# compared exactly, the model outputs within the GARCH optimiser's tolerance, apart from the
# other marts: tests/e2e/test_forecasts.py.
FORECAST_MARTS = ("fct_forecasts", "fct_forecast_accuracy", "fct_market_regimes")
MARTS += FORECAST_MARTS
MARTS += ("fct_backtest_results", "fct_backtest_equity_daily")  # issue 21


def query(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    with closing(warehouse.connect()) as connection:
        cursor = connection.cursor()
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]


def mart_counts(warehouse: Warehouse) -> dict[str, int]:
    return {
        mart: query(warehouse, f"select count(*) from marts.{mart}")[0][0]
        for mart in MARTS
        if mart not in OPS_MARTS
    }


def build_sample(warehouse: Warehouse, tmp: Path, require_green: bool = True) -> int:
    """What `make demo` does, step by step: sample data through dlt, then `dbt build`, then the
    demo's optimization and backtests; returns dbt's exit code (asserted 0 unless require_green is False)."""
    reports = runner.run(
        IngestConfig.load(),
        warehouse,
        runner.sample_clients(),
        sources=runner.ALL_SOURCES,
        progress=Progress(quiet=True),
    )
    assert all(report.ok for report in reports), [r for r in reports if not r.ok]
    assert import_files(warehouse, [runner.SAMPLE_DIR / "portfolio" / "sample_portfolios.csv"]) == 0
    os.environ["DBT_TARGET_PATH"] = str(tmp / "target")
    os.environ["DBT_LOG_PATH"] = str(tmp / "logs")
    code = run_dbt(warehouse, "build", "--quiet")
    assert code == 0 or not require_green, "dbt build failed"
    if code == 0:
        optimize.run_optimization(warehouse, Settings(), optimize.SAMPLE_PORTFOLIO)  # as the demo
        forecast.run_forecast(  # as the demo
            warehouse,
            forecast.DEMO_SETTINGS,
            regime_settings=forecast.DEMO_REGIME_SETTINGS,
        )
        backtest.run_backtests(warehouse, backtest_config.load(ROOT / "backtests.toml"))
    return code


def run_demo(warehouse_file: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    """Exactly what `make demo` runs, as a user's process."""
    env = {
        **os.environ,
        "WAREHOUSE": "duckdb",
        "MARKETPULSE_DUCKDB_PATH": str(warehouse_file),
        "DBT_TARGET_PATH": str(tmp / "target"),
        "DBT_LOG_PATH": str(tmp / "logs"),
    }
    return subprocess.run(
        [sys.executable, "-m", "marketpulse", "demo", "--quiet"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@dataclass
class Demo:
    """`make demo`'s run: its output, the file it built (shared by the session's workers), and
    this worker's copy of that file with dbt's target, in `tmp`."""

    warehouse: Warehouse
    first: subprocess.CompletedProcess[str]
    tmp: Path
    built_file: Path


@dataclass
class DocsSite:
    """`dbt docs generate --static` on the demo warehouse: what `make docs` builds."""

    manifest: dict[str, Any]
    catalog: dict[str, Any]
    site: str
    site_bytes: int


# Files Spark or Derby write into the working directory when a setting is missing; the spark
# profile points them all into MARKETPULSE_SPARK_DIR, so none may appear in the project.
SPARK_LITTER = ("derby.log", "metastore_db", "spark-warehouse")


@dataclass
class SparkDemo:
    """The demo built on Spark: `dbt build`'s exit code is kept, not asserted, so that one test
    reports a red build and the others still compare whatever was built."""

    warehouse: Warehouse
    build_code: int
    tmp: Path
    litter_before: set[Path]

    @property
    def dbt_log(self) -> Path:
        return self.tmp / "logs" / "dbt.log"


def spark_litter() -> set[Path]:
    return {
        folder / name
        for folder in (ROOT, ROOT / "dbt_project")
        for name in SPARK_LITTER
        if (folder / name).exists()
    }


# --- a slice of the sample, loaded raw (the dbt_project and ops tests) ---

SLICE = {
    "symbols": ("AAPL", "SPY"),
    "yahoo_start": date(2018, 10, 1),
    "series": ("DGS10", "CPIAUCSL"),
    "fred_start": date(2018, 1, 1),
    "news_symbols": ("AAPL", "SPY"),
}


def execute(warehouse: Warehouse, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one statement with bound parameters (written with %s) and commit; rows if any."""
    if warehouse.kind == "duckdb":
        sql = sql.replace("%s", "?")
    with closing(warehouse.connect(read_only=False)) as connection:
        cursor = connection.cursor()
        cursor.execute(sql, tuple(params))
        rows = [tuple(row) for row in cursor.fetchall()] if cursor.description else []
        connection.commit()
        return rows


def load_slice(warehouse: Warehouse, sources: tuple[str, ...] = runner.SOURCES) -> None:
    """The slice through the real pipelines; every source unless told (dbt needs them all)."""
    reports = runner.run(
        fixture_config(**SLICE),
        warehouse,
        runner.sample_clients(),
        sources,
        progress=Progress(quiet=True),
    )
    assert all(report.ok for report in reports), [r for r in reports if not r.ok]


def dbt(warehouse: Warehouse, tmp: Path, *args: str) -> int:
    os.environ["DBT_TARGET_PATH"] = str(tmp / "target")
    os.environ["DBT_LOG_PATH"] = str(tmp / "logs")
    return run_dbt(warehouse, *args, quiet=True)
