"""Column types of raw_yahoo stay the declared ones whatever a batch holds: a symbol whose
volumes are all missing and that has no Adj Close column loads first, a symbol with one
missing volume and a dividend on a non-trading day second, through the real source and dlt's
fast paths (Arrow -> parquet, into DuckDB and, through the ADBC driver, into Postgres)."""

from __future__ import annotations

from contextlib import closing
from datetime import date
from typing import Any, ClassVar

import dlt
import numpy as np
import pandas as pd
import pytest

from marketpulse.ingest import runner
from marketpulse.ingest.report import Progress, SourceReport
from marketpulse.sources.yahoo import yahoo_source
from marketpulse.warehouse import Warehouse

NAN = np.nan
DECLARED = {
    "prices_daily": {
        "symbol": "text",
        "trading_date": "date",
        "open": "double",
        "high": "double",
        "low": "double",
        "close": "double",
        "adj_close": "double",
        "volume": "bigint",
        "exchange_timezone": "text",
        "data_origin": "text",
        "_loaded_at": "timestamptz",
    },
    "corporate_actions": {
        "symbol": "text",
        "ex_date": "date",
        "action_type": "text",
        "value": "double",
        "data_origin": "text",
        "_loaded_at": "timestamptz",
    },
}
# information_schema.columns.data_type -> the declared kind, per warehouse
KINDS = {
    "VARCHAR": "text",
    "character varying": "text",
    "text": "text",
    "DATE": "date",
    "date": "date",
    "DOUBLE": "double",
    "double precision": "double",
    "BIGINT": "bigint",
    "bigint": "bigint",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "timestamp with time zone": "timestamptz",
}


def _frame(days: list[str], **columns: list[float]) -> pd.DataFrame:
    index = pd.DatetimeIndex(pd.to_datetime(days), name="Date").tz_localize("America/New_York")
    return pd.DataFrame(columns, index=index)


class _Client:
    """yfinance-shaped frames for two symbols (the test's boundary)."""

    origin = "recorded"
    frames: ClassVar[dict[str, pd.DataFrame]] = {
        # Every volume missing, no Adj Close column: a batch pandas would type as float / null.
        "NOVOL": _frame(
            ["2024-01-02", "2024-01-03"],
            Open=[10.0, 10.5],
            High=[11.0, 11.0],
            Low=[9.5, 10.0],
            Close=[10.5, 10.75],
            Volume=[NAN, NAN],
            Dividends=[0.0, 0.0],
        ),
        # One missing volume (Jan 3); a dividend on Saturday Jan 6, on a bar with no prices.
        "AAPL": _frame(
            ["2024-01-02", "2024-01-03", "2024-01-05", "2024-01-06"],
            Open=[187.15, 184.22, 181.99, NAN],
            High=[188.44, 185.88, 182.76, NAN],
            Low=[183.89, 183.43, 180.17, NAN],
            Close=[185.64, 184.25, 181.18, NAN],
            **{"Adj Close": [184.73, 183.35, 180.30, NAN]},
            Volume=[82488700.0, NAN, 62303300.0, NAN],
            Dividends=[0.0, 0.0, 0.0, 0.24],
            **{"Stock Splits": [0.0, 0.0, 0.0, 0.0]},
        ),
    }

    def history(self, symbol: str, start: date, end: date | None = None) -> pd.DataFrame:
        return self.frames[symbol]

    def info(self, symbol: str) -> dict[str, Any]:
        return {"longName": symbol, "exchangeTimezoneName": "America/New_York"}

    def origin_of(self, symbol: str) -> str:
        return "recorded"


def _load(warehouse: Warehouse, symbol: str) -> SourceReport:
    client = _Client()
    report = runner.run_source(
        "yahoo",
        lambda report: yahoo_source([symbol], client, report, Progress(quiet=True)),  # type: ignore[arg-type]
        warehouse,
    )
    assert report.ok, report.fatal or report.failed
    return report


def _columns(warehouse: Warehouse, table: str) -> dict[str, str]:
    with closing(warehouse.connect()) as connection:
        cursor = connection.cursor()
        cursor.execute(
            "select column_name, data_type from information_schema.columns"
            f" where table_schema = 'raw_yahoo' and table_name = '{table}'"  # a test constant
        )
        return {
            name: KINDS.get(kind, kind)
            for name, kind in cursor.fetchall()
            if not name.startswith("_dlt")
        }


def _rows(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    with closing(warehouse.connect()) as connection:
        cursor = connection.cursor()
        cursor.execute(sql)
        return cursor.fetchall()


def _check(warehouse: Warehouse) -> None:
    _load(warehouse, "NOVOL")
    assert _columns(warehouse, "prices_daily") == DECLARED["prices_daily"]
    assert _rows(
        warehouse,
        "select trading_date, close, adj_close, volume from raw_yahoo.prices_daily"
        " order by trading_date",
    ) == [(date(2024, 1, 2), 10.5, None, None), (date(2024, 1, 3), 10.75, None, None)]

    _load(warehouse, "AAPL")
    # No variant column (volume__v_double, ...) and no type change after the second batch.
    assert _columns(warehouse, "prices_daily") == DECLARED["prices_daily"]
    assert _columns(warehouse, "corporate_actions") == DECLARED["corporate_actions"]
    assert _rows(
        warehouse,
        "select trading_date, close, adj_close, volume from raw_yahoo.prices_daily"
        " where symbol = 'AAPL' order by trading_date",
    ) == [
        (date(2024, 1, 2), 185.64, 184.73, 82488700),
        (date(2024, 1, 3), 184.25, 183.35, None),
        (date(2024, 1, 5), 181.18, 180.30, 62303300),
        (date(2024, 1, 6), None, None, None),  # the dividend's bar: kept, judged in dbt
    ]
    assert _rows(
        warehouse,
        "select symbol, ex_date, action_type, value from raw_yahoo.corporate_actions",
    ) == [("AAPL", date(2024, 1, 6), "dividend", 0.24)]


def _loaded_as(warehouse: Warehouse) -> dict[str, tuple[str, bool]]:
    """Per Yahoo table of the last load: the file format its jobs had, and whether dlt was told
    the rows are unique on the key (so it skipped its dedup pass, ADR 0036)."""
    pipeline = dlt.pipeline("marketpulse_yahoo", pipelines_dir=str(warehouse.pipelines_dir()))
    [package] = pipeline.last_trace.last_load_info.load_packages
    schema = pipeline.default_schema.tables
    return {
        job.job_file_info.table_name: (
            job.job_file_info.file_format,
            schema[job.job_file_info.table_name].get("x-stage-data-deduplicated", False),
        )
        for job in package.jobs["completed_jobs"]
        if job.job_file_info.table_name in DECLARED
        and job.job_file_info.file_format != "sql"  # the merge that follows the load
    }


def test_declared_types_survive_missing_values_on_duckdb(duckdb_warehouse: Warehouse) -> None:
    _check(duckdb_warehouse)
    assert _loaded_as(duckdb_warehouse) == {
        "prices_daily": ("parquet", True),
        "corporate_actions": ("parquet", True),
    }


@pytest.mark.postgres
def test_declared_types_survive_missing_values_on_postgres(
    postgres_warehouse: Warehouse,
) -> None:
    assert postgres_warehouse.loader_file_format() == "csv"  # dlt's COPY loader, by default
    _check(postgres_warehouse)
    # The large Arrow tables load from parquet through ADBC (loading.BULK_FILE_FORMAT).
    assert _loaded_as(postgres_warehouse) == {
        "prices_daily": ("parquet", True),
        "corporate_actions": ("parquet", True),
    }
