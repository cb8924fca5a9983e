"""`python -m marketpulse optimize`: marts -> PyPortfolioOpt (engine.py) -> dlt -> dbt marts.

Reads only marts: the universe and current weights from `fct_portfolio_holdings_daily` (the
portfolio's latest trading_date), adj_close from `fct_prices_daily`, the risk-free rate
(latest DGS3MO / 100 on or before the window's end) from `fct_macro_observations`. One run
(a uuid4 run_id) lands through dlt (pipeline `marketpulse_optimize`) in
raw_portfolio.optimization_results and .optimization_weights, appended; then dbt builds
`staging/optimization` and `marts/optimization` (docs/decisions/0013-portfolios.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import dlt
import pandas as pd
from dlt.sources import DltResource

from marketpulse.build.dbt import run_dbt
from marketpulse.portfolio.optimize import engine
from marketpulse.portfolio.optimize.engine import OptimizationError, Result, Settings
from marketpulse.warehouse import Session, Warehouse

PIPELINE = "marketpulse_optimize"
DATASET = "raw_portfolio"
RESULTS_TABLE = "optimization_results"
WEIGHTS_TABLE = "optimization_weights"
RISK_FREE_SERIES = "DGS3MO"
SAMPLE_PORTFOLIO = "sample-growth-income"  # the one `make demo` optimizes
DBT_SELECT = ("path:models/staging/optimization", "path:models/marts/optimization")
RESULTS_HINTS = {
    "run_id": {"data_type": "text", "nullable": False},
    "portfolio_id": {"data_type": "text", "nullable": True},
    "method": {"data_type": "text", "nullable": False},
    "point_index": {"data_type": "bigint", "nullable": False},
    "expected_return": {"data_type": "double"},
    "volatility": {"data_type": "double"},
    "sharpe_ratio": {"data_type": "double", "nullable": True},
    "weights": {"data_type": "text"},
    "risk_free_rate": {"data_type": "double"},
    "lookback_start_date": {"data_type": "date"},
    "lookback_end_date": {"data_type": "date"},
    "n_observations": {"data_type": "bigint"},
    "max_weight": {"data_type": "double"},
    "is_long_only": {"data_type": "bool"},
    "created_at": {"data_type": "timestamp", "timezone": True},
}
WEIGHTS_HINTS = {
    "run_id": {"data_type": "text", "nullable": False},
    "method": {"data_type": "text", "nullable": False},
    "point_index": {"data_type": "bigint", "nullable": False},
    "symbol": {"data_type": "text", "nullable": False},
    "weight": {"data_type": "double"},
}


@dataclass(frozen=True)
class Universe:
    symbols: tuple[str, ...]
    portfolio_id: str | None
    current_weights: dict[str, float] | None
    holdings_date: date | None  # the trading_date the current weights are from


@dataclass(frozen=True)
class Run:
    run_id: str
    created_at: datetime
    universe: Universe
    result: Result


def run_optimization(
    warehouse: Warehouse,
    settings: Settings,
    portfolio_id: str | None = None,
    symbols: Sequence[str] | None = None,
    build: bool = True,
    quiet_dbt: bool = True,
) -> Run:
    """Optimize, load the run through dlt, build the optimization marts; raises
    OptimizationError with a one-line reason on bad input."""
    with warehouse.session(read_only=True) as session:
        universe = read_universe(session, portfolio_id, symbols)
        settings.check(len(universe.symbols))
        prices = read_prices(session, universe.symbols)
        window = engine.returns_window(prices, settings.lookback)
        risk_free, note = read_risk_free(session, window.end_date)
    result = engine.optimize(window, risk_free, settings, universe.current_weights)
    if note:
        result.notes.append(note)
    run = Run(str(uuid.uuid4()), datetime.now(UTC), universe, result)
    load(warehouse, run)
    if build:
        selects = [part for path in DBT_SELECT for part in ("--select", path)]
        # unit tests run in `make test`, not on every optimization (issue 16)
        code = run_dbt(
            warehouse,
            "build",
            *selects,
            "--exclude-resource-type",
            "unit_test",
            "--quiet",
            quiet=quiet_dbt,
        )
        if code != 0:
            raise OptimizationError(
                f"dbt build of the optimization marts failed (exit {code}); "
                "run `make build` to see why"
            )
    return run


def read_universe(
    session: Session,
    portfolio_id: str | None,
    symbols: Sequence[str] | None,
) -> Universe:
    """The given symbols (ad hoc), else the portfolio's holdings on its latest trading_date."""
    if symbols:
        return Universe(tuple(symbols), portfolio_id, None, None)
    if not portfolio_id:
        raise OptimizationError("give --portfolio ID or --symbols A,B,...")
    if not _table_exists(session, "marts", "fct_portfolio_holdings_daily"):
        raise OptimizationError(
            "no portfolio marts in the warehouse (marts.fct_portfolio_holdings_daily is missing); "
            "import a portfolio and run `make build`, or use --symbols"
        )
    rows = session.rows(
        """
        select symbol, weight, trading_date
        from marts.fct_portfolio_holdings_daily
        where portfolio_id = :portfolio_id
            and trading_date = (
                select max(trading_date) from marts.fct_portfolio_holdings_daily
                where portfolio_id = :portfolio_id
            )
        order by symbol
        """,
        {"portfolio_id": portfolio_id},
    )
    if not rows:
        known = [row[0] for row in session.rows(_KNOWN_PORTFOLIOS)]
        listed = ", ".join(known) if known else "none"
        raise OptimizationError(f"unknown portfolio {portfolio_id!r}; known: {listed}")
    weights = {str(symbol): float(weight) for symbol, weight, _ in rows if weight is not None}
    current = weights if len(weights) == len(rows) else None
    return Universe(tuple(str(row[0]) for row in rows), portfolio_id, current, rows[0][2])


