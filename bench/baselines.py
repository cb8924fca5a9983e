"""The indicators of fct_technical_indicators computed outside the warehouse: by TA-Lib in a
per-symbol loop (the reference the tests compare to, and the bench's baseline) and by pandas
(groupby + rolling/ewm). Input: adjusted OHLCV, one row per symbol and trading_date."""

from __future__ import annotations

import numpy as np
import pandas as pd
import talib

INPUT_COLUMNS = ("symbol", "trading_date", "high", "low", "close", "volume")
INDICATOR_COLUMNS = (
    "close",
    "return_1d",
    "log_return_1d",
    "sma_20",
    "sma_50",
    "sma_200",
    "ema_12",
    "ema_26",
    "rsi_14",
    "macd",
    "macd_signal",
    "macd_hist",
    "bb_upper",
    "bb_middle",
    "bb_lower",
    "atr_14",
    "volatility_20d",
    "volatility_50d",
    "volume_sma_20",
    "volume_ratio_20",
    "return_21d",
    "return_63d",
    "return_126d",
    "return_252d",
)
SQRT_252 = np.sqrt(252.0)


def _talib_symbol(high: np.ndarray, low: np.ndarray, close: np.ndarray, volume: np.ndarray):
    returns = talib.ROCR(close, 1) - 1
    macd, macd_signal, macd_hist = talib.MACD(close, 12, 26, 9)
    bb_upper, bb_middle, bb_lower = talib.BBANDS(close, 20, 2.0, 2.0)
    volume_sma = talib.SMA(volume, 20)
    with np.errstate(divide="ignore", invalid="ignore"):
        volume_ratio = np.where(volume_sma > 0, volume / volume_sma, np.nan)
        log_return = np.log(talib.ROCR(close, 1))
    # STDDEV is population; x sqrt(n / (n - 1)) makes it the sample one.
    return {
        "close": close,
        "return_1d": returns,
        "log_return_1d": log_return,
        "sma_20": talib.SMA(close, 20),
        "sma_50": talib.SMA(close, 50),
        "sma_200": talib.SMA(close, 200),
        "ema_12": talib.EMA(close, 12),
        "ema_26": talib.EMA(close, 26),
        "rsi_14": talib.RSI(close, 14),
        "macd": macd,
        "macd_signal": macd_signal,
        "macd_hist": macd_hist,
        "bb_upper": bb_upper,
        "bb_middle": bb_middle,
        "bb_lower": bb_lower,
        "atr_14": talib.ATR(high, low, close, 14),
        "volatility_20d": talib.STDDEV(returns, 20, 1.0) * np.sqrt(20 / 19) * SQRT_252,
        "volatility_50d": talib.STDDEV(returns, 50, 1.0) * np.sqrt(50 / 49) * SQRT_252,
        "volume_sma_20": volume_sma,
        "volume_ratio_20": volume_ratio,
        "return_21d": talib.ROCR(close, 21) - 1,
        "return_63d": talib.ROCR(close, 63) - 1,
        "return_126d": talib.ROCR(close, 126) - 1,
        "return_252d": talib.ROCR(close, 252) - 1,
    }


