"""Independent references for the risk and rotation marts: empyrical and pandas on the prices
and the FRED series read straight from the warehouse (never from our own intermediate models)."""

from __future__ import annotations

import math
from contextlib import closing
from typing import Any

import empyrical
import numpy as np
import pandas as pd

from marketpulse.warehouse import Warehouse
from tests.sample_warehouses import query

PERIODS = 252
WINDOWS = {"1y": 252, "3y": 756, "5y": 1260, "full": None}
BENCHMARK = "SPY"
RISK_FREE_SERIES = "DGS3MO"


def prices(warehouse: Warehouse) -> pd.DataFrame:
    """adj_close, one column per symbol, indexed by session."""
    rows = query(warehouse, "select symbol, trading_date, adj_close from marts.fct_prices_daily")
    frame = pd.DataFrame(rows, columns=["symbol", "trading_date", "adj_close"])
    frame["trading_date"] = pd.to_datetime(frame["trading_date"])
    return frame.pivot(index="trading_date", columns="symbol", values="adj_close").sort_index()


def risk_free_daily(warehouse: Warehouse, sessions: pd.DatetimeIndex) -> pd.Series:
    """DGS3MO carried forward to each session, as a daily rate (1 + y/100)^(1/252) - 1."""
    rows = query(
        warehouse,
        "select observation_date, value from marts.fct_macro_observations"
        f" where indicator_id = '{RISK_FREE_SERIES}' and is_latest_vintage"
        " order by observation_date",
    )
    series = pd.Series([value for _, value in rows], index=pd.to_datetime([day for day, _ in rows]))
    annual = series.reindex(series.index.union(sessions)).ffill().reindex(sessions)
    return (1 + annual / 100) ** (1 / PERIODS) - 1


def risk_metrics(warehouse: Warehouse) -> dict[tuple[str, str], dict[str, Any]]:
    """Every statistic of fct_risk_metrics from empyrical / pandas, keyed by (symbol, window)."""
    closes = prices(warehouse)
    risk_free = risk_free_daily(warehouse, closes.index)
    benchmark = closes[BENCHMARK].dropna().pct_change().dropna()
    expected: dict[tuple[str, str], dict[str, Any]] = {}
    for symbol in closes.columns:
        returns = closes[symbol].dropna().pct_change().dropna()
        for window, row in window_metrics(returns, benchmark, risk_free).items():
            expected[(symbol, window)] = row
    return expected


def window_metrics(
    returns: pd.Series, benchmark: pd.Series, risk_free: pd.Series
) -> dict[str, dict[str, Any]]:
    """The statistics of one daily return series per window it has enough returns for."""
    expected: dict[str, dict[str, Any]] = {}
    for window, length in WINDOWS.items():
        if length is not None and len(returns) < length:
            continue
        window_returns = returns if length is None else returns.iloc[-length:]
        rf = risk_free.reindex(window_returns.index)
        paired = pd.concat([window_returns, benchmark], axis=1, join="inner").dropna()
        expected[window] = {
            "as_of_date": window_returns.index[-1].date(),
            "n_observations": len(window_returns),
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
            "beta": empyrical.beta(paired.iloc[:, 0], paired.iloc[:, 1]),
            "correlation": paired.iloc[:, 0].corr(paired.iloc[:, 1]),
            "benchmark_symbol": BENCHMARK,
            # the share of the window's returns with a risk-free rate (ADR 0031)
            "risk_free_coverage": rf.notna().sum() / len(window_returns),
        }
    return expected


def is_close(actual: Any, expected: Any, rel_tol: float = 1e-9, abs_tol: float = 1e-12) -> bool:
    """Equal within rel_tol relative; abs_tol is a floor for values that are zero in exact
    arithmetic or nearly so, where two correct summation orders differ by a few ulps."""
    if expected is None or (isinstance(expected, float) and not math.isfinite(expected)):
        return actual is None
    if isinstance(expected, (float, np.floating)):
        return actual is not None and math.isclose(
            actual, expected, rel_tol=rel_tol, abs_tol=abs_tol
        )
    return actual == expected


