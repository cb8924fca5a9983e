"""`make demo` loads the sample portfolio into raw_portfolio (DuckDB and Postgres).

Reference: sample_data/portfolio/sample_portfolios.csv read with the csv module."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from marketpulse.warehouse import Warehouse
from tests.conftest import SAMPLE
from tests.sample_warehouses import Demo, query

SAMPLE_FILE = SAMPLE / "portfolio" / "sample_portfolios.csv"


def sample_rows() -> list[tuple[object, ...]]:
    with SAMPLE_FILE.open(newline="", encoding="utf-8") as handle:
        return sorted(
            (
                row["portfolio_name"],
                date.fromisoformat(row["as_of_date"]),
                row["symbol"],
                float(row["quantity"]) if row["quantity"] else None,
                float(row["target_weight"]),
                float(row["cost_basis"]) if row["cost_basis"] else None,
                row["base_currency"],
            )
            for row in csv.DictReader(handle)
        )


def check_loaded(warehouse: Warehouse) -> None:
    rows = query(
        warehouse,
        "select portfolio_name, as_of_date, symbol, quantity, target_weight, cost_basis,"
        " base_currency from raw_portfolio.holdings order by 1, 2, 3",
    )
    assert rows == sample_rows()
    assert len(rows) == 17
    ids = query(warehouse, "select distinct portfolio_id from raw_portfolio.holdings order by 1")
    assert ids == [("sample-growth-income",), ("sample-sector-model",)]
    assert query(warehouse, "select count(*) from raw_portfolio.imports") == [(1,)]


def test_demo_loads_the_sample_portfolio(demo_duckdb: Demo) -> None:
    assert (
        "sample_portfolios.csv: imported 17 holding(s), 3 snapshot(s) of 2 portfolio(s) "
        "(sample-growth-income, sample-sector-model)"
    ) in demo_duckdb.first.stdout
    check_loaded(demo_duckdb.warehouse)


@pytest.mark.postgres
def test_postgres_demo_loads_the_sample_portfolio(demo_postgres: Warehouse) -> None:
    check_loaded(demo_postgres)