_KNOWN_PORTFOLIOS = (
    "select distinct portfolio_id from marts.fct_portfolio_holdings_daily order by portfolio_id"
)


def read_prices(session: Session, symbols: Sequence[str]) -> pd.DataFrame:
    """adj_close, one column per symbol (in the given order), indexed by trading_date."""
    rows = session.rows(
        """
        select trading_date, symbol, adj_close
        from marts.fct_prices_daily
        where symbol in :symbols and adj_close is not null
        """,
        {"symbols": tuple(symbols)},
    )
    frame = pd.DataFrame(rows, columns=["trading_date", "symbol", "adj_close"])
    priced = set(frame["symbol"])
    missing = [symbol for symbol in symbols if symbol not in priced]
    if missing:
        raise OptimizationError(
            f"unknown symbol {missing[0]}: no prices in marts.fct_prices_daily "
            "(ingest it with `.venv/bin/marketpulse ingest --symbols ...`)"
        )
    frame["adj_close"] = frame["adj_close"].astype("float64")
    wide = frame.pivot(index="trading_date", columns="symbol", values="adj_close")
    return wide[list(symbols)]


def read_risk_free(session: Session, as_of: date) -> tuple[float, str | None]:
    """Latest DGS3MO / 100 observed on or before `as_of`; 0 with a note when there is none."""
    rows = session.rows(
        """
        select value, observation_date
        from marts.fct_macro_observations
        where indicator_id = :series and is_latest_vintage and value is not null
            and observation_date <= :as_of
        order by observation_date desc
        limit 1
        """,
        {"series": RISK_FREE_SERIES, "as_of": as_of},
    )
    if not rows:
        return 0.0, f"risk-free rate 0: no {RISK_FREE_SERIES} observation on or before {as_of}"
    return float(rows[0][0]) / 100.0, None


def load(warehouse: Warehouse, run: Run) -> None:
    """Append the run to raw_portfolio through dlt."""
    pipeline = dlt.pipeline(
        pipeline_name=PIPELINE,
        destination=warehouse.dlt_destination(),
        dataset_name=DATASET,
        pipelines_dir=str(warehouse.pipelines_dir()),
    )
    pipeline.run(optimization_resources(run), loader_file_format=warehouse.loader_file_format())


