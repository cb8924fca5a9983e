"""The backtest simulator: target weights -> fills at the next open -> daily equity. Pure.

Rules (docs/backtests.md, docs/decisions/0041-backtests.md):

- A strategy decides at a session's close; its new target weights (a row of `targets` dated
  that session) are traded at the **next session's open**. Nothing of a later session is read
  when the fills of a session are computed, so no price after a decision can change it.
- A target is a fraction of the portfolio's value at that open (cash + shares x open).
  Sells go first; buys then share the cash, scaled down together when fees and slippage
  would overdraw it (a fully invested target of 1.0 buys cash / (open x (1 + slippage) x
  (1 + fee)) shares, as vectorbt's `size=inf` does). Long only, no leverage, fractional shares.
- Slippage moves the fill price against the trade (open x (1 + s) to buy, x (1 - s) to sell);
  the fee is a fraction of the filled value. Both in basis points.
- Equity is marked at each session's close: cash + shares x close (the last close seen when a
  symbol has no bar that session). The row before the period's first session holds the
  initial capital: the first daily return already pays the entry's costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

BPS = 1e-4
# A rebalancing order smaller than this fraction of the portfolio's value is not sent: float
# noise between a target and the same holdings must not count as a trade.
MIN_ORDER_FRACTION = 1e-10


class BacktestError(ValueError):
    """A backtest cannot run as configured (one line, for the user)."""


@dataclass(frozen=True)
class Costs:
    fee_bps: float = 0.0
    slippage_bps: float = 0.0

    @property
    def fee(self) -> float:
        return self.fee_bps * BPS

    @property
    def slippage(self) -> float:
        return self.slippage_bps * BPS


@dataclass(frozen=True)
class Simulation:
    """Per session of the period (and the session before it, holding the initial capital):
    equity at the close, exposure (invested value / equity) and turnover (traded value /
    value at the open); one row per fill in `fills`."""

    daily: pd.DataFrame  # index trading_date: equity, daily_return, exposure, turnover, orders
    fills: pd.DataFrame  # trading_date, symbol, side, quantity, price, fee, notional

    @property
    def equity(self) -> pd.Series:
        return self.daily["equity"]


FILL_COLUMNS = ["trading_date", "symbol", "side", "quantity", "price", "fee", "notional"]


@dataclass(frozen=True)
class Prices:
    """The price frames as arrays, made once and shared by every strategy of a run."""

    sessions: pd.DatetimeIndex
    opens: np.ndarray  # sessions x symbols, NaN where a symbol has no bar
    marks: np.ndarray  # closes carried forward, 0 before a symbol's first bar (no shares there)
    columns: dict[str, int]

    @classmethod
    def from_frames(cls, opens: pd.DataFrame, closes: pd.DataFrame) -> Prices:
        sessions = pd.DatetimeIndex(closes.index)
        symbols = list(closes.columns)
        open_prices = opens.reindex(index=sessions, columns=symbols).to_numpy(dtype="float64")
        marks = np.nan_to_num(closes.ffill().to_numpy(dtype="float64"))
        return cls(sessions, open_prices, marks, {symbol: i for i, symbol in enumerate(symbols)})


def simulate(
    opens: pd.DataFrame,
    closes: pd.DataFrame,
    targets: pd.DataFrame,
    start: date,
    end: date,
    capital: float,
    costs: Costs,
) -> Simulation:
    """Trade `targets` over the sessions start..end of the price frames.

    opens, closes: index trading_date (every session, sorted), one column per symbol, adjusted
    prices (NaN where a symbol has no bar). targets: index = decision sessions, columns =
    symbols (a subset of the price columns), weights >= 0 summing to <= 1; the last decision
    on or before the session preceding `start` is the position entered at start's open.
    """
    return simulate_prices(Prices.from_frames(opens, closes), targets, start, end, capital, costs)


def simulate_prices(
    prices: Prices,
    targets: pd.DataFrame,
    start: date,
    end: date,
    capital: float,
    costs: Costs,
) -> Simulation:
    """`simulate` on prepared arrays. Only the targets' symbols are read; between two fills
    the holdings are constant, so each stretch of equity is one matrix product."""
    if capital <= 0:
        raise BacktestError(f"initial capital must be positive, not {capital}")
    sessions = prices.sessions
    symbols = list(targets.columns)
    unknown = [symbol for symbol in symbols if symbol not in prices.columns]
    if unknown:
        raise BacktestError(f"target weights name {unknown[0]}, which has no prices")
    first = int(sessions.searchsorted(pd.Timestamp(start), side="left"))
    last = int(sessions.searchsorted(pd.Timestamp(end), side="right")) - 1
    if first < 1 or last < first:
        raise BacktestError(
            f"no sessions to trade in {start}..{end} with a session before it "
            f"(prices cover {_day(sessions[0])}..{_day(sessions[-1])})"
        )
    selected = [prices.columns[symbol] for symbol in symbols]
    open_prices = prices.opens[:, selected]
    marks = prices.marks[:, selected]
    decisions = _decisions(targets, sessions, first)

    fee, slip = costs.fee, costs.slippage
    shares = np.zeros(len(symbols))
    cash = float(capital)
    count = last - first + 1
    invested = np.zeros(count)
    cash_held = np.full(count, cash)
    turnover = np.zeros(count)
    orders = np.zeros(count, dtype="int64")
    fills: list[tuple[object, ...]] = []
    fill_days = sorted(position + 1 for position in decisions if first <= position + 1 <= last)
    segment = first
    for day in fill_days:
        invested[segment - first : day - first] = marks[segment:day] @ shares
        cash_held[segment - first : day - first] = cash
        cash, turnover[day - first], orders[day - first] = _rebalance(
            decisions[day - 1],
            shares,
            cash,
            open_prices[day],
            marks[day - 1],
            fee,
            slip,
            _day(sessions[day]),
            symbols,
            fills,
        )
        segment = day
    invested[segment - first :] = marks[segment : last + 1] @ shares
    cash_held[segment - first :] = cash
    equity = np.concatenate([[float(capital)], cash_held + invested])
    with np.errstate(divide="ignore", invalid="ignore"):
        exposure = np.where(equity[1:] > 0, invested / equity[1:], 0.0)
    daily = pd.DataFrame(
        {
            "equity": equity,
            "daily_return": np.concatenate([[np.nan], equity[1:] / equity[:-1] - 1]),
            "exposure": np.concatenate([[0.0], exposure]),
            "turnover": np.concatenate([[0.0], turnover]),
            "orders": np.concatenate([[0], orders]),
        },
        index=pd.DatetimeIndex(sessions[first - 1 : last + 1], name="trading_date"),
    )
    return Simulation(daily=daily, fills=pd.DataFrame(fills, columns=FILL_COLUMNS))


def _decisions(
    targets: pd.DataFrame, sessions: pd.DatetimeIndex, first: int
) -> dict[int, np.ndarray]:
    """Session position -> target vector. Decisions before the session preceding the period
    collapse onto it (the latest wins): they set the position the period starts with."""
    ordered = targets if targets.index.is_monotonic_increasing else targets.sort_index()
    weights = ordered.to_numpy(dtype="float64")
    if np.isnan(weights).any():
        raise BacktestError("target weights contain NaN")
    if (weights < -1e-12).any():
        raise BacktestError("target weights must be >= 0 (long only)")
    if (weights.sum(axis=1) > 1 + 1e-9).any():
        raise BacktestError("target weights sum to more than 1 (no leverage)")
    stamps = pd.DatetimeIndex(ordered.index).asi8
    known = sessions.asi8
    positions = np.searchsorted(known, stamps, side="left")
    found = known[np.minimum(positions, len(known) - 1)]
    misplaced = (positions >= len(known)) | (found != stamps)
    if misplaced.any():
        stamp = ordered.index[int(np.flatnonzero(misplaced)[0])]
        raise BacktestError(f"a target is dated {_day(stamp)}, which is not a session")
    clipped = np.clip(weights, 0.0, None)
    return {
        max(int(position), first - 1): row for position, row in zip(positions, clipped, strict=True)
    }


def _rebalance(
    target: np.ndarray,
    shares: np.ndarray,
    cash: float,
    opens: np.ndarray,
    last_closes: np.ndarray,
    fee: float,
    slip: float,
    day: date,
    symbols: list[str],
    fills: list[tuple[object, ...]],
) -> tuple[float, float, int]:
    """Fill `target` at this open, updating `shares` in place; returns cash, turnover, orders.
    A symbol without an open this session keeps its shares (valued at its last close)."""
    tradable = ~np.isnan(opens)
    prices = np.where(tradable, opens, last_closes)
    value = cash + float(shares @ prices)
    if value <= 0:
        return cash, 0.0, 0
    delta = np.where(tradable, target * value - shares * prices, 0.0)
    delta[np.abs(delta) < MIN_ORDER_FRACTION * value] = 0.0
    traded = 0.0
    orders = 0
    for position in np.flatnonzero(delta < 0):
        quantity = (
            shares[position] if target[position] == 0 else -delta[position] / prices[position]
        )
        price = prices[position] * (1 - slip)
        notional = quantity * price
        paid = notional * fee
        cash += notional - paid
        shares[position] -= quantity
        if target[position] == 0:
            shares[position] = 0.0
        traded += quantity * prices[position]
        orders += 1
        fills.append((day, symbols[position], "sell", quantity, price, paid, notional))
    buys = np.flatnonzero(delta > 0)
    if len(buys):
        quantities = delta[buys] / prices[buys]
        buy_prices = prices[buys] * (1 + slip)
        needed = float((quantities * buy_prices * (1 + fee)).sum())
        if needed > cash:
            quantities = quantities * (max(cash, 0.0) / needed)
        for position, quantity, price in zip(buys, quantities, buy_prices, strict=True):
            if quantity <= 0:
                continue
            notional = quantity * price
            paid = notional * fee
            cash -= notional + paid
            shares[position] += quantity
            traded += quantity * prices[position]
            orders += 1
            fills.append((day, symbols[position], "buy", quantity, price, paid, notional))
    return cash, traded / value, orders


def _day(stamp: object) -> date:
    return pd.Timestamp(stamp).date()  # type: ignore[arg-type]
