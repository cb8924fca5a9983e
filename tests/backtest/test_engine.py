"""The simulator against hand-computed fills and against vectorbt, an independent backtester."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from marketpulse.backtest.engine import BacktestError, Costs, simulate
from tests.conftest import ROOT

HISTORY = ROOT / "sample_data" / "yahoo" / "history"


def sample(symbol: str) -> pd.DataFrame:
    """The bundled Yahoo history of one symbol: Open and Close (as traded), by session."""
    frame = pd.read_csv(HISTORY / f"{symbol}.csv")
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame["Date"].str[:10]))
    return frame[["Open", "Close"]].astype("float64")


def frames(**columns: list[float]) -> pd.DataFrame:
    sessions = pd.bdate_range("2024-01-01", periods=len(next(iter(columns.values()))))
    return pd.DataFrame(columns, index=sessions, dtype="float64")


def test_one_round_trip_by_hand() -> None:
    """1,000 cash; a decision on day 1 to be fully in X; out on day 3. Fee 10 bp, slippage 20 bp.
    Day 2 open 100: buy price 100.2, shares = 1000 / (100.2 x 1.001) = 9.970069930...;
    day 2 close 102: equity = 9.97006993 x 102 = 1016.9471...; day 4 open 104: sell at
    103.792, proceeds 9.97006993 x 103.792 x 0.999 = 1033.7751...; cash to the end."""
    opens = frames(X=[99.0, 100.0, 101.0, 104.0, 90.0])
    closes = frames(X=[99.5, 102.0, 103.0, 105.0, 91.0])
    sessions = closes.index
    targets = pd.DataFrame({"X": [1.0, 0.0]}, index=sessions[[0, 2]])
    result = simulate(
        opens, closes, targets, sessions[1].date(), sessions[4].date(), 1000.0, Costs(10, 20)
    )
    shares = 1000.0 / (100.0 * 1.002 * 1.001)
    proceeds = shares * 104.0 * 0.998 * 0.999
    expected = [1000.0, shares * 102.0, shares * 103.0, proceeds, proceeds]
    np.testing.assert_allclose(result.equity.to_numpy(), expected, rtol=1e-14)
    assert list(result.equity.index) == list(sessions[:5])  # from the session before the period
    assert result.daily["orders"].tolist() == [0, 1, 0, 1, 0]
    assert result.daily["exposure"].tolist() == pytest.approx([0, 1, 1, 0, 0], abs=1e-12)
    fills = result.fills
    assert fills["side"].tolist() == ["buy", "sell"]
    assert fills["price"].tolist() == pytest.approx([100.2, 103.792], rel=1e-15)
    assert fills["fee"].tolist() == pytest.approx(
        [shares * 100.2 * 0.001, shares * 103.792 * 0.001], rel=1e-12
    )
    assert fills["trading_date"].tolist() == [sessions[1].date(), sessions[3].date()]


def test_rebalancing_without_costs_reaches_the_target_weights() -> None:
    """Two symbols, 60/40 then 20/80: with no costs the weights at the open are exact and the
    value is conserved through the trade."""
    opens = frames(A=[10.0, 10.0, 12.0, 11.0], B=[20.0, 20.0, 18.0, 19.0])
    closes = frames(A=[10.0, 11.0, 12.5, 11.0], B=[20.0, 19.0, 18.5, 19.0])
    sessions = closes.index
    targets = pd.DataFrame({"A": [0.6, 0.2], "B": [0.4, 0.8]}, index=sessions[[0, 1]])
    result = simulate(
        opens, closes, targets, sessions[1].date(), sessions[3].date(), 100.0, Costs()
    )
    a, b = 100.0 * 0.6 / 10.0, 100.0 * 0.4 / 20.0  # 6 A, 2 B at the first open
    value = a * 12.0 + b * 18.0  # the second open: 72 + 36 = 108
    a2, b2 = value * 0.2 / 12.0, value * 0.8 / 18.0
    expected = [100.0, a * 11 + b * 19, a2 * 12.5 + b2 * 18.5, a2 * 11 + b2 * 19]
    np.testing.assert_allclose(result.equity.to_numpy(), expected, rtol=1e-14)
    turnover = (abs(a2 - a) * 12.0 + abs(b2 - b) * 18.0) / value
    assert result.daily["turnover"].iloc[2] == pytest.approx(turnover, rel=1e-12)


def test_costs_never_overdraw_the_cash() -> None:
    """Buys are scaled down together when fees and slippage would take cash below zero."""
    opens = frames(A=[10.0] * 4, B=[20.0] * 4)
    closes = frames(A=[10.0] * 4, B=[20.0] * 4)
    sessions = closes.index
    targets = pd.DataFrame({"A": [0.5], "B": [0.5]}, index=sessions[[0]])
    result = simulate(
        opens, closes, targets, sessions[1].date(), sessions[3].date(), 1000.0, Costs(25, 50)
    )
    spent = (result.fills["notional"] + result.fills["fee"]).sum()
    assert spent == pytest.approx(1000.0, rel=1e-12)
    quantities = result.fills.set_index("symbol")["quantity"]
    assert quantities["A"] * 10 == pytest.approx(quantities["B"] * 20, rel=1e-12)


@pytest.mark.parametrize(("fee_bps", "slippage_bps"), [(0.0, 0.0), (10.0, 5.0), (2.5, 25.0)])
def test_sma_crossover_equals_vectorbt(fee_bps: float, slippage_bps: float) -> None:
    """SPY's bundled history, long while SMA(20) > SMA(50) of the close, decided at the close and
    filled at the next open: the equity curve equals vectorbt's `Portfolio.from_signals` with
    `price=open`, the same fees and slippage and `size=inf` (all cash), within 1e-9."""
    import vectorbt as vbt

    from marketpulse.backtest.config import Strategy
    from marketpulse.backtest.strategies import MarketData, decide

    prices = sample("SPY")
    opens, closes = prices[["Open"]].rename(columns={"Open": "SPY"}), prices[["Close"]]
    closes = closes.rename(columns={"Close": "SPY"})
    strategy = Strategy("spy", "sma_crossover", {"symbol": "SPY", "fast": 20, "slow": 50}, Costs())
    decisions = decide(strategy, MarketData(opens, closes))
    start, end = closes.index[60], closes.index[-1]
    ours = simulate(
        opens,
        closes,
        decisions.targets,
        start.date(),
        end.date(),
        10_000.0,
        Costs(fee_bps, slippage_bps),
    )

    # vectorbt on its own moving averages: the state decided at each close, held from the
    # next session's open
    close = closes["SPY"]
    fast = vbt.MA.run(close, 20).ma
    slow = vbt.MA.run(close, 50).ma
    state = (fast > slow).loc[closes.index[59] :]
    held = state.shift(1).loc[start:].astype(bool)
    before = held.shift(1, fill_value=False)
    portfolio = vbt.Portfolio.from_signals(
        close.loc[start:],
        entries=held & ~before,
        exits=~held & before,
        price=opens["SPY"].loc[start:],
        fees=fee_bps * 1e-4,
        slippage=slippage_bps * 1e-4,
        init_cash=10_000.0,
        size=np.inf,
        direction="longonly",
        freq="D",
    )
    reference = portfolio.value()
    mine = ours.equity.loc[start:]
    np.testing.assert_allclose(mine.to_numpy(), reference.to_numpy(), rtol=1e-9)
    assert len(ours.fills) == int(portfolio.orders.count())
    assert len(ours.fills) > 10
    np.testing.assert_allclose(
        ours.fills["price"].to_numpy(),
        portfolio.orders.records_readable["Price"].to_numpy(),
        rtol=1e-12,
    )


def test_a_target_on_a_non_session_is_refused() -> None:
    opens = frames(A=[10.0] * 3)
    targets = pd.DataFrame({"A": [1.0]}, index=pd.DatetimeIndex(["2024-01-06"]))  # a Saturday
    with pytest.raises(BacktestError, match="2024-01-06, which is not a session"):
        simulate(opens, opens, targets, date(2024, 1, 2), date(2024, 1, 3), 1.0, Costs())


def test_leverage_is_refused() -> None:
    opens = frames(A=[10.0] * 3, B=[10.0] * 3)
    targets = pd.DataFrame({"A": [0.7], "B": [0.6]}, index=opens.index[[0]])
    with pytest.raises(BacktestError, match="sum to more than 1"):
        simulate(opens, opens, targets, date(2024, 1, 2), date(2024, 1, 3), 1.0, Costs())