def rolling_risk(warehouse: Warehouse) -> pd.DataFrame:
    """fct_rolling_risk from pandas rolling windows, indexed by (symbol, trading_date)."""
    closes = prices(warehouse)
    risk_free = risk_free_daily(warehouse, closes.index)
    benchmark = closes[BENCHMARK].dropna().pct_change()
    frames = []
    for symbol in closes.columns:
        returns = closes[symbol].dropna().pct_change()
        paired = benchmark.reindex(returns.index)
        excess = returns - risk_free.reindex(returns.index)
        frame = pd.DataFrame({"daily_return": returns})
        for window in (63, 252):
            frame[f"volatility_{window}d"] = returns.rolling(window).std() * math.sqrt(PERIODS)
            frame[f"sharpe_ratio_{window}d"] = (
                excess.rolling(window).mean() / excess.rolling(window).std() * math.sqrt(PERIODS)
            )
            frame[f"beta_{window}d"] = (
                returns.rolling(window).cov(paired) / paired.rolling(window).var()
            )
            # returns with a rate / returns in the frame so far; NaN (null) without a return
            frame[f"risk_free_coverage_{window}d"] = excess.notna().astype(float).rolling(
                window, min_periods=1
            ).sum() / returns.notna().astype(float).rolling(window, min_periods=1).sum().replace(
                0, math.nan
            )
        frame["symbol"] = symbol
        frames.append(frame)
    result = pd.concat(frames).reset_index().rename(columns={"index": "trading_date"})
    result["trading_date"] = result["trading_date"].dt.date
    return result.set_index(["symbol", "trading_date"]).sort_index()


def drawdowns(warehouse: Warehouse) -> pd.DataFrame:
    """fct_drawdowns from pandas: close / cummax - 1, and the last session at the running max."""
    closes = prices(warehouse)
    frames = []
    for symbol in closes.columns:
        close = closes[symbol].dropna()
        peak = close.cummax()
        at_peak = pd.Series(close.index.where(close >= peak), index=close.index)
        frames.append(
            pd.DataFrame(
                {
                    "symbol": symbol,
                    "trading_date": close.index.date,
                    "peak_date": at_peak.ffill().dt.date.to_numpy(),
                    "drawdown": (close / peak - 1).to_numpy(),
                }
            )
        )
    return pd.concat(frames).set_index(["symbol", "trading_date"]).sort_index()


def drawdown_episodes(warehouse: Warehouse) -> pd.DataFrame:
    """fct_drawdown_episodes by walking each symbol's closes in numpy: an episode opens on
    the first close below the running peak and closes on the first close back at it."""
    closes = prices(warehouse)
    rows = []
    for symbol in closes.columns:
        close = closes[symbol].dropna()
        values, dates = close.to_numpy(), list(close.index.date)
        peak_index, episode = 0, None
        for index in range(1, len(values)):
            if values[index] >= values[peak_index]:
                if episode is not None:
                    rows.append(episode | {"recovery_index": index})
                    episode = None
                peak_index = index
                continue
            depth = values[index] / values[peak_index] - 1
            if episode is None:
                episode = {"peak_index": peak_index, "trough_index": index, "depth": depth}
            elif depth < episode["depth"]:
                episode |= {"trough_index": index, "depth": depth}
        if episode is not None:
            rows.append(episode | {"recovery_index": None, "last_index": len(values) - 1})
        for row in rows:
            if "symbol" in row:
                continue
            recovery = row["recovery_index"]
            end = recovery if recovery is not None else row["last_index"]
            row |= {
                "symbol": symbol,
                "peak_date": dates[row["peak_index"]],
                "trough_date": dates[row["trough_index"]],
                "recovery_date": dates[recovery] if recovery is not None else None,
                "decline_trading_days": row["trough_index"] - row["peak_index"],
                "length_trading_days": end - row["peak_index"],
                "is_recovered": recovery is not None,
            }
    columns = [
        "symbol",
        "peak_date",
        "trough_date",
        "recovery_date",
        "depth",
        "decline_trading_days",
        "length_trading_days",
        "is_recovered",
    ]
    return pd.DataFrame(rows)[columns].set_index(["symbol", "peak_date"]).sort_index()


