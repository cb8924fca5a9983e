"""Strategies: market data up to a session -> the target weights decided at its close. Pure.

Each function returns the decisions as a frame (index = decision session, one column per
symbol traded, weights) holding only the sessions where the target changes, the first one
being the first session the strategy has a signal on. Every decision reads only rows dated on
or before its session: trailing windows, the rotation mart's row of that session, the macro
value as known that day (fct_macro_asof_daily), the forecast made at that close.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from marketpulse.backtest.config import Strategy
from marketpulse.backtest.engine import BacktestError


@dataclass(frozen=True)
class MarketData:
    opens: pd.DataFrame  # adj_open, index = every session (DatetimeIndex), one column per symbol
    closes: pd.DataFrame  # adj_close, same shape
    rotation: pd.DataFrame = field(
        default_factory=pd.DataFrame
    )  # symbol, trading_date, rs_momentum
    risk_free: pd.Series = field(
        default_factory=lambda: pd.Series(dtype="float64")
    )  # annual, by session
    forecasts: pd.DataFrame = field(default_factory=pd.DataFrame)  # fct_forecasts rows

    @property
    def sessions(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.closes.index)


@dataclass(frozen=True)
class Decisions:
    targets: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def first(self) -> pd.Timestamp | None:
        return None if self.targets.empty else pd.Timestamp(self.targets.index[0])


def decide(strategy: Strategy, data: MarketData) -> Decisions:
    """The strategy's decisions; BacktestError (one line) when it has no signal at all."""
    for symbol in strategy.symbols():
        if symbol not in data.closes.columns or data.closes[symbol].notna().sum() == 0:
            raise BacktestError(
                f"strategies.{strategy.name}: no prices for {symbol} in marts.fct_prices_daily"
            )
    decisions = KIND_FUNCTIONS[strategy.kind](strategy.params, data)
    if decisions.targets.empty:
        raise BacktestError(
            f"strategies.{strategy.name}: no signal on any session "
            f"({decisions.notes[0] if decisions.notes else 'too little history'})"
        )
    return decisions


def buy_and_hold(params: Mapping[str, Any], data: MarketData) -> Decisions:
    symbol = params["symbol"]
    first = data.closes[symbol].first_valid_index()
    return Decisions(pd.DataFrame({symbol: [1.0]}, index=pd.DatetimeIndex([first])))


def sma_crossover(params: Mapping[str, Any], data: MarketData) -> Decisions:
    """Long while the fast simple moving average of adj_close is above the slow one."""
    symbol, fast, slow = params["symbol"], params["fast"], params["slow"]
    close = data.closes[symbol].dropna()
    fast_mean = close.rolling(fast, min_periods=fast).mean()
    slow_mean = close.rolling(slow, min_periods=slow).mean()
    valid = slow_mean.notna()
    desired = (fast_mean > slow_mean).astype("float64")[valid]
    note = f"{symbol} has {len(close)} sessions, the slow average needs {slow}"
    return Decisions(changes(desired.to_frame(symbol)), [note] if desired.empty else [])


def rsi_mean_reversion(params: Mapping[str, Any], data: MarketData) -> Decisions:
    """Buy when RSI falls below entry_below; sell when it rises above exit_above."""
    symbol, period = params["symbol"], params["period"]
    close = data.closes[symbol].dropna()
    rsi = wilder_rsi(close, period).dropna()
    position = 0.0
    desired = []
    for value in rsi.to_numpy():
        if position == 0.0 and value < params["entry_below"]:
            position = 1.0
        elif position == 1.0 and value > params["exit_above"]:
            position = 0.0
        desired.append(position)
    frame = pd.DataFrame({symbol: desired}, index=rsi.index, dtype="float64")
    note = f"{symbol} has {len(close)} sessions, RSI({period}) needs {period + 1}"
    return Decisions(changes(frame), [] if len(frame) else [note])


def wilder_rsi(close: pd.Series, period: int) -> pd.Series:
    """Wilder's RSI as TA-Lib computes it: the first average gain and loss are the simple means
    of the first `period` changes, then avg = (avg x (period - 1) + change) / period (a
    first-order recursive filter); 100 x gain / (gain + loss), 0 when both are 0. NaN for the
    first `period` sessions."""
    from scipy.signal import lfilter

    values = close.to_numpy(dtype="float64")
    result = np.full(len(values), np.nan)
    if len(values) <= period:
        return pd.Series(result, index=close.index)
    change = np.diff(values)
    gains, losses = np.clip(change, 0, None), np.clip(-change, 0, None)
    decay = (period - 1) / period
    averages = []
    for moves in (gains, losses):
        seed = moves[:period].mean()
        rest, _ = lfilter([1 / period], [1, -decay], moves[period:], zi=[seed * decay])
        averages.append(np.concatenate([[seed], rest]))
    gain, loss = averages
    total = gain + loss
    with np.errstate(divide="ignore", invalid="ignore"):
        result[period:] = np.where(total == 0, 0.0, 100.0 * gain / total)
    return pd.Series(result, index=close.index)


