"""Strategies: indicators against TA-Lib, and no look-ahead anywhere: perturbing every value
dated after a session leaves every decision, fill and equity value up to it unchanged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib

from marketpulse.backtest import backtest
from marketpulse.backtest.config import Config, Strategy
from marketpulse.backtest.engine import Costs
from marketpulse.backtest.strategies import (
    MarketData,
    changes,
    decide,
    rebalance_sessions,
    wilder_rsi,
)
from tests.backtest.test_engine import sample

SECTORS = ["XLB", "XLE", "XLF", "XLI", "XLK", "XLP", "XLU", "XLV", "XLY"]
STOCKS = ["AAPL", "MSFT", "JPM", "JNJ", "XOM", "PG"]
COSTS = Costs(1.0, 2.0)


def market() -> MarketData:
    """The bundled Yahoo histories (as traded: the strategies only need a price path), a
    rotation frame from them (RS-Momentum as the mart defines it), a risk-free rate by session
    and one forecast per session."""
    symbols = ["SPY", *SECTORS, *STOCKS]
    histories = {symbol: sample(symbol) for symbol in symbols}
    opens = pd.DataFrame({symbol: frame["Open"] for symbol, frame in histories.items()})
    closes = pd.DataFrame({symbol: frame["Close"] for symbol, frame in histories.items()})
    relative = closes[SECTORS].div(closes["SPY"], axis=0)
    ratio = 100 * relative / relative.rolling(50).mean()
    momentum = 100 * ratio / ratio.shift(50)
    rotation = momentum.stack().rename("rs_momentum").reset_index()
    rotation.columns = ["trading_date", "symbol", "rs_momentum"]
    risk_free = pd.Series(0.01, index=closes.index)
    noise = np.random.default_rng(7).normal(0, 0.01, len(closes))
    forecasts = pd.DataFrame(
        {
            "symbol": "SPY",
            "as_of_date": closes.index,
            "horizon": 5,
            "target": "return",
            "model": "lightgbm",
            "prediction": closes["SPY"].pct_change(5).fillna(0).to_numpy() + noise,
        }
    )
    return MarketData(opens, closes, rotation, risk_free, forecasts)


STRATEGIES = [
    Strategy("sma", "sma_crossover", {"symbol": "SPY", "fast": 50, "slow": 200}, COSTS),
    Strategy(
        "rsi",
        "rsi_mean_reversion",
        {"symbol": "SPY", "period": 14, "entry_below": 30.0, "exit_above": 50.0},
        COSTS,
    ),
    Strategy("rotation", "sector_rotation", {"top_k": 3, "rebalance": "monthly"}, COSTS),
    Strategy(
        "sharpe",
        "max_sharpe",
        {"symbols": STOCKS, "lookback": 252, "max_weight": 0.5, "rebalance": "quarterly"},
        COSTS,
    ),
    Strategy(
        "forecast",
        "forecast",
        {"symbol": "SPY", "model": "lightgbm", "horizon": 5, "threshold": 0.0},
        COSTS,
    ),
]


def test_rsi_equals_talib() -> None:
    close = sample("SPY")["Close"]
    for period in (2, 14, 30):
        np.testing.assert_allclose(
            wilder_rsi(close, period).to_numpy(),
            talib.RSI(close.to_numpy(), timeperiod=period),
            rtol=1e-10,
            equal_nan=True,
        )


def test_sma_crossover_decides_at_each_cross() -> None:
    data = market()
    decisions = decide(STRATEGIES[0], data).targets["SPY"]
    close = data.closes["SPY"]
    state = (close.rolling(50).mean() > close.rolling(200).mean())[close.index[199] :]
    crosses = state[state != state.shift()]
    assert decisions.index.equals(crosses.index)
    assert decisions.tolist() == crosses.astype(float).tolist()
    assert len(decisions) > 5


def test_rotation_holds_the_top_three_by_rs_momentum_each_month() -> None:
    data = market()
    targets = decide(STRATEGIES[2], data).targets
    month_ends = rebalance_sessions(data.sessions, "monthly")
    assert set(targets.index) <= set(month_ends)
    session = targets.index[3]
    day = data.rotation[data.rotation["trading_date"] == session].dropna()
    top = set(day.nlargest(3, "rs_momentum")["symbol"])
    held = set(targets.columns[targets.loc[session] > 0])
    assert held == top
    assert targets.loc[session, sorted(top)].tolist() == [1 / 3] * 3


def test_max_sharpe_uses_only_the_trailing_window() -> None:
    """The weights of a quarter's decision equal the optimizer's on that window alone."""
    from marketpulse.portfolio.optimize import engine as optimizer

    data = market()
    targets = decide(STRATEGIES[3], data).targets
    session = targets.index[2]
    window = optimizer.returns_window(data.closes[STOCKS].loc[:session], 252)
    settings = optimizer.Settings(lookback=252, max_weight=0.5)
    expected = optimizer.max_sharpe_weights(window, 0.01, settings)
    assert expected is not None
    np.testing.assert_allclose(
        targets.loc[session, STOCKS], [expected[s] for s in STOCKS], atol=1e-9
    )


def perturbed_after(data: MarketData, cut: pd.Timestamp, seed: int) -> MarketData:
    """Every price, rotation value, risk-free rate and forecast dated after `cut` replaced."""
    rng = np.random.default_rng(seed)
    later = data.closes.index > cut

    def shake(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame.loc[later] = frame.loc[later] * rng.uniform(0.5, 1.5, size=frame.loc[later].shape)
        return frame

    rotation = data.rotation.copy()
    after = rotation["trading_date"] > cut
    rotation.loc[after, "rs_momentum"] = rng.uniform(80, 120, after.sum())
    risk_free = data.risk_free.copy()
    risk_free[risk_free.index > cut] = 0.2
    forecasts = data.forecasts.copy()
    ahead = forecasts["as_of_date"] > cut
    forecasts.loc[ahead, "prediction"] = rng.normal(0, 0.05, ahead.sum())
    return MarketData(shake(data.opens), shake(data.closes), rotation, risk_free, forecasts)


def decisions_upto(targets: pd.DataFrame, cut: pd.Timestamp) -> pd.DataFrame:
    return targets.loc[:cut]


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda strategy: strategy.kind)
def test_no_look_ahead(strategy: Strategy) -> None:
    data = market()
    config = Config([strategy], 100_000.0, COSTS)
    original = backtest(data, config, "SPY")
    assert not original.failures, original.failures
    sessions = data.sessions
    for cut in (sessions[700], sessions[1100]):
        shaken = perturbed_after(data, cut, seed=cut.day)
        # every decision made at or before the cut
        pd.testing.assert_frame_equal(
            decisions_upto(decide(strategy, data).targets, cut),
            decisions_upto(decide(strategy, shaken).targets, cut),
        )
        changed = backtest(shaken, config, "SPY")
        for before, after in zip(original.outcomes, changed.outcomes, strict=True):
            kept = before.simulation.daily.loc[:cut]
            pd.testing.assert_frame_equal(kept, after.simulation.daily.loc[:cut])
            fills = before.simulation.fills
            upto = fills[fills["trading_date"] <= cut.date()]
            later = after.simulation.fills
            pd.testing.assert_frame_equal(upto, later[later["trading_date"] <= cut.date()])
        # the perturbation reaches the equity after the cut: the check can fail
        assert not original.outcomes[0].simulation.equity.equals(
            changed.outcomes[0].simulation.equity
        )


def test_the_check_catches_a_strategy_that_peeks() -> None:
    """A decision that reads the next session's close (here a weight from it) differs at the
    cut once the values after the cut are perturbed: the comparison above fails on it."""

    def peeking(data: MarketData) -> pd.DataFrame:
        close = data.closes["SPY"]
        weight = (close.shift(-1) / close - 0.5).clip(0, 1).iloc[:-1]
        return changes(weight.to_frame("SPY"))

    data = market()
    cut = data.sessions[700]
    honest = decisions_upto(peeking(data), cut)
    with pytest.raises(AssertionError):
        pd.testing.assert_frame_equal(
            honest, decisions_upto(peeking(perturbed_after(data, cut, seed=1)), cut)
        )


def test_a_symbol_without_prices_is_one_line() -> None:
    data = market()
    strategy = Strategy("x", "sma_crossover", {"symbol": "NOPE", "fast": 5, "slow": 10}, COSTS)
    config = Config([STRATEGIES[0], strategy], 100_000.0, COSTS)
    run = backtest(data, config, "SPY")
    assert run.failures == ["strategies.x: no prices for NOPE in marts.fct_prices_daily"]
    assert [outcome.strategy.name for outcome in run.outcomes] == ["sma", "benchmark"]


def test_a_strategy_without_forecasts_is_skipped_in_one_line() -> None:
    data = market()
    empty = MarketData(data.opens, data.closes, data.rotation, data.risk_free, pd.DataFrame())
    run = backtest(empty, Config([STRATEGIES[0], STRATEGIES[4]], 100_000.0, COSTS), "SPY")
    assert run.failures == [
        "strategies.forecast: no signal on any session (marts.fct_forecasts has no rows)"
    ]