def optimization_resources(run: Run) -> list[DltResource]:
    results = dlt.resource(
        _rows(result_rows(run)),
        name=RESULTS_TABLE,
        write_disposition="append",
        columns=RESULTS_HINTS,
    )
    weights = dlt.resource(
        _rows(weight_rows(run)),
        name=WEIGHTS_TABLE,
        write_disposition="append",
        columns=WEIGHTS_HINTS,
    )
    return [results, weights]


def _rows(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    yield rows


def result_rows(run: Run) -> list[dict[str, Any]]:
    result = run.result
    window = result.window
    return [
        {
            "run_id": run.run_id,
            "portfolio_id": run.universe.portfolio_id,
            "method": point.method,
            "point_index": point.point_index,
            "expected_return": point.expected_return,
            "volatility": point.volatility,
            "sharpe_ratio": point.sharpe_ratio,
            "weights": engine.weights_json(point.weights),
            "risk_free_rate": result.risk_free_rate,
            "lookback_start_date": window.start_date,
            "lookback_end_date": window.end_date,
            "n_observations": window.n_observations,
            "max_weight": result.settings.max_weight,
            "is_long_only": not result.settings.allow_short,
            "created_at": run.created_at,
        }
        for point in result.points
    ]


def weight_rows(run: Run) -> list[dict[str, Any]]:
    return [
        {
            "run_id": run.run_id,
            "method": point.method,
            "point_index": point.point_index,
            "symbol": symbol,
            "weight": weight,
        }
        for point in run.result.points
        for symbol, weight in point.weights.items()
    ]


def report_lines(run: Run) -> list[str]:
    """The compact table `make optimize` prints."""
    result, universe = run.result, run.universe
    window = result.window
    who = f"portfolio {universe.portfolio_id}" if universe.portfolio_id else "ad-hoc universe"
    bounds = "long-only" if not result.settings.allow_short else "shorts allowed"
    lines = [
        f"optimization {run.run_id} for {who}: {', '.join(universe.symbols)}",
        f"  window: {window.n_observations} daily returns {window.start_date}..{window.end_date}"
        f" (sessions where every symbol has adj_close); mu = mean x 252, cov = sample x 252",
        f"  risk-free {result.risk_free_rate:.4%} ({RISK_FREE_SERIES}), {bounds}, "
        f"max weight {result.settings.max_weight:g}",
    ]
    lines += [f"  note: {note}" for note in result.notes]
    header = f"  {'method':<15}{'return':>9}{'vol':>9}{'sharpe':>8}  weights"
    lines.append(header)
    for point in result.points:
        if point.method == "frontier" and 0 < point.point_index < len(_frontier(result)) - 1:
            continue
        label = point.method if point.method != "frontier" else f"frontier[{point.point_index}]"
        sharpe = f"{point.sharpe_ratio:>8.2f}" if point.sharpe_ratio is not None else f"{'-':>8}"
        shown = " ".join(
            f"{symbol} {weight:.1%}"
            for symbol, weight in point.weights.items()
            if abs(weight) > 5e-4
        )
        lines.append(
            f"  {label:<15}{point.expected_return:>9.2%}{point.volatility:>9.2%}{sharpe}  {shown}"
        )
    lines.append(
        f"  ({len(_frontier(result))} frontier points in marts.fct_optimization_results; "
        "the first and last shown)"
    )
    return lines


def _frontier(result: Result) -> list[engine.Point]:
    return [point for point in result.points if point.method == "frontier"]


def has_run(warehouse: Warehouse, portfolio_id: str) -> bool:
    """Whether raw_portfolio already holds an optimization run of `portfolio_id`."""
    with warehouse.session(read_only=True) as session:
        if not _table_exists(session, DATASET, RESULTS_TABLE):
            return False
        sql = f"select count(*) from {DATASET}.{RESULTS_TABLE} where portfolio_id = :portfolio_id"
        return session.rows(sql, {"portfolio_id": portfolio_id})[0][0] > 0


def _table_exists(session: Session, schema: str, table: str) -> bool:
    """Schema and table names are bound parameters."""
    return table in session.tables(schema)