def talib_indicators(prices: pd.DataFrame) -> pd.DataFrame:
    """TA-Lib, one symbol at a time. `prices` is sorted by symbol, trading_date."""
    frames = []
    for symbol, group in prices.groupby("symbol", sort=False):
        columns = _talib_symbol(
            *(group[name].to_numpy(dtype="float64") for name in ("high", "low", "close", "volume"))
        )
        frame = pd.DataFrame(columns, index=group.index)
        frame.insert(0, "trading_date", group["trading_date"].to_numpy())
        frame.insert(0, "symbol", symbol)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def pandas_indicators(prices: pd.DataFrame) -> pd.DataFrame:
    """The same indicators vectorised with pandas groupby + rolling/ewm (a baseline for the
    bench; its EMA warm-up follows pandas' adjust=False from the first value, not TA-Lib's
    SMA seed, so it is a cost baseline, not a reference)."""
    frame = prices[["symbol", "trading_date"]].copy()
    by_symbol = prices.groupby("symbol", sort=False)
    close = prices["close"]
    previous_close = by_symbol["close"].shift(1)
    frame["close"] = close
    frame["return_1d"] = close / previous_close - 1
    frame["log_return_1d"] = np.log(close / previous_close)
    grouped_close = by_symbol["close"]
    for window in (20, 50, 200):
        frame[f"sma_{window}"] = grouped_close.rolling(window).mean().to_numpy()
    for span in (12, 26):
        frame[f"ema_{span}"] = grouped_close.transform(
            lambda series, span=span: series.ewm(span=span, adjust=False).mean()
        )
    change = close - previous_close
    gain = change.clip(lower=0).groupby(prices["symbol"], sort=False)
    loss = (-change).clip(lower=0).groupby(prices["symbol"], sort=False)
    average_gain = gain.transform(lambda series: series.ewm(alpha=1 / 14, adjust=False).mean())
    average_loss = loss.transform(lambda series: series.ewm(alpha=1 / 14, adjust=False).mean())
    frame["rsi_14"] = 100 * average_gain / (average_gain + average_loss)
    frame["macd"] = frame["ema_12"] - frame["ema_26"]
    frame["macd_signal"] = frame.groupby("symbol", sort=False)["macd"].transform(
        lambda series: series.ewm(span=9, adjust=False).mean()
    )
    frame["macd_hist"] = frame["macd"] - frame["macd_signal"]
    deviation = grouped_close.rolling(20).std(ddof=0).to_numpy()
    frame["bb_middle"] = frame["sma_20"]
    frame["bb_upper"] = frame["sma_20"] + 2 * deviation
    frame["bb_lower"] = frame["sma_20"] - 2 * deviation
    true_range = pd.concat(
        [
            prices["high"] - prices["low"],
            (prices["high"] - previous_close).abs(),
            (prices["low"] - previous_close).abs(),
        ],
        axis=1,
    ).max(axis=1, skipna=False)
    frame["atr_14"] = true_range.groupby(prices["symbol"], sort=False).transform(
        lambda series: series.ewm(alpha=1 / 14, adjust=False).mean()
    )
    returns = frame.groupby("symbol", sort=False)["return_1d"]
    frame["volatility_20d"] = returns.rolling(20).std().to_numpy() * SQRT_252
    frame["volatility_50d"] = returns.rolling(50).std().to_numpy() * SQRT_252
    frame["volume_sma_20"] = by_symbol["volume"].rolling(20).mean().to_numpy()
    frame["volume_ratio_20"] = prices["volume"] / frame["volume_sma_20"].where(
        frame["volume_sma_20"] > 0
    )
    for window in (21, 63, 126, 252):
        frame[f"return_{window}d"] = close / by_symbol["close"].shift(window) - 1
    return frame


RISK_WINDOWS = {"1y": 252, "3y": 756, "5y": 1260, "full": None}


def empyrical_risk(prices: pd.DataFrame, risk_free: pd.DataFrame, benchmark: str) -> pd.DataFrame:
    """fct_risk_metrics' statistics by empyrical and pandas, per symbol and trailing window
    (the definitions of tests/e2e/risk_reference.py). `prices`: symbol, trading_date,
    adj_close; `risk_free`: observation_date, value (DGS3MO, percent per year)."""
    import empyrical

    prices = prices.assign(trading_date=pd.to_datetime(prices["trading_date"]))
    closes = prices.pivot(index="trading_date", columns="symbol", values="adj_close").sort_index()
    annual = pd.Series(
        risk_free["value"].to_numpy(), index=pd.to_datetime(risk_free["observation_date"])
    )
    annual = annual.reindex(annual.index.union(closes.index)).ffill().reindex(closes.index)
    rf_daily = (1 + annual / 100) ** (1 / 252) - 1
    market = (
        closes[benchmark].dropna().pct_change().dropna()
        if benchmark in closes
        else pd.Series(dtype="float64")
    )
    rows = []
    for symbol in closes.columns:
        returns = closes[symbol].dropna().pct_change().dropna()
        for window, length in RISK_WINDOWS.items():
            if length is not None and len(returns) < length:
                continue
            window_returns = returns if length is None else returns.iloc[-length:]
            rf = rf_daily.reindex(window_returns.index)
            paired = pd.concat([window_returns, market], axis=1, join="inner").dropna()
            rows.append(
                {
                    "symbol": symbol,
                    "window_name": window,
                    "annual_return": empyrical.annual_return(window_returns),
                    "annual_volatility": empyrical.annual_volatility(window_returns),
                    "sharpe_ratio": empyrical.sharpe_ratio(window_returns, risk_free=rf),
                    "sortino_ratio": empyrical.sortino_ratio(window_returns, required_return=rf),
                    "max_drawdown": empyrical.max_drawdown(window_returns),
                    "calmar_ratio": empyrical.calmar_ratio(window_returns),
                    "var_95": empyrical.value_at_risk(window_returns, cutoff=0.05),
                    "cvar_95": empyrical.conditional_value_at_risk(window_returns, cutoff=0.05),
                    "skewness": window_returns.skew(),
                    "kurtosis": window_returns.kurt(),
                    "beta": empyrical.beta(paired.iloc[:, 0], paired.iloc[:, 1])
                    if len(paired)
                    else np.nan,
                }
            )
    return pd.DataFrame(rows)
