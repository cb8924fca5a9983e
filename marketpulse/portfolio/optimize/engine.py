"""Mean-variance optimization with PyPortfolioOpt: pure functions, no warehouse.

Inputs are daily adj_close prices (one column per symbol); from them:

- returns: simple daily returns over the last `lookback` sessions on which every symbol has a
  price (`returns_window`);
- expected returns mu: the arithmetic mean daily return x 252
  (`mean_historical_return(returns_data=True, compounding=False)`). Arithmetic, not
  geometric, so mu and the covariance are the two moments Markowitz' model is about, and the
  closed forms (min variance S^-1 1 / 1'S^-1 1, tangency S^-1 (mu - rf)) hold exactly;
- covariance S: the sample covariance (ddof 1) of the daily returns x 252;
- portfolio expected return w'mu, volatility sqrt(w'Sw), Sharpe (w'mu - rf) / volatility,
  all annualised.

Methods: `min_volatility`, `max_sharpe`, `frontier` (`efficient_return` at evenly spaced
targets from the min-volatility return to the highest return the bounds allow) and
`current` (given weights evaluated under the same mu and S). Bounds: long-only
[0, max_weight], or with `allow_short` [-max_weight, max_weight]; weights always sum to 1.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

TRADING_DAYS = 252
DEFAULT_LOOKBACK = 756
MIN_OBSERVATIONS = 60
DEFAULT_FRONTIER_POINTS = 20
DEFAULT_MAX_WEIGHT = 1.0
METHODS = ("max_sharpe", "min_volatility", "frontier", "current")
# An interior-point solver with tight tolerances: cvxpy's default for these problems, OSQP,
# stops at ~1e-7 (weights summing to 0.99999998), and Clarabel's defaults leave weights ~1e-4
# from the optimum where the variance is flat; at 1e-12 they agree with the closed forms and
# with scipy's SLSQP to ~1e-7, in about the same time.
SOLVER = "CLARABEL"
SOLVER_OPTIONS = {
    "tol_gap_abs": 1e-12,
    "tol_gap_rel": 1e-12,
    "tol_feas": 1e-12,
    "tol_ktratio": 1e-10,
}
# Weights whose size is below this are solver noise around a bound; they are stored as 0.
WEIGHT_NOISE = 1e-9


class OptimizationError(ValueError):
    """The request cannot be optimized as given (one line, for the user)."""


@dataclass(frozen=True)
class Settings:
    lookback: int = DEFAULT_LOOKBACK
    max_weight: float = DEFAULT_MAX_WEIGHT
    allow_short: bool = False
    frontier_points: int = DEFAULT_FRONTIER_POINTS

    def bounds(self) -> tuple[float, float]:
        return (-self.max_weight if self.allow_short else 0.0, self.max_weight)

    def check(self, n_symbols: int) -> None:
        if self.lookback < MIN_OBSERVATIONS:
            raise OptimizationError(f"--lookback must be at least {MIN_OBSERVATIONS} sessions")
        if not 0 < self.max_weight <= 1:
            raise OptimizationError(f"--max-weight {self.max_weight} is not in (0, 1]")
        if self.frontier_points < 2:
            raise OptimizationError("--frontier-points must be at least 2")
        if n_symbols < 2:
            raise OptimizationError("optimization needs at least 2 symbols")
        if self.max_weight * n_symbols < 1 - 1e-12:
            raise OptimizationError(
                f"--max-weight {self.max_weight} x {n_symbols} symbols < 1: "
                "no fully invested portfolio fits the caps; raise --max-weight"
            )


@dataclass(frozen=True)
class Point:
    """One portfolio: a method's answer, or one point of the frontier."""

    method: str
    point_index: int
    weights: dict[str, float]
    expected_return: float
    volatility: float
    sharpe_ratio: float | None


@dataclass(frozen=True)
class Window:
    returns: pd.DataFrame  # index trading_date, one column per symbol
    start_date: date  # the first session whose return is in the window
    end_date: date

    @property
    def n_observations(self) -> int:
        return len(self.returns)


@dataclass(frozen=True)
class Result:
    window: Window
    risk_free_rate: float
    settings: Settings
    points: list[Point] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def returns_window(prices: pd.DataFrame, lookback: int = DEFAULT_LOOKBACK) -> Window:
    """Daily simple returns over the last `lookback` sessions where every symbol has a price.

    `prices`: index trading_date, one column of adj_close per symbol (NaN where missing).
    A session where any symbol lacks a price is dropped, so every return is between two
    sessions on which the whole universe traded.
    """
    empty = [symbol for symbol in prices.columns if prices[symbol].notna().sum() == 0]
    if empty:
        raise OptimizationError(f"unknown symbol {empty[0]}: no prices in marts.fct_prices_daily")
    common = prices.sort_index().dropna(how="any")
    if (common <= 0).to_numpy().any():
        raise OptimizationError("adj_close has non-positive prices; cannot form returns")
    common = common.iloc[-(lookback + 1) :]
    returns = common.pct_change().iloc[1:]
    if len(returns) < MIN_OBSERVATIONS:
        raise OptimizationError(
            f"only {len(returns)} sessions where every symbol has a price "
            f"(need {MIN_OBSERVATIONS}); choose symbols with a longer common history"
        )
    start, end = returns.index[0], returns.index[-1]
    return Window(returns=returns, start_date=_as_date(start), end_date=_as_date(end))