def sector_rotation(warehouse: Warehouse, sectors: dict[str, str]) -> pd.DataFrame:
    """fct_sector_rotation from pandas shift/rolling, ranks from DataFrame.rank."""
    closes = prices(warehouse)
    benchmark = closes[BENCHMARK]
    frames = {}
    for symbol in sectors:
        close = closes[symbol].dropna()
        relative_strength = close / benchmark.reindex(close.index)
        rs_ratio = 100 * relative_strength / relative_strength.rolling(50).mean()
        rs_momentum = 100 * rs_ratio / rs_ratio.shift(50)
        frame = pd.DataFrame(
            {
                "sector": sectors[symbol],
                "return_1m": close / close.shift(21) - 1,
                "return_3m": close / close.shift(63) - 1,
                "return_6m": close / close.shift(126) - 1,
                "return_12m": close / close.shift(252) - 1,
                "relative_strength": relative_strength,
                "rs_ratio": rs_ratio,
                "rs_momentum": rs_momentum,
            }
        )
        ratio_up, momentum_up = rs_ratio >= 100, rs_momentum >= 100
        frame["quadrant"] = np.select(
            [ratio_up & momentum_up, ratio_up, ~momentum_up, momentum_up],
            ["leading", "weakening", "lagging", "improving"],
            default=None,
        )
        frame.loc[rs_ratio.isna() | rs_momentum.isna(), "quadrant"] = None
        frames[symbol] = frame
    three_month = pd.DataFrame({symbol: frame["return_3m"] for symbol, frame in frames.items()})
    ranks = three_month.rank(axis=1, ascending=False, method="min")
    counts = three_month.notna().sum(axis=1)
    for symbol, frame in frames.items():
        frame["rank_return_3m"] = ranks[symbol].reindex(frame.index)
        frame["ranked_sectors"] = counts.reindex(frame.index)
        frame["symbol"] = symbol
    result = pd.concat(frames.values()).reset_index().rename(columns={"index": "trading_date"})
    result["trading_date"] = result["trading_date"].dt.date
    return result.set_index(["symbol", "trading_date"]).sort_index()


def mart(warehouse: Warehouse, name: str, keys: list[str]) -> pd.DataFrame:
    """A mart as a DataFrame indexed by its primary key (numbers as float, nulls as None)."""
    with closing(warehouse.connect()) as connection:
        cursor = connection.cursor()
        cursor.execute(f"select * from marts.{name}")  # names from the tests' constants
        columns = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    return pd.DataFrame(rows, columns=columns).set_index(keys).sort_index()


def none_for_nan(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def mismatches(
    actual: pd.DataFrame, expected: pd.DataFrame, abs_tol: dict[str, float] | None = None
) -> list[str]:
    """Every cell of expected's columns that actual does not match (is_close), as text."""
    found = []
    assert list(actual.index) == list(expected.index), "different keys"
    for column in expected.columns:
        floor = (abs_tol or {}).get(column, 1e-12)
        for key, want, got in zip(
            expected.index, expected[column].tolist(), actual[column].tolist(), strict=True
        ):
            want, got = none_for_nan(want), none_for_nan(got)
            if isinstance(want, (int, np.integer)) and not isinstance(want, bool):
                want = float(want) if got is not None and isinstance(got, float) else int(want)
            if not is_close(got, want, abs_tol=floor):
                found.append(f"{column} {key}: {got!r} != {want!r}")
    return found
