"""The portfolio document every export format is written from: typed, in memory, read once.

`gather.read_document` fills it from the marts; the writers only format it, so a format never
queries the warehouse and every format shows the same figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime

# The holdings-file columns of ADR 0013, in the order the import reads and `make export` writes.
HOLDING_FIELDS = (
    "portfolio_name",
    "symbol",
    "quantity",
    "target_weight",
    "cost_basis",
    "as_of_date",
    "base_currency",
)
RISK_FIELDS = (
    "window_name",
    "as_of_date",
    "n_observations",
    "annual_return",
    "annual_volatility",
    "sharpe_ratio",
    "sortino_ratio",
    "max_drawdown",
    "calmar_ratio",
    "var_95",
    "cvar_95",
    "skewness",
    "kurtosis",
    "beta",
    "correlation",
    "benchmark_symbol",
)
PERFORMANCE_FIELDS = (
    "trading_date",
    "market_value",
    "daily_return",
    "cumulative_return",
    "benchmark_return",
    "benchmark_cumulative_return",
    "active_return",
)
POSITION_FIELDS = (
    "symbol",
    "quantity",
    "close",
    "market_value",
    "weight",
    "target_weight",
    "weight_drift",
    "cost_basis",
    "unrealized_pnl",
)
PRICE_FIELDS = ("trading_date", "symbol", "close", "adj_close")
OPTIMIZATION_FIELDS = (
    "run_id",
    "method",
    "point_index",
    "expected_return",
    "volatility",
    "sharpe_ratio",
    "risk_free_rate",
    "lookback_start_date",
    "lookback_end_date",
    "n_observations",
    "max_weight",
    "is_long_only",
    "created_at",
)
WINDOW_ORDER = ("1y", "3y", "5y", "full")
METHOD_ORDER = ("current", "max_sharpe", "min_volatility", "frontier")

Cell = str | int | float | bool | date | datetime | None


def clean(value: Cell) -> Cell:
    """NaN and infinities are missing values in every format (null, empty cell)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class PortfolioInfo:
    """dim_portfolio's row plus the first and last session the marts value the portfolio on."""

    portfolio_id: str
    portfolio_name: str
    base_currency: str
    inception_date: date
    latest_as_of_date: date
    holding_count: int
    weighting: str
    benchmark_symbol: str
    first_trading_date: date | None = None
    last_trading_date: date | None = None

    def as_dict(self) -> dict[str, Cell]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Holding:
    """One row of a holdings file (ADR 0013): what the import reads back."""

    portfolio_name: str
    symbol: str
    quantity: float | None
    target_weight: float | None
    cost_basis: float | None
    as_of_date: date
    base_currency: str

    def as_dict(self) -> dict[str, Cell]:
        return {name: clean(getattr(self, name)) for name in HOLDING_FIELDS}


@dataclass(frozen=True)
class Position:
    """A holding on the latest valued session (fct_portfolio_holdings_daily)."""

    symbol: str
    quantity: float | None
    close: float | None
    market_value: float | None
    weight: float | None
    target_weight: float | None
    weight_drift: float | None
    cost_basis: float | None
    unrealized_pnl: float | None

    def as_dict(self) -> dict[str, Cell]:
        return {name: clean(getattr(self, name)) for name in POSITION_FIELDS}


@dataclass(frozen=True)
class PriceRow:
    trading_date: date
    symbol: str
    close: float | None
    adj_close: float | None

    def as_dict(self) -> dict[str, Cell]:
        return {name: clean(getattr(self, name)) for name in PRICE_FIELDS}


@dataclass(frozen=True)
class PerformanceRow:
    trading_date: date
    market_value: float | None
    daily_return: float | None
    cumulative_return: float | None
    benchmark_return: float | None
    benchmark_cumulative_return: float | None
    active_return: float | None

    def as_dict(self) -> dict[str, Cell]:
        return {name: clean(getattr(self, name)) for name in PERFORMANCE_FIELDS}


@dataclass(frozen=True)
class RiskRow:
    """fct_portfolio_risk for one window, as of the portfolio's last valued session."""

    window_name: str
    as_of_date: date
    n_observations: int | None
    annual_return: float | None
    annual_volatility: float | None
    sharpe_ratio: float | None
    sortino_ratio: float | None
    max_drawdown: float | None
    calmar_ratio: float | None
    var_95: float | None
    cvar_95: float | None
    skewness: float | None
    kurtosis: float | None
    beta: float | None
    correlation: float | None
    benchmark_symbol: str | None

    def as_dict(self) -> dict[str, Cell]:
        return {name: clean(getattr(self, name)) for name in RISK_FIELDS}


@dataclass(frozen=True)
class OptimizationPoint:
    """One row of fct_optimization_results (the latest run), weights parsed."""

    run_id: str
    method: str
    point_index: int
    expected_return: float | None
    volatility: float | None
    sharpe_ratio: float | None
    risk_free_rate: float | None
    lookback_start_date: date | None
    lookback_end_date: date | None
    n_observations: int | None
    max_weight: float | None
    is_long_only: bool | None
    created_at: datetime | None
    weights: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Cell | dict[str, Cell]]:
        row: dict[str, Cell | dict[str, Cell]] = {
            name: clean(getattr(self, name)) for name in OPTIMIZATION_FIELDS
        }
        row["weights"] = {symbol: clean(weight) for symbol, weight in self.weights.items()}
        return row


@dataclass(frozen=True)
class PortfolioDocument:
    info: PortfolioInfo
    holdings: tuple[Holding, ...]
    positions: tuple[Position, ...]
    positions_date: date | None
    performance: tuple[PerformanceRow, ...]
    risk: tuple[RiskRow, ...]
    prices: tuple[PriceRow, ...]
    optimization: tuple[OptimizationPoint, ...]

    @property
    def latest_performance(self) -> PerformanceRow | None:
        return self.performance[-1] if self.performance else None

    def risk_window(self, name: str) -> RiskRow | None:
        return next((row for row in self.risk if row.window_name == name), None)

    def optimization_symbols(self) -> list[str]:
        """Every symbol any optimization point weights, in first-seen order."""
        seen: dict[str, None] = {}
        for point in self.optimization:
            for symbol in point.weights:
                seen.setdefault(symbol, None)
        return list(seen)
