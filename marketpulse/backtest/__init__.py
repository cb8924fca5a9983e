"""`marketpulse backtest`: strategies file -> marts -> decisions -> fills -> dlt -> dbt marts.

Reads only marts (fct_prices_daily's adjusted open and close, fct_sector_rotation,
fct_macro_asof_daily's risk-free rate as known each day, fct_forecasts), runs every strategy
of `backtests.toml` (config.py) and buy-and-hold of the benchmark over one common period with
the same costs (engine.py), and appends the run through dlt (pipeline `marketpulse_backtest`)
to raw_backtest.backtest_runs, .backtest_equity_daily and .backtest_fills; dbt then builds
`staging/backtest` and `marts/backtest` (fct_backtest_results, fct_backtest_equity_daily),
which hold each strategy's latest run. docs/backtests.md, docs/decisions/0041-backtests.md.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib.metadata import version
from typing import Any

import dlt
import numpy as np
import pandas as pd
import pyarrow as pa
import yaml

from marketpulse.backtest import strategies
from marketpulse.backtest.config import Config, Strategy
from marketpulse.backtest.engine import BacktestError, Prices, Simulation, simulate_prices
from marketpulse.backtest.strategies import Decisions, MarketData
from marketpulse.build.dbt import PROJECT_DIR, run_dbt
from marketpulse.ingest.loading import BULK_FILE_FORMAT, SCHEMA_CONTRACT, arrow_schema
from marketpulse.warehouse import Session, Warehouse

PIPELINE = "marketpulse_backtest"
DATASET = "raw_backtest"
RUNS_TABLE = "backtest_runs"
EQUITY_TABLE = "backtest_equity_daily"
FILLS_TABLE = "backtest_fills"
BENCHMARK_NAME = "benchmark"
RISK_FREE_SERIES = "DGS3MO"
DBT_SELECT = (
    "path:models/staging/backtest",
    "path:models/intermediate/backtest",
    "path:models/marts/backtest",
)
RUNS_HINTS = {
    "run_id": {"data_type": "text", "nullable": False},
    "strategy": {"data_type": "text", "nullable": False},
    "kind": {"data_type": "text", "nullable": False},
    "parameters": {"data_type": "text"},
    "symbols": {"data_type": "text"},
    "is_benchmark": {"data_type": "bool"},
    "benchmark_symbol": {"data_type": "text"},
    "start_date": {"data_type": "date"},
    "end_date": {"data_type": "date"},
    "initial_capital": {"data_type": "double"},
    "fee_bps": {"data_type": "double"},
    "slippage_bps": {"data_type": "double"},
    "engine_version": {"data_type": "text"},
    "created_at": {"data_type": "timestamp", "timezone": True},
}
EQUITY_HINTS = {
    "run_id": {"data_type": "text", "nullable": False},
    "strategy": {"data_type": "text", "nullable": False},
    "trading_date": {"data_type": "date", "nullable": False},
    "equity": {"data_type": "double"},
    "daily_return": {"data_type": "double", "nullable": True},
    "exposure": {"data_type": "double"},
    "turnover": {"data_type": "double"},
    "orders": {"data_type": "bigint"},
}
FILLS_HINTS = {
    "run_id": {"data_type": "text", "nullable": False},
    "strategy": {"data_type": "text", "nullable": False},
    "trading_date": {"data_type": "date", "nullable": False},
    "symbol": {"data_type": "text", "nullable": False},
    "side": {"data_type": "text"},
    "quantity": {"data_type": "double"},
    "price": {"data_type": "double"},
    "fee": {"data_type": "double"},
    "notional": {"data_type": "double"},
}


@dataclass
class Outcome:
    strategy: Strategy
    simulation: Simulation
    notes: list[str] = field(default_factory=list)


@dataclass
class Run:
    run_id: str
    created_at: datetime
    config: Config
    benchmark: str
    start: date
    end: date
    outcomes: list[Outcome]
    failures: list[str]  # one line per strategy that could not run


def run_backtests(
    warehouse: Warehouse,
    config: Config,
    build: bool = True,
    quiet_dbt: bool = True,
    seconds: dict[str, float] | None = None,
) -> Run:
    """Backtest every strategy, load the run through dlt, build the backtest marts.
    `seconds`, when given, receives the time of each step (read, backtest, load, dbt)."""
    clock = _Clock(seconds)
    benchmark = config.benchmark or default_benchmark()
    with warehouse.session(read_only=True) as session:
        data = read_market_data(session, config, benchmark)
    clock.lap("read")
    run = backtest(data, config, benchmark)
    clock.lap("backtest")
    load(warehouse, run)
    clock.lap("load")
    if build:
        selects = [part for path in DBT_SELECT for part in ("--select", path)]
        code = run_dbt(
            warehouse,
            "build",
            *selects,
            "--exclude-resource-type",
            "unit_test",
            "--quiet",
            quiet=quiet_dbt,
        )
        clock.lap("dbt")
        if code != 0:
            raise BacktestError(
                f"dbt build of the backtest marts failed (exit {code}); run `make build` to see why"
            )
    return run


class _Clock:
    def __init__(self, seconds: dict[str, float] | None) -> None:
        self.seconds = seconds
        self.last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        if self.seconds is not None:
            self.seconds[step] = now - self.last
        self.last = now


def backtest(data: MarketData, config: Config, benchmark: str) -> Run:
    """Decide and simulate every strategy over the common period (pure: no warehouse)."""
    decided: list[tuple[Strategy, Decisions]] = []
    failures: list[str] = []
    for strategy in config.strategies:
        try:
            decided.append((strategy, strategies.decide(strategy, data)))
        except BacktestError as exc:
            failures.append(str(exc))
    if not decided:
        raise BacktestError(f"no strategy could run: {failures[0]}")
    if benchmark not in data.closes.columns or data.closes[benchmark].notna().sum() == 0:
        raise BacktestError(f"no prices for the benchmark {benchmark} in marts.fct_prices_daily")
    others = [strategy for strategy in config.declared if strategy not in config.strategies]
    start, end = period(
        data, config, [decisions for _, decisions in decided] + _decided(others, data)
    )
    prices = Prices.from_frames(data.opens, data.closes)
    reference = Strategy(BENCHMARK_NAME, "buy_and_hold", {"symbol": benchmark}, config.costs)
    decided.append((reference, strategies.decide(reference, data)))
    outcomes = [
        Outcome(
            strategy,
            simulate_prices(
                prices, decisions.targets, start, end, config.initial_capital, strategy.costs
            ),
            decisions.notes,
        )
        for strategy, decisions in decided
    ]
    return Run(
        str(uuid.uuid4()), datetime.now(UTC), config, benchmark, start, end, outcomes, failures
    )


def _decided(others: Sequence[Strategy], data: MarketData) -> list[Decisions]:
    """The decisions of the file's other strategies (for the period only; those that cannot
    run are left out)."""
    found = []
    for strategy in others:
        try:
            found.append(strategies.decide(strategy, data))
        except BacktestError:
            continue
    return found


def period(data: MarketData, config: Config, decided: Sequence[Decisions]) -> tuple[date, date]:
    """The common period: settings' start_date, else the session after the latest first
    decision of the file's strategies (every one has a position from the first session on,
    whichever of them run); the end_date, else the latest session."""
    sessions = data.sessions
    if config.start_date:
        start = pd.Timestamp(config.start_date)
    else:
        latest = max(decisions.first for decisions in decided if decisions.first is not None)
        start = latest + pd.Timedelta(days=1)
    end = pd.Timestamp(config.end_date) if config.end_date else sessions[-1]
    inside = sessions[(sessions >= start) & (sessions <= end)]
    if len(inside) < 2:
        raise BacktestError(
            f"{config.path}: settings: the period {start.date()}..{end.date()} holds "
            f"{len(inside)} sessions (need 2; prices cover {sessions[0].date()}..{sessions[-1].date()})"
        )
    return inside[0].date(), inside[-1].date()


def default_benchmark() -> str:
    """dbt var benchmark_symbol (the risk and rotation marts' benchmark)."""
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return str(project["vars"]["benchmark_symbol"])


def read_market_data(session: Session, config: Config, benchmark: str) -> MarketData:
    every = config.declared or config.strategies
    kinds = {strategy.kind for strategy in every}
    if not _table_exists(session, "marts", "fct_prices_daily"):
        raise BacktestError("no marts in the warehouse (marts.fct_prices_daily): run `make demo`")
    rotation = pd.DataFrame(columns=["symbol", "trading_date", "rs_momentum"])
    if "sector_rotation" in kinds and _table_exists(session, "marts", "fct_sector_rotation"):
        rotation = session.query(
            "select symbol, trading_date, rs_momentum from marts.fct_sector_rotation"
            " order by symbol, trading_date"  # the same frame from every engine
        )
        rotation["trading_date"] = pd.to_datetime(rotation["trading_date"])
        rotation["rs_momentum"] = rotation["rs_momentum"].astype("float64")
    forecasts = pd.DataFrame()
    if "forecast" in kinds and _table_exists(session, "marts", "fct_forecasts"):
        forecasts = session.query(
            "select symbol, as_of_date, horizon, target, model, prediction"
            " from marts.fct_forecasts where target = 'return'"
            " order by symbol, as_of_date, horizon, model"
        )
        forecasts["as_of_date"] = pd.to_datetime(forecasts["as_of_date"])
        forecasts["prediction"] = forecasts["prediction"].astype("float64")
    symbols = {benchmark, *rotation["symbol"].unique()}
    for strategy in every:
        symbols.update(strategy.symbols())
    prices = session.query(
        "select symbol, trading_date, adj_open, adj_close from marts.fct_prices_daily"
        " where symbol in :symbols",
        {"symbols": tuple(sorted(symbols))},
    )
    prices["trading_date"] = pd.to_datetime(prices["trading_date"])
    opens = prices.pivot(index="trading_date", columns="symbol", values="adj_open").astype(
        "float64"
    )
    closes = prices.pivot(index="trading_date", columns="symbol", values="adj_close")
    closes = closes.astype("float64")
    risk_free = pd.Series(dtype="float64")
    if "max_sharpe" in kinds and _table_exists(session, "marts", "fct_macro_asof_daily"):
        known = session.query(
            "select trading_date, value from marts.fct_macro_asof_daily"
            " where indicator_id = :series",
            {"series": RISK_FREE_SERIES},
        )
        known["trading_date"] = pd.to_datetime(known["trading_date"])
        risk_free = known.set_index("trading_date")["value"].astype("float64").sort_index() / 100
    return MarketData(
        opens=opens.sort_index(),
        closes=closes.sort_index(),
        rotation=rotation,
        risk_free=risk_free,
        forecasts=forecasts,
    )


def load(warehouse: Warehouse, run: Run) -> None:
    """Append the run to raw_backtest through dlt."""
    pipeline = dlt.pipeline(
        pipeline_name=PIPELINE,
        destination=warehouse.dlt_destination(),
        dataset_name=DATASET,
        pipelines_dir=str(warehouse.pipelines_dir()),
    )
    pipeline.run(resources(run), loader_file_format=warehouse.loader_file_format())


def resources(run: Run) -> list[Any]:
    """One Arrow table per raw table, cast to the declared column types (a run of a thousand
    strategies is millions of equity rows: no Python dict per row)."""
    tables = (
        (RUNS_TABLE, run_table(run), RUNS_HINTS),
        (EQUITY_TABLE, equity_table(run), EQUITY_HINTS),
        (FILLS_TABLE, fill_table(run), FILLS_HINTS),
    )
    return [
        dlt.resource(
            _once(table),
            name=name,
            write_disposition="append",
            columns=hints,
            schema_contract=SCHEMA_CONTRACT,
            file_format=BULK_FILE_FORMAT,
        )
        for name, table, hints in tables
    ]


def _once(table: pa.Table) -> Iterator[pa.Table]:
    yield table


def _arrow(columns: dict[str, Any], hints: dict[str, dict[str, Any]]) -> pa.Table:
    keys = [name for name, hint in hints.items() if hint.get("nullable") is False]
    schema = arrow_schema(hints, keys)
    return pa.table(
        {name: pa.array(columns[name], type=schema.field(name).type) for name in schema.names},
        schema=schema,
    )


def run_table(run: Run) -> pa.Table:
    engine_version = f"marketpulse {version('marketpulse')}"
    outcomes = run.outcomes
    return _arrow(
        {
            "run_id": [run.run_id] * len(outcomes),
            "strategy": [outcome.strategy.name for outcome in outcomes],
            "kind": [outcome.strategy.kind for outcome in outcomes],
            "parameters": [outcome.strategy.parameters_json() for outcome in outcomes],
            "symbols": [json.dumps(_traded(outcome)) for outcome in outcomes],
            "is_benchmark": [outcome.strategy.name == BENCHMARK_NAME for outcome in outcomes],
            "benchmark_symbol": [run.benchmark] * len(outcomes),
            "start_date": [run.start] * len(outcomes),
            "end_date": [run.end] * len(outcomes),
            "initial_capital": [run.config.initial_capital] * len(outcomes),
            "fee_bps": [outcome.strategy.costs.fee_bps for outcome in outcomes],
            "slippage_bps": [outcome.strategy.costs.slippage_bps for outcome in outcomes],
            "engine_version": [engine_version] * len(outcomes),
            "created_at": [run.created_at] * len(outcomes),
        },
        RUNS_HINTS,
    )


def _traded(outcome: Outcome) -> list[str]:
    symbols = outcome.strategy.symbols()
    if symbols:
        return symbols
    return sorted(outcome.simulation.fills["symbol"].unique())


def equity_table(run: Run) -> pa.Table:
    frames = [outcome.simulation.daily for outcome in run.outcomes]
    daily = pd.concat(frames)
    names = np.repeat([outcome.strategy.name for outcome in run.outcomes], [len(f) for f in frames])
    returns = daily["daily_return"].to_numpy()
    return _arrow(
        {
            "run_id": np.full(len(daily), run.run_id, dtype=object),
            "strategy": names,
            "trading_date": daily.index.to_numpy(dtype="datetime64[D]"),
            "equity": daily["equity"].to_numpy(),
            "daily_return": pa.array(returns, mask=np.isnan(returns)),
            "exposure": daily["exposure"].to_numpy(),
            "turnover": daily["turnover"].to_numpy(),
            "orders": daily["orders"].to_numpy(dtype="int64"),
        },
        EQUITY_HINTS,
    )


def fill_table(run: Run) -> pa.Table:
    frames = [outcome.simulation.fills for outcome in run.outcomes]
    fills = pd.concat(frames, ignore_index=True)
    names = np.repeat([outcome.strategy.name for outcome in run.outcomes], [len(f) for f in frames])
    return _arrow(
        {
            "run_id": np.full(len(fills), run.run_id, dtype=object),
            "strategy": names,
            "trading_date": list(fills["trading_date"]),
            "symbol": fills["symbol"].to_numpy(dtype=object),
            "side": fills["side"].to_numpy(dtype=object),
            "quantity": fills["quantity"].to_numpy(dtype="float64"),
            "price": fills["price"].to_numpy(dtype="float64"),
            "fee": fills["fee"].to_numpy(dtype="float64"),
            "notional": fills["notional"].to_numpy(dtype="float64"),
        },
        FILLS_HINTS,
    )


def report_lines(run: Run) -> list[str]:
    """What `make backtest` prints: one line per strategy, the benchmark last."""
    lines = [
        f"backtest {run.run_id}: {run.start}..{run.end}, {len(run.outcomes) - 1} strategies "
        f"against buy-and-hold {run.benchmark}; signals at the close trade at the next open",
        f"  {'strategy':<28}{'total':>9}{'annual':>9}{'max dd':>9}{'fills':>7}",
    ]
    for outcome in run.outcomes:
        equity = outcome.simulation.equity
        years = max(len(equity) - 1, 1) / 252
        total = equity.iloc[-1] / equity.iloc[0] - 1
        annual = (1 + total) ** (1 / years) - 1 if total > -1 else -1.0
        drawdown = float((equity / equity.cummax() - 1).min())
        fills = len(outcome.simulation.fills)
        lines.append(
            f"  {outcome.strategy.name:<28}{total:>9.2%}{annual:>9.2%}{drawdown:>9.2%}{fills:>7}"
        )
        lines += [f"    note: {note}" for note in outcome.notes[:3]]
    lines.append(
        "  (every metric in marts.fct_backtest_results, curves in fct_backtest_equity_daily)"
    )
    return lines


def _table_exists(session: Session, schema: str, table: str) -> bool:
    return table in session.tables(schema)
