"""Small synthetic inputs for the forecast engine: GARCH-like prices and a macro frame."""

from __future__ import annotations

import numpy as np
import pandas as pd


def sessions(n: int, start: str = "2015-01-02") -> pd.DatetimeIndex:
    return pd.bdate_range(start, periods=n)


def prices(symbols: tuple[str, ...] = ("AAA", "BBB", "SPY"), n: int = 700, seed: int = 1):
    """adj_close with volatility clustering (a GARCH(1,1) path per symbol)."""
    rng = np.random.default_rng(seed)
    index = sessions(n)
    columns = {}
    for k, _ in enumerate(symbols):
        variance, returns = 1e-4, np.empty(n)
        for t in range(n):
            returns[t] = np.sqrt(variance) * rng.standard_normal() + 0.0003 * (k + 1)
            variance = 2e-6 + 0.08 * returns[t] ** 2 + 0.9 * variance
        columns[symbols[k]] = 100 * np.exp(np.cumsum(returns))
    return pd.DataFrame(columns, index=index)


def macro(index: pd.DatetimeIndex, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(index)
    return pd.DataFrame(
        {
            "DGS3MO": 1 + np.cumsum(rng.normal(0, 0.01, n)),
            "DGS10": 2.5 + np.cumsum(rng.normal(0, 0.02, n)),
            "T10Y2Y": 1 + np.cumsum(rng.normal(0, 0.01, n)),
            "UNRATE": 5 + np.cumsum(rng.normal(0, 0.005, n)),
        },
        index=index,
    )