def moments(returns: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """Annualised mu (arithmetic mean x 252) and S (sample covariance x 252)."""
    from pypfopt import expected_returns, risk_models

    mu = expected_returns.mean_historical_return(
        returns, returns_data=True, compounding=False, frequency=TRADING_DAYS
    )
    cov = risk_models.sample_cov(returns, returns_data=True, frequency=TRADING_DAYS)
    return mu, cov


def optimize(
    window: Window,
    risk_free_rate: float,
    settings: Settings,
    current_weights: Mapping[str, float] | None = None,
) -> Result:
    """Every method on one window: max_sharpe, min_volatility, the frontier, current."""
    symbols = list(window.returns.columns)
    settings.check(len(symbols))
    mu, cov = moments(window.returns)
    result = Result(window=window, risk_free_rate=risk_free_rate, settings=settings)

    def point(method: str, index: int, weights: Mapping[str, float]) -> Point:
        return evaluate(method, index, weights, mu, cov, risk_free_rate)

    if float(mu.max()) <= risk_free_rate:
        result.notes.append(
            f"max_sharpe skipped: no symbol's expected return exceeds the risk-free rate "
            f"{risk_free_rate:.4f}"
        )
    else:
        weights = _solve(mu, cov, settings, lambda ef: ef.max_sharpe(risk_free_rate))
        result.points.append(point("max_sharpe", 0, weights))
    min_vol = point("min_volatility", 0, _solve(mu, cov, settings, lambda ef: ef.min_volatility()))
    result.points.append(min_vol)
    for index, weights in enumerate(frontier(mu, cov, settings, min_vol)):
        result.points.append(point("frontier", index, weights))
    if current_weights:
        missing = sorted(set(current_weights) - set(symbols))
        if missing:
            raise OptimizationError(f"current weights name {missing[0]}, not in the universe")
        result.points.append(point("current", 0, current_weights))
    return result


def max_sharpe_weights(
    window: Window, risk_free_rate: float, settings: Settings
) -> dict[str, float] | None:
    """The max-Sharpe weights of one window; None when no symbol's expected return exceeds
    the risk-free rate (the tangency portfolio does not exist)."""
    mu, cov = moments(window.returns)
    if float(mu.max()) <= risk_free_rate:
        return None
    return _solve(mu, cov, settings, lambda ef: ef.max_sharpe(risk_free_rate))


def min_volatility_weights(window: Window, settings: Settings) -> dict[str, float]:
    """The minimum-volatility weights of one window."""
    mu, cov = moments(window.returns)
    return _solve(mu, cov, settings, lambda ef: ef.min_volatility())


def frontier(
    mu: pd.Series, cov: pd.DataFrame, settings: Settings, min_vol: Point
) -> list[dict[str, float]]:
    """Minimum-volatility portfolios at `frontier_points` evenly spaced target returns, from
    the min-volatility portfolio (point 0, by definition) to the highest return the bounds
    allow (a linear program; the top target is pulled in by 1e-6 of the span so the solver is
    never asked for exactly the boundary)."""
    from pypfopt import EfficientFrontier

    top = max_return(mu, settings)
    bottom = min_vol.expected_return
    span = max(top - bottom, 0.0)
    targets = np.linspace(bottom, top - span * 1e-6, settings.frontier_points)
    efficient = EfficientFrontier(
        mu, cov, weight_bounds=settings.bounds(), solver=SOLVER, solver_options=SOLVER_OPTIONS
    )
    points = [dict(min_vol.weights)]
    for target in targets[1:]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyPortfolioOpt warns when re-solving a parameter
            raw = efficient.efficient_return(float(target))
        points.append(_clean(raw))
    return points


def max_return(mu: pd.Series, settings: Settings) -> float:
    """The highest w'mu with sum(w) = 1 inside the bounds (scipy's HiGHS linear program)."""
    from scipy.optimize import linprog

    lower, upper = settings.bounds()
    answer = linprog(
        -mu.to_numpy(),
        A_eq=np.ones((1, len(mu))),
        b_eq=[1.0],
        bounds=[(lower, upper)] * len(mu),
        method="highs",
    )
    if not answer.success:
        raise OptimizationError(f"no portfolio fits the bounds: {answer.message}")
    return float(-answer.fun)


def evaluate(
    method: str,
    index: int,
    weights: Mapping[str, float],
    mu: pd.Series,
    cov: pd.DataFrame,
    risk_free_rate: float,
) -> Point:
    """Expected return, volatility and Sharpe of `weights` under mu and S."""
    vector = pd.Series(weights, dtype="float64").reindex(mu.index).fillna(0.0).to_numpy()
    expected = float(vector @ mu.to_numpy())
    volatility = math.sqrt(max(float(vector @ cov.to_numpy() @ vector), 0.0))
    sharpe = (expected - risk_free_rate) / volatility if volatility > 0 else None
    ordered = {symbol: float(weights.get(symbol, 0.0)) for symbol in mu.index}
    return Point(method, index, ordered, expected, volatility, sharpe)


def _solve(mu: pd.Series, cov: pd.DataFrame, settings: Settings, run) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from pypfopt import EfficientFrontier
    from pypfopt.exceptions import OptimizationError as SolverError

    efficient = EfficientFrontier(
        mu, cov, weight_bounds=settings.bounds(), solver=SOLVER, solver_options=SOLVER_OPTIONS
    )
    try:
        return _clean(run(efficient))
    except SolverError as exc:
        raise OptimizationError(f"the solver found no solution: {exc}") from None


def _clean(weights: Mapping[str, float]) -> dict[str, float]:
    return {
        str(symbol): 0.0 if abs(weight) < WEIGHT_NOISE else float(weight)
        for symbol, weight in weights.items()
    }


def _as_date(value: object) -> date:
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    return stamp.date()


def weights_json(weights: Mapping[str, float]) -> str:
    """The `weights` column: JSON text `{"AAPL": 0.2, ...}` in the universe's order."""
    import json

    return json.dumps({symbol: float(weight) for symbol, weight in weights.items()})
