"""fct_technical_indicators equals TA-Lib on every symbol and session of the demo warehouse.

TA-Lib (the `ta-lib` package) runs on the adjusted OHLCV read back from fct_prices_daily.
Every value is within 1e-9 relative of TA-Lib's and NULL exactly where TA-Lib gives NaN. MACD
is a difference of two EMAs of the price, so near a zero crossing it carries their absolute
rounding error (~1e-16 of the price, in TA-Lib as in SQL): for it the absolute floor is 1e-12
of the symbol's close. Volatility is TA-Lib's (population) STDDEV of the returns rescaled to
ddof 1, and checked against pandas as well.
"""

from __future__ import annotations

import math
from contextlib import closing

import numpy as np
import pandas as pd
import pytest

from bench.baselines import INDICATOR_COLUMNS, talib_indicators
from marketpulse.warehouse import Warehouse
from tests.sample_warehouses import Demo

PRICES = (
    "select symbol, trading_date, adj_high as high, adj_low as low, adj_close as close,"
    " cast(volume as double precision) as volume from marts.fct_prices_daily"
    " order by symbol, trading_date"
)
INDICATORS = "select * from marts.fct_technical_indicators order by symbol, trading_date"
PRICE_DIFFERENCES = {"macd", "macd_signal", "macd_hist"}


def frame(warehouse: Warehouse, sql: str) -> pd.DataFrame:
    with closing(warehouse.connect()) as connection:
        cursor = connection.cursor()
        cursor.execute(sql)
        columns = [column[0] for column in cursor.description]
        return pd.DataFrame(cursor.fetchall(), columns=columns)


def assert_equals_talib(warehouse: Warehouse, min_symbols: int = 30) -> None:
    prices = frame(warehouse, PRICES)
    reference = talib_indicators(prices)
    built = frame(warehouse, INDICATORS)
    assert len(built) == len(reference) == len(prices)
    assert (built["symbol"].to_numpy() == reference["symbol"].to_numpy()).all()
    assert (built["trading_date"].to_numpy() == reference["trading_date"].to_numpy()).all()
    assert built["symbol"].nunique() == prices["symbol"].nunique() >= min_symbols
    closes = prices["close"].to_numpy(dtype="float64")
    for column in INDICATOR_COLUMNS:
        got = built[column].to_numpy(dtype="float64")  # NULL reads as NaN
        expected = reference[column].to_numpy(dtype="float64")
        nulls = np.isnan(expected)
        assert (np.isnan(got) == nulls).all(), (column, int((np.isnan(got) != nulls).sum()))
        assert (~nulls).sum() > 0, column
        floor = 1e-12 * closes if column in PRICE_DIFFERENCES else np.zeros_like(closes)
        tolerance = np.maximum(1e-9 * np.abs(expected), floor)
        bad = np.flatnonzero(~nulls & ~(np.abs(got - expected) <= tolerance))
        assert bad.size == 0, (
            column,
            [(built["symbol"][i], built["trading_date"][i], got[i], expected[i]) for i in bad[:5]],
        )


def test_indicators_equal_talib_on_duckdb(demo_duckdb: Demo) -> None:
    assert_equals_talib(demo_duckdb.warehouse)


def test_indicators_equal_talib_on_postgres(demo_postgres: Warehouse) -> None:
    assert_equals_talib(demo_postgres)


def test_volatility_equals_pandas_sample_std(demo_duckdb: Demo) -> None:
    built = frame(demo_duckdb.warehouse, INDICATORS)
    returns = built.groupby("symbol", sort=False)["return_1d"]
    for window in (20, 50):
        expected = returns.rolling(window).std(ddof=1).to_numpy() * math.sqrt(252)
        got = built[f"volatility_{window}d"].to_numpy(dtype="float64")
        assert (np.isnan(got) == np.isnan(expected)).all()
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=0)


@pytest.mark.parametrize("column", ["sma_200", "return_252d", "macd_signal", "rsi_14"])
def test_warm_up_rows_are_null(demo_duckdb: Demo, column: str) -> None:
    built = frame(demo_duckdb.warehouse, INDICATORS)
    first = {"sma_200": 200, "return_252d": 253, "macd_signal": 34, "rsi_14": 15}[column]
    by_position = built.set_index("observation_number")[column]
    assert by_position[by_position.index < first].isna().all()
    assert by_position[by_position.index == first].notna().all()
