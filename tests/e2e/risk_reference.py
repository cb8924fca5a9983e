"""Independent references for the risk and rotation marts: empyrical and pandas on the prices
and the FRED series read straight from the warehouse (never from our own intermediate models)."""

from __future__ import annotations

import math
from typing import Any

import empyrical
import numpy as np
import pandas as pd

from ingest.warehouse import Warehouse
from tests.e2e.conftest import query

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
        f" where indicator_id = '{RISK_FREE_SERIES}' order by observation_date",
    )
    series = pd.Series(
        [value for _, value in rows], index=pd.to_datetime([day for day, _ in rows])
    )
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
        for window, length in WINDOWS.items():
            if length is not None and len(returns) < length:
                continue
            window_returns = returns if length is None else returns.iloc[-length:]
            rf = risk_free.reindex(window_returns.index)
            paired = pd.concat([window_returns, benchmark], axis=1, join="inner").dropna()
            expected[(symbol, window)] = {
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
            }
    return expected


def is_close(actual: Any, expected: Any, rel_tol: float = 1e-9, abs_tol: float = 1e-12) -> bool:
    """Equal within rel_tol relative; abs_tol is a floor for values that are zero in exact
    arithmetic or nearly so, where two correct summation orders differ by a few ulps."""
    if expected is None or (isinstance(expected, float) and not math.isfinite(expected)):
        return actual is None
    if isinstance(expected, (float, np.floating)):
        return actual is not None and math.isclose(actual, expected, rel_tol=rel_tol, abs_tol=abs_tol)
    return actual == expected