def sector_rotation(params: Mapping[str, Any], data: MarketData) -> Decisions:
    """At each period's last session, equal weights in the top_k sector ETFs by RS-Momentum
    (fct_sector_rotation's row of that session; ties by symbol)."""
    top_k = params["top_k"]
    rotation = data.rotation
    if rotation.empty:
        return Decisions(pd.DataFrame(), ["marts.fct_sector_rotation has no rows"])
    ranked = rotation.dropna(subset=["rs_momentum"])
    ranked = ranked[ranked["symbol"].isin(data.closes.columns)]
    by_session = {stamp: rows for stamp, rows in ranked.groupby("trading_date")}
    sectors = sorted(ranked["symbol"].unique())
    rows = []
    index = []
    for session in rebalance_sessions(data.sessions, params["rebalance"]):
        candidates = by_session.get(session)
        if candidates is None or len(candidates) < top_k:
            continue
        chosen = candidates.sort_values(["rs_momentum", "symbol"], ascending=[False, True])
        picked = set(chosen["symbol"].iloc[:top_k])
        rows.append([1.0 / top_k if symbol in picked else 0.0 for symbol in sectors])
        index.append(session)
    targets = pd.DataFrame(rows, index=pd.DatetimeIndex(index), columns=sectors, dtype="float64")
    note = f"no {params['rebalance']} rebalance session with {top_k} sectors' RS-Momentum"
    return Decisions(changes(targets), [] if rows else [note])


def max_sharpe(params: Mapping[str, Any], data: MarketData) -> Decisions:
    """At each period's last session, the optimizer's max-Sharpe weights on the trailing
    `lookback` daily returns and the risk-free rate known that day (min volatility when no
    symbol's expected return beats it)."""
    from marketpulse.portfolio.optimize import engine as optimizer

    symbols = list(params["symbols"])
    settings = optimizer.Settings(lookback=params["lookback"], max_weight=params["max_weight"])
    closes = data.closes[symbols]
    complete = closes.notna().all(axis=1)
    rows, index, notes = [], [], []
    for session in rebalance_sessions(data.sessions, params["rebalance"]):
        history = closes.loc[:session][complete.loc[:session]]
        if len(history) <= params["lookback"]:
            continue
        window = optimizer.returns_window(history, params["lookback"])
        rate = data.risk_free.get(session, math.nan)
        risk_free = 0.0 if pd.isna(rate) else float(rate)
        weights = optimizer.max_sharpe_weights(window, risk_free, settings)
        if weights is None:
            notes.append(f"{session.date()}: min volatility (no return above the risk-free rate)")
            weights = optimizer.min_volatility_weights(window, settings)
        rows.append([max(weights[symbol], 0.0) for symbol in symbols])
        index.append(session)
    targets = pd.DataFrame(rows, index=pd.DatetimeIndex(index), columns=symbols, dtype="float64")
    targets = targets.div(targets.sum(axis=1).clip(lower=1.0), axis=0)
    if not rows:
        notes.append(f"fewer than {params['lookback'] + 1} sessions where every symbol has a price")
    return Decisions(changes(targets), notes)


def forecast(params: Mapping[str, Any], data: MarketData) -> Decisions:
    """Long while the model's latest forecast of the `horizon`-session return, made at the
    session's close, is above `threshold`."""
    symbol = params["symbol"]
    rows = data.forecasts
    if rows.empty:
        return Decisions(pd.DataFrame(), ["marts.fct_forecasts has no rows"])
    chosen = rows[
        (rows["symbol"] == symbol)
        & (rows["model"] == params["model"])
        & (rows["horizon"] == params["horizon"])
        & (rows["target"] == "return")
    ]
    if chosen.empty:
        note = f"no {params['model']} {params['horizon']}-session return forecast of {symbol}"
        return Decisions(pd.DataFrame(), [note])
    series = chosen.set_index("as_of_date")["prediction"].sort_index()
    series = series[series.index.isin(data.sessions)].dropna()
    desired = (series > params["threshold"]).astype("float64").to_frame(symbol)
    desired.index = pd.DatetimeIndex(desired.index)
    return Decisions(changes(desired))


def changes(desired: pd.DataFrame) -> pd.DataFrame:
    """The rows of `desired` (sorted by session) whose weights differ from the row before;
    the first row always."""
    if desired.empty:
        return desired
    if not desired.index.is_monotonic_increasing:
        desired = desired.sort_index()
    values = desired.to_numpy()
    keep = np.ones(len(values), dtype=bool)
    keep[1:] = (values[1:] != values[:-1]).any(axis=1)
    return desired[keep]


def rebalance_sessions(sessions: pd.DatetimeIndex, rebalance: str) -> pd.DatetimeIndex:
    """The last session of each week, month or quarter in `sessions`."""
    periods = {"weekly": "W", "monthly": "M", "quarterly": "Q"}[rebalance]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # to_period drops the timezone-free index's freq
        labels = sessions.to_period(periods)
    last = pd.Series(sessions, index=sessions).groupby(labels).max()
    return pd.DatetimeIndex(last.to_numpy())


KIND_FUNCTIONS: dict[str, Callable[[Mapping[str, Any], MarketData], Decisions]] = {
    "buy_and_hold": buy_and_hold,
    "sma_crossover": sma_crossover,
    "rsi_mean_reversion": rsi_mean_reversion,
    "sector_rotation": sector_rotation,
    "max_sharpe": max_sharpe,
    "forecast": forecast,
}
