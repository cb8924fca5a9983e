"""Returns, targets and features on wide frames (index trading_date, one column per symbol).

Every feature at date t is a trailing computation: rolling windows and recursions that end
at t, never centred or shifted backwards, so a feature row is known at t's close. Targets look
forward (t+1..t+h) and are used only for training rows whose last target day is on or before
the refit date (walkforward.training_rows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HORIZONS = (1, 5, 21)
TARGETS = ("return", "volatility")
EWMA_LAMBDA = 0.94  # RiskMetrics daily decay
# Macro series as known on each session (fct_macro_asof_daily, the vintage of that day).
MACRO_SERIES = ("DGS3MO", "DGS10", "T10Y2Y", "UNRATE")
PRICE_FEATURES = (
    "ret_1",
    "ret_5",
    "ret_21",
    "ret_63",
    "vol_5",
    "vol_21",
    "vol_63",
    "ewma_vol",
    "rsi_14",
    "sma_50_gap",
)
MACRO_FEATURES = ("macro_dgs3mo", "macro_t10y2y", "macro_unrate", "macro_dgs10_change_21")
FEATURES = PRICE_FEATURES + MACRO_FEATURES


def log_returns(prices: pd.DataFrame) -> pd.DataFrame:
    """Daily log returns of adj_close; the return of date t uses closes t-1 and t."""
    return np.log(prices).diff()


def ewma_variance(returns: pd.DataFrame) -> pd.DataFrame:
    """sigma^2 for t+1 known at t: lambda * sigma^2_t + (1 - lambda) * r_t^2 (from each symbol's
    first return; a recursion forward in time only)."""
    return (returns**2).ewm(alpha=1 - EWMA_LAMBDA, adjust=False, ignore_na=True).mean()


def _rsi(prices: pd.DataFrame, window: int = 14) -> pd.DataFrame:
    change = prices.diff()
    gain = change.clip(lower=0).ewm(alpha=1 / window, adjust=False, ignore_na=True).mean()
    loss = (-change.clip(upper=0)).ewm(alpha=1 / window, adjust=False, ignore_na=True).mean()
    total = gain + loss
    return (100 * gain / total.where(total > 0)).fillna(50.0)


def price_features(prices: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Wide frames of the price features, each known at its row's close."""
    returns = log_returns(prices)
    squared = returns**2
    return {
        "ret_1": returns,
        "ret_5": returns.rolling(5).sum(),
        "ret_21": returns.rolling(21).sum(),
        "ret_63": returns.rolling(63).sum(),
        "vol_5": np.sqrt(squared.rolling(5).mean()),
        "vol_21": np.sqrt(squared.rolling(21).mean()),
        "vol_63": np.sqrt(squared.rolling(63).mean()),
        "ewma_vol": np.sqrt(ewma_variance(returns)),
        "rsi_14": _rsi(prices),
        "sma_50_gap": prices / prices.rolling(50).mean() - 1,
    }


def macro_features(macro: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """Macro columns on the price calendar: the value as known on each session (no fill from
    later sessions; a series not yet published is NaN, which LightGBM handles)."""
    frame = macro.reindex(index)
    out = pd.DataFrame(index=index)
    for series, column in (
        ("DGS3MO", "macro_dgs3mo"),
        ("T10Y2Y", "macro_t10y2y"),
        ("UNRATE", "macro_unrate"),
    ):
        out[column] = frame.get(series, np.nan)
    dgs10 = frame["DGS10"] if "DGS10" in frame else pd.Series(np.nan, index=index)
    out["macro_dgs10_change_21"] = dgs10 - dgs10.shift(21)
    return out


def targets(prices: pd.DataFrame) -> dict[tuple[str, int], pd.DataFrame]:
    """What each forecast is scored against: for horizon h at date t, the log return from t's
    close to t+h's close, and the realised volatility sqrt(mean r^2 over t+1..t+h) (daily
    units). The same definitions as fct_forecasts.realised_value."""
    returns = log_returns(prices)
    squared = returns**2
    out: dict[tuple[str, int], pd.DataFrame] = {}
    for h in HORIZONS:
        out[("return", h)] = returns.rolling(h).sum().shift(-h)
        out[("volatility", h)] = np.sqrt(squared.rolling(h).mean()).shift(-h)
    return out


def stack(frames: dict[str, pd.DataFrame], rows: slice, macro: pd.DataFrame) -> pd.DataFrame:
    """Long panel (trading_date, symbol) of the features for the row positions `rows`."""
    parts = {name: frame.iloc[rows].stack(future_stack=True) for name, frame in frames.items()}
    panel = pd.DataFrame(parts)
    macro_rows = macro.iloc[rows]
    dates = panel.index.get_level_values(0)
    for column in MACRO_FEATURES:
        panel[column] = macro_rows[column].reindex(dates).to_numpy()
    return panel[list(FEATURES)]
