"""The optimizer (marketpulse/portfolio/optimize/engine.py) against numpy closed forms on synthetic returns.

References, computed here from the same returns and never by the code under test:
min variance w = S^-1 1 / 1'S^-1 1, tangency w = S^-1 (mu - rf) / 1'S^-1 (mu - rf), with
mu = mean x 252 and S = sample covariance (ddof 1) x 252.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
import pytest

from marketpulse.portfolio.optimize import engine
from marketpulse.portfolio.optimize.engine import OptimizationError, Settings

SYMBOLS = ("AAA", "BBB", "CCC", "DDD")
RF = 0.02


def synthetic_prices(seed: int = 7, sessions: int = 757) -> pd.DataFrame:
    """Four correlated assets (one factor); each column's sample mean return is set exactly
    to its drift (annual 6%, 9%, 12%, 15%), so mu is known and min variance is long-only."""
    rng = np.random.default_rng(seed)
    market = rng.normal(0, 0.010, sessions - 1)
    betas = np.array([0.8, 0.9, 1.0, 1.1])
    noise = rng.normal(0, 1, (sessions - 1, 4)) * np.array([0.010, 0.011, 0.012, 0.013])
    shocks = np.outer(market, betas) + noise
    returns = np.array([0.06, 0.09, 0.12, 0.15]) / 252 + shocks - shocks.mean(axis=0)
    prices = 100 * np.cumprod(np.vstack([np.ones(4), 1 + returns]), axis=0)
    dates = pd.bdate_range("2015-01-02", periods=sessions)
    return pd.DataFrame(prices, index=dates.date, columns=list(SYMBOLS))


def numpy_moments(prices: pd.DataFrame, lookback: int) -> tuple[np.ndarray, np.ndarray]:
    values = prices.to_numpy()[-(lookback + 1) :]
    returns = values[1:] / values[:-1] - 1
    return returns.mean(axis=0) * 252, np.cov(returns, rowvar=False, ddof=1) * 252


def min_variance(cov: np.ndarray) -> np.ndarray:
    inverse_ones = np.linalg.solve(cov, np.ones(len(cov)))
    return inverse_ones / inverse_ones.sum()


def tangency(mu: np.ndarray, cov: np.ndarray, rf: float) -> np.ndarray:
    raw = np.linalg.solve(cov, mu - rf)
    return raw / raw.sum()


def run(settings: Settings, prices: pd.DataFrame | None = None, current=None):  # type: ignore[no-untyped-def]
    prices = synthetic_prices() if prices is None else prices
    window = engine.returns_window(prices, settings.lookback)
    return engine.optimize(window, RF, settings, current)


def weights_of(result, method: str, index: int = 0) -> np.ndarray:  # type: ignore[no-untyped-def]
    point = next(p for p in result.points if p.method == method and p.point_index == index)
    return np.array([point.weights[s] for s in SYMBOLS])


def test_window_is_the_last_lookback_returns_on_common_sessions() -> None:
    prices = synthetic_prices()
    prices.iloc[-5, 2] = np.nan  # one session where CCC has no price: dropped for everyone
    window = engine.returns_window(prices, lookback=100)
    common = prices.dropna()
    assert window.n_observations == 100
    assert window.end_date == common.index[-1]
    assert window.start_date == common.index[-100]
    expected = common.iloc[-1, 0] / common.iloc[-2, 0] - 1
    assert window.returns.iloc[-1, 0] == pytest.approx(expected, rel=1e-12)


def test_min_volatility_equals_the_closed_form_minimum_variance_portfolio() -> None:
    settings = Settings(lookback=756)
    mu, cov = numpy_moments(synthetic_prices(), 756)
    reference = min_variance(cov)
    assert (reference > 0.05).all()  # long-only bounds do not bind: the closed form applies
    result = run(settings)
    np.testing.assert_allclose(weights_of(result, "min_volatility"), reference, atol=1e-6)
    point = next(p for p in result.points if p.method == "min_volatility")
    assert point.volatility == pytest.approx(np.sqrt(reference @ cov @ reference), rel=1e-6)
    assert point.expected_return == pytest.approx(reference @ mu, rel=1e-6)


def test_max_sharpe_with_shorts_equals_the_tangency_portfolio() -> None:
    mu, cov = numpy_moments(synthetic_prices(), 756)
    reference = tangency(mu, cov, RF)
    assert (np.abs(reference) < 1).all()  # the (-1, 1) bounds do not bind
    result = run(Settings(allow_short=True))
    np.testing.assert_allclose(weights_of(result, "max_sharpe"), reference, atol=1e-5)
    point = next(p for p in result.points if p.method == "max_sharpe")
    expected_sharpe = (reference @ mu - RF) / np.sqrt(reference @ cov @ reference)
    assert point.sharpe_ratio == pytest.approx(expected_sharpe, rel=1e-6)


def test_max_sharpe_is_the_best_sharpe_on_the_frontier() -> None:
    result = run(Settings(max_weight=0.4))
    best = next(p for p in result.points if p.method == "max_sharpe")
    frontier = [p for p in result.points if p.method == "frontier"]
    assert all(best.sharpe_ratio >= p.sharpe_ratio - 1e-6 for p in frontier)


@pytest.mark.parametrize("settings", [Settings(max_weight=0.35), Settings(allow_short=True)])
def test_frontier_rises_from_min_volatility_within_the_bounds(settings: Settings) -> None:
    result = run(settings)
    mu, cov = numpy_moments(synthetic_prices(), settings.lookback)
    min_vol = next(p for p in result.points if p.method == "min_volatility")
    frontier = [p for p in result.points if p.method == "frontier"]
    assert [p.point_index for p in frontier] == list(range(settings.frontier_points))
    lower, upper = settings.bounds()
    for point in frontier:
        weights = np.array([point.weights[s] for s in SYMBOLS])
        assert weights.sum() == pytest.approx(1, abs=1e-8)
        assert (weights >= lower - 1e-8).all() and (weights <= upper + 1e-8).all()
        assert point.volatility >= min_vol.volatility - 1e-9
        # the stored figures are w'mu and sqrt(w'Sw) of the stored weights (numpy here)
        assert point.expected_return == pytest.approx(weights @ mu, rel=1e-9)
        assert point.volatility == pytest.approx(np.sqrt(weights @ cov @ weights), rel=1e-9)
    returns = [p.expected_return for p in frontier]
    volatilities = [p.volatility for p in frontier]
    assert all(b > a for a, b in itertools.pairwise(returns))
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(volatilities))
    assert frontier[0].volatility == pytest.approx(min_vol.volatility, rel=1e-5)


def test_frontier_top_is_the_highest_return_the_caps_allow() -> None:
    # long-only, cap 0.35: 0.35 in the two best assets, 0.30 in the third (hand-checked)
    settings = Settings(max_weight=0.35)
    mu, _ = numpy_moments(synthetic_prices(), 756)
    order = np.argsort(mu)[::-1]
    top = 0.35 * mu[order[0]] + 0.35 * mu[order[1]] + 0.30 * mu[order[2]]
    frontier = [p for p in run(settings).points if p.method == "frontier"]
    assert frontier[-1].expected_return == pytest.approx(top, rel=1e-6)


def test_current_weights_are_evaluated_under_the_same_moments() -> None:
    current = {"AAA": 0.1, "BBB": 0.2, "CCC": 0.3, "DDD": 0.4}
    mu, cov = numpy_moments(synthetic_prices(), 756)
    point = next(p for p in run(Settings(), current=current).points if p.method == "current")
    weights = np.array([0.1, 0.2, 0.3, 0.4])
    volatility = np.sqrt(weights @ cov @ weights)
    assert point.expected_return == pytest.approx(weights @ mu, rel=1e-12)
    assert point.volatility == pytest.approx(volatility, rel=1e-12)
    assert point.sharpe_ratio == pytest.approx((weights @ mu - RF) / volatility, rel=1e-12)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (Settings(max_weight=0.2), "--max-weight 0.2 x 4 symbols < 1"),
        (Settings(max_weight=1.5), "not in (0, 1]"),
        (Settings(frontier_points=1), "--frontier-points must be at least 2"),
        (Settings(lookback=10), "--lookback must be at least 60"),
    ],
)
def test_bad_settings_fail_in_one_line(settings: Settings, message: str) -> None:
    with pytest.raises(OptimizationError, match=re.escape(message)):
        settings.check(len(SYMBOLS))


def test_too_short_a_common_history_fails() -> None:
    prices = synthetic_prices()
    prices.iloc[:-40, 3] = np.nan  # DDD listed 40 sessions ago
    with pytest.raises(OptimizationError, match="only 39 sessions where every symbol"):
        engine.returns_window(prices, 756)


def test_a_symbol_without_prices_fails() -> None:
    prices = synthetic_prices()
    prices["EEE"] = np.nan
    with pytest.raises(OptimizationError, match="unknown symbol EEE"):
        engine.returns_window(prices, 756)


def test_binding_caps_agree_with_scipy_slsqp() -> None:
    """Where the caps bind there is no closed form: scipy's SLSQP (another optimizer, run
    here) on the same numpy moments must land on the same long-only portfolios."""
    from scipy.optimize import minimize

    settings = Settings(max_weight=0.3)
    mu, cov = numpy_moments(synthetic_prices(), 756)
    constraints = [{"type": "eq", "fun": lambda w: w.sum() - 1}]
    options = {"ftol": 1e-15, "maxiter": 1000}

    def solve(objective):  # type: ignore[no-untyped-def]
        start = np.full(4, 0.25)
        bounds = [(0, 0.3)] * 4
        answer = minimize(objective, start, bounds=bounds, constraints=constraints, options=options)
        assert answer.success, answer.message
        return answer.x

    min_var = solve(lambda w: w @ cov @ w)
    tangent = solve(lambda w: -(w @ mu - RF) / np.sqrt(w @ cov @ w))
    assert np.isclose(min_var, 0.3).any() and np.isclose(tangent, 0.3).any()  # caps bind
    result = run(settings)
    np.testing.assert_allclose(weights_of(result, "min_volatility"), min_var, atol=1e-5)
    np.testing.assert_allclose(weights_of(result, "max_sharpe"), tangent, atol=1e-5)
