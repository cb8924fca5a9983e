"""The risk and rotation marts of the demo build, on DuckDB and on Postgres, equal to
independent references on every symbol, window and session: empyrical (empyrical-reloaded)
for fct_risk_metrics, pandas for skewness/kurtosis/correlation and for the daily facts.

Tolerance: 1e-9 relative, with an absolute floor of 1e-12 for values that are zero or nearly
so in exact arithmetic (a Sharpe ratio or skewness of a window whose mean is ~0), where two
correct summation orders can differ by a few ulps of the summands, not of the result."""

from __future__ import annotations

import csv

import pytest

from marketpulse.warehouse import Warehouse
from tests.conftest import ROOT
from tests.e2e import risk_reference as reference
from tests.sample_warehouses import Demo, query

SECTORS = {
    row["symbol"]: row["sector"]
    for row in csv.DictReader((ROOT / "dbt_project/seeds/sector_etfs.csv").open())
}


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, runs_dbt: None) -> Warehouse:
    if request.param == "duckdb":
        demo: Demo = request.getfixturevalue("demo_duckdb")
        return demo.warehouse
    return request.getfixturevalue("demo_postgres")


def test_risk_metrics_equal_empyrical(warehouse: Warehouse) -> None:
    expected = reference.risk_metrics(warehouse)
    columns = ["symbol", "window_name", *next(iter(expected.values())).keys()]
    actual = reference.mart(warehouse, "fct_risk_metrics", ["symbol", "window_name"])
    # 38 symbols x 4 windows: the sample covers 1509 returns, more than the 5y window.
    assert len(expected) == len(actual) == 38 * 4
    assert sorted(expected) == sorted(actual.index)
    failures = [
        f"{key} {column}: {actual.loc[key, column]!r} != {value!r}"
        for key, row in expected.items()
        for column, value in row.items()
        if not reference.is_close(reference.none_for_nan(actual.loc[key, column]), value)
    ]
    assert failures == [], failures[:10]
    assert list(actual.reset_index().columns) == columns


def test_risk_metrics_windows_without_enough_history_have_no_row(warehouse: Warehouse) -> None:
    counts = dict(
        query(
            warehouse,
            "select window_name, min(n_observations) from marts.fct_risk_metrics"
            " group by window_name",
        )
    )
    assert counts == {"1y": 252, "3y": 756, "5y": 1260, "full": 1509}


def test_rolling_risk_equals_pandas_rolling(warehouse: Warehouse) -> None:
    expected = reference.rolling_risk(warehouse)
    actual = reference.mart(warehouse, "fct_rolling_risk", ["symbol", "trading_date"])
    assert actual["beta_252d"].notna().sum() == 38 * (1509 - 251)
    assert reference.mismatches(actual, expected) == []


def test_drawdowns_equal_pandas_cummax(warehouse: Warehouse) -> None:
    expected = reference.drawdowns(warehouse)
    actual = reference.mart(warehouse, "fct_drawdowns", ["symbol", "trading_date"])
    assert reference.mismatches(actual, expected) == []


def test_drawdown_episodes_equal_a_numpy_walk(warehouse: Warehouse) -> None:
    expected = reference.drawdown_episodes(warehouse)
    actual = reference.mart(warehouse, "fct_drawdown_episodes", ["symbol", "peak_date"])
    assert (~actual["is_recovered"]).sum() <= 38  # at most one open episode per symbol
    assert reference.mismatches(actual, expected) == []


def test_sector_rotation_equals_pandas(warehouse: Warehouse) -> None:
    expected = reference.sector_rotation(warehouse, SECTORS)
    actual = reference.mart(warehouse, "fct_sector_rotation", ["symbol", "trading_date"])
    assert set(actual["quadrant"].dropna()) == {"leading", "weakening", "lagging", "improving"}
    assert reference.mismatches(actual, expected) == []
