"""`marketpulse forecast`: marts -> walk-forward forecasts and regimes -> dlt -> dbt marts.

Reads adj_close from `fct_prices_daily` and the macro values as known on each session from
`fct_macro_asof_daily` (never the latest revision); walkforward.py makes the forecasts,
regimes.py the benchmark's regimes. New rows (as_of_date after the latest stored one) land
through dlt (pipeline `marketpulse_forecast`, merge) in raw_forecast.forecasts and
.market_regimes; the latest refit's fitted models in raw_forecast.model_state (replaced each
run), so the next run refits only when a new month starts. Then dbt builds
`staging/forecast` and `marts/forecast` (docs/forecasts.md, docs/decisions/0043).

`deep` adds the LSTM (lstm.py, the optional `deep` extra, docs/decisions/0044): its own cursor
(the latest stored `lstm` row), its own part of the stored state, kept as it is by runs
without it; nothing of Keras or JAX is imported unless it is asked for.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

import dlt
import pandas as pd
import pyarrow as pa

from marketpulse.build.dbt import run_dbt
from marketpulse.forecast import regimes
from marketpulse.forecast.features import MACRO_SERIES
from marketpulse.forecast.walkforward import ForecastError, Settings, State, walk_forward

if TYPE_CHECKING:
    from marketpulse.forecast.lstm import Network
from marketpulse.warehouse import Warehouse

__all__ = [
    "DEMO_REGIME_SETTINGS",
    "DEMO_SETTINGS",
    "ForecastError",
    "Run",
    "Settings",
    "report_lines",
    "run_forecast",
]

PIPELINE = "marketpulse_forecast"
DATASET = "raw_forecast"
FORECASTS_TABLE = "forecasts"
REGIMES_TABLE = "market_regimes"
STATE_TABLE = "model_state"
BENCHMARK = "SPY"  # dbt var benchmark_symbol
DBT_SELECT = ("path:models/staging/forecast", "path:models/marts/forecast")
FORECAST_KEY = ["symbol", "as_of_date", "horizon", "target", "model"]
FORECAST_HINTS: dict[str, dict[str, Any]] = {
    "symbol": {"data_type": "text", "nullable": False},
    "as_of_date": {"data_type": "date", "nullable": False},
    "horizon": {"data_type": "bigint", "nullable": False},
    "target": {"data_type": "text", "nullable": False},
    "model": {"data_type": "text", "nullable": False},
    "model_version": {"data_type": "text"},
    "prediction": {"data_type": "double"},
    "lower": {"data_type": "double"},
    "upper": {"data_type": "double"},
    "fitted_through_date": {"data_type": "date"},
}
REGIME_HINTS: dict[str, dict[str, Any]] = {
    "symbol": {"data_type": "text", "nullable": False},
    "trading_date": {"data_type": "date", "nullable": False},
    "n_states": {"data_type": "bigint"},
    "regime_index": {"data_type": "bigint"},
    "regime_label": {"data_type": "text"},
    "filtered_probability": {"data_type": "double"},
    "regime_mean_return": {"data_type": "double"},
    "regime_volatility": {"data_type": "double"},
    "fitted_through_date": {"data_type": "date"},
    "model_version": {"data_type": "text"},
}


# The demo's walk-forward (issue 21's time budget for `make demo`): the sample's last two years,
# refits each quarter. `make forecast` refits monthly over the whole history.
DEMO_SETTINGS = Settings(refit="quarterly", since=date(2017, 1, 1))
DEMO_REGIME_SETTINGS = regimes.Settings(refit="quarterly", since=pd.Timestamp("2017-01-01"))


@dataclass
class Run:
    forecasts: int = 0
    regimes: int = 0
    symbols: int = 0
    first_date: date | None = None
    last_date: date | None = None
    refits: int = 0
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    lstm_forecasts: int | None = None  # None: the LSTM was not asked for
    lstm_refits: int = 0


@dataclass(frozen=True)
class Inputs:
    prices: pd.DataFrame  # adj_close, trading_date x symbol
    macro: pd.DataFrame  # as-of values, trading_date x series
    after: date | None  # latest stored forecast date
    regimes_after: date | None
    state: State | None
    hmm: dict | None  # the regimes' last refit parameters
    lstm_state: dict | None = None  # the LSTM's stored part, kept as it is without `deep`
    lstm_after: date | None = None  # latest stored LSTM as_of_date (read only with `deep`)
    first_stored: date | None = None  # earliest stored as_of_date (read only with `deep`)


def run_forecast(
    warehouse: Warehouse,
    settings: Settings,
    symbols: Sequence[str] | None = None,
    regime_settings: regimes.Settings | None = None,
    build: bool = True,
    quiet_dbt: bool = True,
    deep: Network | None = None,
) -> Run:
    """Forecast the sessions not yet forecast, load them, build the marts. `deep`: the LSTM
    too, with these network settings (needs the deep extra)."""
    run = Run()
    clock = time.perf_counter()
    inputs = read_inputs(warehouse, symbols, deep=deep is not None)
    run.seconds["read"] = time.perf_counter() - clock
    clock = time.perf_counter()
    result = walk_forward(inputs.prices, inputs.macro, settings, inputs.after, inputs.state)
    run.seconds["forecast"] = time.perf_counter() - clock
    run.skipped = sorted(result.skipped.values())
    run.refits = result.refits
    frame = result.forecasts
    lstm_state = inputs.lstm_state
    if deep is not None:
        clock = time.perf_counter()
        lstm_frame, lstm_state = _lstm(inputs, settings, deep, run)
        run.seconds["lstm"] = time.perf_counter() - clock
        if len(lstm_frame):
            frame = pd.concat([frame, lstm_frame], ignore_index=True) if len(frame) else lstm_frame
    run.forecasts = len(frame)
    if len(frame):
        run.symbols = frame["symbol"].nunique()
        run.first_date, run.last_date = frame["as_of_date"].min(), frame["as_of_date"].max()
    clock = time.perf_counter()
    regime_frame, hmm = _regimes(inputs, regime_settings or regimes.Settings(), run)
    run.seconds["regimes"] = time.perf_counter() - clock
    run.regimes = len(regime_frame)
    clock = time.perf_counter()
    if len(frame) or len(regime_frame):
        load(warehouse, frame, regime_frame, result.state, hmm, lstm_state)
    run.seconds["load"] = time.perf_counter() - clock
    if build and (len(frame) or len(regime_frame)):  # nothing new: the marts stand
        clock = time.perf_counter()
        build_marts(warehouse, quiet_dbt)
        run.seconds["dbt"] = time.perf_counter() - clock
    return run


def _lstm(
    inputs: Inputs, settings: Settings, network: Network, run: Run
) -> tuple[pd.DataFrame, dict | None]:
    """The LSTM's new rows and its state. Its cursor is its own latest row; on its first run
    over stored forecasts it starts where they start (unless --since says otherwise), so that
    it is scored on the same symbol-dates as the others."""
    from marketpulse.forecast import lstm

    after = inputs.lstm_after
    state = None
    if after is not None and inputs.lstm_state:
        state = lstm.LstmState.from_json(inputs.lstm_state)
    if after is None and settings.since is None and inputs.first_stored is not None:
        settings = replace(settings, since=inputs.first_stored)
    result = lstm.walk_forward(inputs.prices, inputs.macro, settings, network, after, state)
    run.lstm_forecasts = len(result.forecasts)
    run.lstm_refits = result.refits
    return result.forecasts, result.state.to_json() if result.state else inputs.lstm_state


def build_marts(warehouse: Warehouse, quiet: bool = True) -> None:
    selects = [part for path in DBT_SELECT for part in ("--select", path)]
    code = run_dbt(
        warehouse,
        "build",
        *selects,
        "--exclude-resource-type",
        "unit_test",
        "--quiet",
        quiet=quiet,
    )
    if code != 0:
        raise ForecastError(
            f"dbt build of the forecast marts failed (exit {code}); run `make build` to see why"
        )


def _regimes(
    inputs: Inputs, settings: regimes.Settings, run: Run
) -> tuple[pd.DataFrame, dict | None]:
    empty = pd.DataFrame(columns=regimes.COLUMNS)
    last = inputs.prices[BENCHMARK].last_valid_index() if BENCHMARK in inputs.prices else None
    after = inputs.regimes_after
    if after is not None and last is not None and _as_date(last) <= after:
        return empty, inputs.hmm  # up to date
    if BENCHMARK not in inputs.prices.columns:
        run.notes.append(f"no regimes: the benchmark {BENCHMARK} has no prices")
        return empty, None
    if inputs.regimes_after is not None:  # a refresh: the new sessions' period(s) only
        since = pd.Timestamp(inputs.regimes_after) + pd.Timedelta(days=1)
        if settings.since is None or since > settings.since:
            settings = replace(settings, since=since)
    stored = inputs.hmm if inputs.regimes_after is not None else None
    try:
        frame, hmm = regimes.walk_forward(
            inputs.prices[BENCHMARK].dropna(), BENCHMARK, settings, stored
        )
    except ForecastError as exc:
        run.notes.append(str(exc))
        return empty, None
    if inputs.regimes_after is not None:
        frame = frame[frame["trading_date"] > inputs.regimes_after]
    return frame, hmm


def read_inputs(
    warehouse: Warehouse, symbols: Sequence[str] | None = None, deep: bool = False
) -> Inputs:
    with warehouse.session(read_only=True) as session:
        where = "adj_close is not null" + (" and symbol in :symbols" if symbols else "")
        params = {"symbols": tuple(symbols)} if symbols else None
        rows = session.query(
            f"select trading_date, symbol, adj_close from marts.fct_prices_daily where {where}",
            params,
        )
        macro = session.query(
            "select trading_date, indicator_id, value from marts.fct_macro_asof_daily"
            " where indicator_id in :series",
            {"series": MACRO_SERIES},
        )
        after = _scalar(session, f"select max(as_of_date) from {DATASET}.{FORECASTS_TABLE}")
        regimes_after = _scalar(session, f"select max(trading_date) from {DATASET}.{REGIMES_TABLE}")
        state_text = _scalar(session, f"select payload from {DATASET}.{STATE_TABLE}")
        lstm_after = first_stored = None
        if deep:
            lstm_after = _scalar(
                session,
                f"select max(as_of_date) from {DATASET}.{FORECASTS_TABLE} where model = 'lstm'",
            )
            first_stored = _scalar(
                session, f"select min(as_of_date) from {DATASET}.{FORECASTS_TABLE}"
            )
    if rows.empty:
        wanted = f" for {', '.join(symbols)}" if symbols else ""
        raise ForecastError(
            f"no prices{wanted} in marts.fct_prices_daily; run `make demo` or `make ingest build`"
        )
    if symbols:
        missing = sorted(set(symbols) - set(rows["symbol"]))
        if missing:
            raise ForecastError(f"unknown symbol {missing[0]}: no prices in marts.fct_prices_daily")
    rows["adj_close"] = rows["adj_close"].astype("float64")
    prices = rows.pivot(index="trading_date", columns="symbol", values="adj_close").sort_index()
    macro_wide = (
        macro.assign(value=macro["value"].astype("float64"))
        .pivot(index="trading_date", columns="indicator_id", values="value")
        .sort_index()
    )
    stored = json.loads(state_text) if state_text else {}
    state = State.from_json(stored["forecast"]) if stored.get("forecast") and after else None
    hmm = stored.get("regimes") if regimes_after else None
    return Inputs(
        prices,
        macro_wide,
        _as_date(after),
        _as_date(regimes_after),
        state,
        hmm,
        stored.get("lstm"),
        _as_date(lstm_after),
        _as_date(first_stored),
    )


def _scalar(session: Any, sql: str) -> Any:
    """One value, or None when the raw table does not exist yet (the first run)."""
    try:
        rows = session.rows(sql)
    except Exception:  # no such table: duckdb/psycopg2 catalog errors alike
        session_rollback(session)
        return None
    return rows[0][0] if rows else None


def session_rollback(session: Any) -> None:
    """Postgres aborts the transaction after an error; a read-only session goes on after it."""
    rollback = getattr(session.connection, "rollback", None)
    if rollback is not None:
        with contextlib.suppress(Exception):  # DuckDB read-only: nothing to roll back
            rollback()


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    return pd.Timestamp(value).date()


def load(
    warehouse: Warehouse,
    forecasts: pd.DataFrame,
    regime_frame: pd.DataFrame,
    state: State | None,
    hmm: dict | None = None,
    lstm_state: dict | None = None,
) -> None:
    pipeline = dlt.pipeline(
        pipeline_name=PIPELINE,
        destination=warehouse.dlt_destination(),
        dataset_name=DATASET,
        pipelines_dir=str(warehouse.pipelines_dir()),
    )
    resources = []
    if len(forecasts):
        resources.append(
            dlt.resource(
                _arrow(forecasts, FORECAST_HINTS),
                name=FORECASTS_TABLE,
                write_disposition="merge",
                primary_key=FORECAST_KEY,
                columns=FORECAST_HINTS,
            )
        )
    if len(regime_frame):
        resources.append(
            dlt.resource(
                _arrow(regime_frame, REGIME_HINTS),
                name=REGIMES_TABLE,
                write_disposition="merge",
                primary_key=["symbol", "trading_date"],
                columns=REGIME_HINTS,
            )
        )
    if state is not None or hmm is not None or lstm_state is not None:
        stored = {"forecast": state.to_json() if state else None, "regimes": hmm}
        if lstm_state is not None:
            stored["lstm"] = lstm_state
        if state is not None:
            refit_date = state.refit_date
        else:
            refit_date = date.fromisoformat((hmm or lstm_state or {})["refit_date"])
        payload = [{"refit_date": refit_date, "payload": json.dumps(stored)}]
        resources.append(
            dlt.resource(
                _rows(payload),
                name=STATE_TABLE,
                write_disposition="replace",
                columns={"refit_date": {"data_type": "date"}, "payload": {"data_type": "text"}},
            )
        )
    pipeline.run(resources, loader_file_format=warehouse.loader_file_format())


def _arrow(frame: pd.DataFrame, hints: dict[str, dict[str, Any]]) -> Iterator[pa.Table]:
    types = {"text": pa.string(), "date": pa.date32(), "bigint": pa.int64(), "double": pa.float64()}
    schema = pa.schema([(name, types[hint["data_type"]]) for name, hint in hints.items()])
    yield pa.Table.from_pandas(frame[list(hints)], schema=schema, preserve_index=False)


def _rows(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    yield rows


def report_lines(run: Run) -> list[str]:
    seconds = ", ".join(f"{name} {value:.1f}s" for name, value in run.seconds.items())
    if run.forecasts:
        lines = [
            f"forecasts: {run.forecasts:,} rows for {run.symbols} symbols, "
            f"{run.first_date}..{run.last_date} ({run.refits} refits); regimes: {run.regimes} days"
        ]
    else:
        lines = [f"forecasts: up to date, nothing new; regimes: {run.regimes} new days"]
    if run.lstm_forecasts is not None:
        lines.append(
            f"  lstm: {run.lstm_forecasts:,} rows ({run.lstm_refits} refits,"
            f" {run.seconds.get('lstm', 0):.1f}s)"
        )
    lines += [f"  {line}" for line in run.skipped]
    lines += [f"  note: {note}" for note in run.notes]
    lines.append(f"  ({seconds}); skill: marts.fct_forecast_accuracy")
    return lines
