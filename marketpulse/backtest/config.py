"""The strategies file (`backtests.toml`): parsed and checked before any data is read.

Every error names the key at fault in one line, e.g.
`backtests.toml: strategies.spy_sma.slow: must be greater than fast (50), not 20`.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from marketpulse.backtest.engine import BacktestError, Costs

DEFAULT_PATH = Path("backtests.toml")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
REBALANCE = ("weekly", "monthly", "quarterly")

# kind -> parameter -> (type, default; None = required)
KINDS: dict[str, dict[str, tuple[type, Any]]] = {
    "buy_and_hold": {"symbol": (str, None)},
    "sma_crossover": {"symbol": (str, None), "fast": (int, 50), "slow": (int, 200)},
    "rsi_mean_reversion": {
        "symbol": (str, None),
        "period": (int, 14),
        "entry_below": (float, 30.0),
        "exit_above": (float, 50.0),
    },
    "sector_rotation": {"top_k": (int, 3), "rebalance": (str, "monthly")},
    "max_sharpe": {
        "symbols": (list, None),
        "lookback": (int, 252),
        "max_weight": (float, 1.0),
        "rebalance": (str, "quarterly"),
    },
    "forecast": {
        "symbol": (str, None),
        "model": (str, "lightgbm"),
        "horizon": (int, 5),
        "threshold": (float, 0.0),
    },
}
COST_KEYS = ("fee_bps", "slippage_bps")


@dataclass(frozen=True)
class Strategy:
    name: str
    kind: str
    params: Mapping[str, Any]
    costs: Costs

    def parameters_json(self) -> str:
        return json.dumps(dict(self.params), sort_keys=True)

    def symbols(self) -> list[str]:
        if "symbol" in self.params:
            return [self.params["symbol"]]
        return list(self.params.get("symbols", []))


@dataclass(frozen=True)
class Config:
    strategies: list[Strategy]
    initial_capital: float = 100_000.0
    costs: Costs = field(default_factory=Costs)
    start_date: date | None = None
    end_date: date | None = None
    benchmark: str | None = None  # None: dbt var benchmark_symbol
    path: str = str(DEFAULT_PATH)
    # Every strategy of the file: the default period is theirs, so a run of a few of them
    # (`--strategy`) covers the same sessions as a run of all.
    declared: list[Strategy] = field(default_factory=list)


def load(path: Path | str = DEFAULT_PATH, only: list[str] | None = None) -> Config:
    """Parse and check the file; `only` keeps the named strategies (each must exist)."""
    source = Path(path)
    label = source.name
    try:
        document = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BacktestError(f"{source}: no such strategies file") from None
    except tomllib.TOMLDecodeError as exc:
        raise BacktestError(f"{label}: not valid TOML: {exc}") from None
    return parse(document, label, only)


def parse(document: Mapping[str, Any], label: str, only: list[str] | None = None) -> Config:
    _known(document, ("settings", "strategies"), label, "")
    settings = document.get("settings", {})
    if not isinstance(settings, Mapping):
        raise BacktestError(f"{label}: settings: must be a table")
    _known(
        settings,
        ("initial_capital", "start_date", "end_date", "benchmark", *COST_KEYS),
        label,
        "settings.",
    )
    capital = _number(settings, "initial_capital", 100_000.0, label, "settings.")
    if capital <= 0:
        raise BacktestError(f"{label}: settings.initial_capital: must be positive, not {capital}")
    costs = _costs(settings, Costs(), label, "settings.")
    start = _date(settings, "start_date", label)
    end = _date(settings, "end_date", label)
    if start and end and end < start:
        raise BacktestError(f"{label}: settings.end_date: {end} is before start_date {start}")
    benchmark = settings.get("benchmark")
    if benchmark is not None and (not isinstance(benchmark, str) or not benchmark):
        raise BacktestError(f"{label}: settings.benchmark: must be a symbol (text)")
    tables = document.get("strategies", {})
    if not isinstance(tables, Mapping) or not tables:
        raise BacktestError(f"{label}: strategies: declare at least one [strategies.<name>] table")
    strategies = [_strategy(name, table, costs, label) for name, table in tables.items()]
    declared = list(strategies)
    if only:
        known = {strategy.name for strategy in strategies}
        missing = [name for name in only if name not in known]
        if missing:
            raise BacktestError(
                f"{label}: strategies.{missing[0]}: no such strategy "
                f"(declared: {', '.join(sorted(known))})"
            )
        strategies = [strategy for strategy in strategies if strategy.name in only]
    return Config(strategies, capital, costs, start, end, benchmark, label, declared)


def _strategy(name: str, table: Any, defaults: Costs, label: str) -> Strategy:
    where = f"strategies.{name}"
    if not NAME.match(name):
        raise BacktestError(
            f"{label}: {where}: a name is lowercase letters, digits and _, starting with a letter"
        )
    if not isinstance(table, Mapping):
        raise BacktestError(f"{label}: {where}: must be a table")
    strategy_kind = table.get("kind")
    if strategy_kind not in KINDS:
        raise BacktestError(
            f"{label}: {where}.kind: must be one of {', '.join(KINDS)}, not {strategy_kind!r}"
        )
    spec = KINDS[strategy_kind]
    _known(table, ("kind", *spec, *COST_KEYS), label, f"{where}.")
    params: dict[str, Any] = {}
    for key, (kind_type, default) in spec.items():
        if key not in table:
            if default is None:
                raise BacktestError(f"{label}: {where}.{key}: required for kind {strategy_kind}")
            params[key] = default
            continue
        params[key] = _typed(table[key], kind_type, f"{label}: {where}.{key}")
    _check(strategy_kind, params, label, where)
    return Strategy(name, strategy_kind, params, _costs(table, defaults, label, f"{where}."))


def _check(strategy_kind: str, params: dict[str, Any], label: str, where: str) -> None:
    def fail(key: str, message: str) -> BacktestError:
        return BacktestError(f"{label}: {where}.{key}: {message}")

    for key in ("fast", "slow", "period", "top_k", "horizon"):
        if key in params and params[key] < 1:
            raise fail(key, f"must be at least 1, not {params[key]}")
    if strategy_kind == "sma_crossover" and params["slow"] <= params["fast"]:
        raise fail("slow", f"must be greater than fast ({params['fast']}), not {params['slow']}")
    if strategy_kind == "rsi_mean_reversion":
        if params["period"] < 2:
            raise fail("period", f"must be at least 2, not {params['period']}")
        if not 0 < params["entry_below"] < 100:
            raise fail("entry_below", f"must be in (0, 100), not {params['entry_below']}")
        if not params["entry_below"] < params["exit_above"] < 100:
            raise fail(
                "exit_above",
                f"must be in (entry_below, 100) = ({params['entry_below']}, 100), "
                f"not {params['exit_above']}",
            )
    if "rebalance" in params and params["rebalance"] not in REBALANCE:
        raise fail(
            "rebalance", f"must be one of {', '.join(REBALANCE)}, not {params['rebalance']!r}"
        )
    if strategy_kind == "max_sharpe":
        symbols = params["symbols"]
        if len(symbols) < 2 or not all(isinstance(symbol, str) and symbol for symbol in symbols):
            raise fail("symbols", "must list at least 2 symbols (text)")
        if len(set(symbols)) != len(symbols):
            raise fail("symbols", "lists a symbol twice")
        if params["lookback"] < 60:
            raise fail("lookback", f"must be at least 60 sessions, not {params['lookback']}")
        if not 0 < params["max_weight"] <= 1:
            raise fail("max_weight", f"must be in (0, 1], not {params['max_weight']}")
        if params["max_weight"] * len(symbols) < 1 - 1e-12:
            raise fail(
                "max_weight",
                f"{params['max_weight']} x {len(symbols)} symbols < 1: no fully invested "
                "portfolio fits the cap",
            )
    if strategy_kind == "forecast" and params["horizon"] not in (1, 5, 21):
        raise fail(
            "horizon", f"must be 1, 5 or 21 (the forecast horizons), not {params['horizon']}"
        )


def _typed(value: Any, kind_type: type, where: str) -> Any:
    if kind_type is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind_type is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind_type is str and isinstance(value, str) and value:
        return value
    if kind_type is list and isinstance(value, list):
        return list(value)
    names = {float: "a number", int: "an integer", str: "text", list: "a list"}
    raise BacktestError(f"{where}: must be {names[kind_type]}, not {value!r}")


def _number(table: Mapping[str, Any], key: str, default: float, label: str, where: str) -> float:
    if key not in table:
        return default
    return float(_typed(table[key], float, f"{label}: {where}{key}"))


def _costs(table: Mapping[str, Any], defaults: Costs, label: str, where: str) -> Costs:
    fee = _number(table, "fee_bps", defaults.fee_bps, label, where)
    slippage = _number(table, "slippage_bps", defaults.slippage_bps, label, where)
    for key, value in (("fee_bps", fee), ("slippage_bps", slippage)):
        if not 0 <= value < 10_000:
            raise BacktestError(f"{label}: {where}{key}: must be in [0, 10000), not {value}")
    return Costs(fee, slippage)


def _date(table: Mapping[str, Any], key: str, label: str) -> date | None:
    if key not in table:
        return None
    value = table[key]
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise BacktestError(f"{label}: settings.{key}: must be a date (YYYY-MM-DD), not {value!r}")


def _known(table: Mapping[str, Any], keys: tuple[str, ...], label: str, where: str) -> None:
    for key in table:
        if key not in keys:
            raise BacktestError(
                f"{label}: {where}{key}: unknown key (expected one of {', '.join(keys)})"
            )
