"""Bad raw price rows, one per rule, injected after a real load: after `dbt build` each is in
int_prices_quarantine with its reason code, hard-invalid rows are absent from the marts,
outliers are kept and flagged, and the raw table is exactly as it was (dbt only reads it).
On DuckDB and on Postgres."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from marketpulse.warehouse import Warehouse
from tests.sample_warehouses import dbt, execute

RAW = "raw_yahoo.prices_daily"
COLUMNS = "symbol, trading_date, open, high, low, close, adj_close, volume, data_origin, _loaded_at"
OLDER_LOAD = datetime(2020, 1, 1, tzinfo=UTC)

# (trading_date, open, high, low, close, volume) -> the reason codes the row must get.
# 2019-01-05 is a Saturday; every other date is an NYSE session after the sample's last one.
BAD_ROWS = {
    date(2019, 1, 2): ((0.0, 0.0, 0.0, 0.0, 100), {"non_positive_price"}),
    date(2019, 1, 3): ((None, 90.0, 95.0, 92.0, 100), {"high_below_low", "close_outside_range"}),
    date(2019, 1, 4): ((110.0, 100.0, 90.0, 95.0, 100), {"open_outside_range"}),
    date(2019, 1, 7): ((95.0, 100.0, 90.0, 85.0, 100), {"close_outside_range"}),
    date(2019, 1, 8): ((95.0, 100.0, 90.0, 95.0, -5), {"negative_volume"}),
    date(2019, 1, 9): ((95.0, 100.0, 90.0, None, 100), {"missing_close"}),
    date(2019, 1, 5): ((95.0, 100.0, 90.0, 95.0, 100), {"non_trading_day"}),
}
DUPLICATED = date(2018, 12, 28)  # a real sample session; a stale copy with close 1.0 is added
OUTLIER = date(2019, 1, 10)  # a valid bar at 10x the previous close: kept, flagged
# CPI cannot be negative (var fred_non_negative_series); FRED's "." lands as null.
FRED_BAD_ROWS = {date(2019, 2, 1): -5.0, date(2019, 3, 1): None}


@dataclass
class Built:
    warehouse: Warehouse
    raw_before: list[tuple[object, ...]]
    last_close: float
    build_code: int


def raw_rows(warehouse: Warehouse) -> list[tuple[object, ...]]:
    rows = execute(warehouse, f"select {COLUMNS} from {RAW}")
    rows += execute(warehouse, "select * from raw_fred.observations")
    return sorted(rows, key=lambda row: tuple(str(value) for value in row))


@pytest.fixture(scope="module")
def built(
    slice_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory, runs_dbt: None
) -> Built:
    warehouse = slice_warehouse
    load_id, origin, loaded_at = execute(
        warehouse, f"select _dlt_load_id, data_origin, _loaded_at from {RAW} limit 1"
    )[0]
    (last_close,) = execute(
        warehouse,
        f"select close from {RAW} where symbol = %s and trading_date = %s",
        ("AAPL", date(2018, 12, 31)),
    )[0]
    insert = (
        f"insert into {RAW} ({COLUMNS}, exchange_timezone, _dlt_load_id)"
        " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    rows = [
        ("AAPL", day, *values[:4], values[3], values[4], origin, loaded_at)
        for day, (values, _) in BAD_ROWS.items()
    ]
    rows.append(("AAPL", DUPLICATED, 1.0, 1.0, 1.0, 1.0, 1.0, 100, origin, OLDER_LOAD))
    spike = last_close * 10
    rows.append(
        ("AAPL", OUTLIER, spike, spike * 1.01, spike * 0.99, spike, spike, 100, origin, loaded_at)
    )
    for row in rows:
        execute(warehouse, insert, (*row, "America/New_York", load_id))
    fred_load_id, fred_origin = execute(
        warehouse, "select _dlt_load_id, data_origin from raw_fred.observations limit 1"
    )[0]
    for day, value in FRED_BAD_ROWS.items():
        execute(
            warehouse,
            "insert into raw_fred.observations (series_id, observation_date, realtime_start,"
            " realtime_end, is_first_seen_stamp, value, data_origin, _loaded_at, _dlt_load_id)"
            " values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                "CPIAUCSL",
                day,
                day + timedelta(days=45),  # published mid next month
                date(9999, 12, 31),
                False,
                value,
                fred_origin,
                loaded_at,
                fred_load_id,
            ),
        )
    before = raw_rows(warehouse)
    code = dbt(warehouse, tmp_path_factory.mktemp("dbt"), "build")
    return Built(warehouse, before, last_close, code)


def quarantine(built: Built) -> set[tuple[date, str, str, int]]:
    return {
        (row[0], row[1], row[2], row[3])
        for row in execute(
            built.warehouse,
            "select trading_date, reason_code, severity, key_row_number"
            " from intermediate.int_prices_quarantine where symbol = %s",
            ("AAPL",),
        )
    }


def test_the_build_succeeds_with_bad_rows_in_raw(built: Built) -> None:
    assert built.build_code == 0


def test_every_bad_row_is_quarantined_with_its_reasons(built: Built) -> None:
    listed = quarantine(built)
    for day, (_, reasons) in BAD_ROWS.items():
        assert {(d, code) for d, code, severity, _ in listed if d == day} == {
            (day, reason) for reason in reasons
        }, day
        assert all(severity == "rejected" for d, _, severity, _ in listed if d == day)
    # Only the superseded copy of the duplicated key is quarantined, as copy number 2.
    assert (DUPLICATED, "duplicate_key", "rejected", 2) in listed
    assert (OUTLIER, "return_outlier", "flagged", 1) in listed


def test_rejected_rows_never_reach_the_marts(built: Built) -> None:
    in_mart = {
        row[0]
        for row in execute(
            built.warehouse,
            "select trading_date from marts.fct_prices_daily where symbol = %s",
            ("AAPL",),
        )
    }
    assert not set(BAD_ROWS) & in_mart
    assert {DUPLICATED, OUTLIER, date(2018, 12, 31)} <= in_mart


def test_the_duplicate_key_keeps_the_latest_load(built: Built) -> None:
    (close,) = execute(
        built.warehouse,
        "select close from marts.fct_prices_daily where symbol = %s and trading_date = %s",
        ("AAPL", DUPLICATED),
    )[0]
    assert close != 1.0 and close > 100  # the real sample close, not the stale copy's 1.0


def test_the_outlier_is_kept_and_flagged(built: Built) -> None:
    rows = execute(
        built.warehouse,
        "select trading_date, close, is_outlier from marts.fct_prices_daily"
        " where symbol = %s and trading_date >= %s order by trading_date",
        ("AAPL", date(2018, 12, 31)),
    )
    assert [(day, flagged) for day, _, flagged in rows] == [
        (date(2018, 12, 31), False),
        (OUTLIER, True),
    ]
    assert rows[1][1] == pytest.approx(built.last_close * 10)
    (daily_return,) = execute(
        built.warehouse,
        "select daily_return from intermediate.int_prices_quarantine"
        " where symbol = %s and trading_date = %s",
        ("AAPL", OUTLIER),
    )[0]
    assert daily_return == pytest.approx(9.0)  # 10x the previous valid close


def test_dbt_never_modifies_raw(built: Built) -> None:
    assert raw_rows(built.warehouse) == built.raw_before


def test_impossible_and_missing_fred_values_are_quarantined(built: Built) -> None:
    listed = execute(
        built.warehouse,
        "select observation_date, reason_code from intermediate.int_macro_observations_quarantine"
        " where indicator_id = %s",
        ("CPIAUCSL",),
    )
    assert sorted(listed) == [
        (date(2019, 2, 1), "negative_value"),
        (date(2019, 3, 1), "missing_value"),
    ]
    in_mart = {
        row[0]
        for row in execute(
            built.warehouse,
            "select observation_date from marts.fct_macro_observations where indicator_id = %s",
            ("CPIAUCSL",),
        )
    }
    assert date(2018, 12, 1) in in_mart and not set(FRED_BAD_ROWS) & in_mart


def test_quality_mart_counts_the_outlier(built: Built) -> None:
    (outliers, actual) = execute(
        built.warehouse,
        "select outlier_count, actual_points from marts.fct_data_quality"
        " where entity_type = 'symbol' and entity_id = %s and window_name = 'full'",
        ("AAPL",),
    )[0]
    (in_mart,) = execute(
        built.warehouse,
        "select count(*) from marts.fct_prices_daily where symbol = %s",
        ("AAPL",),
    )[0]
    (flagged,) = execute(
        built.warehouse,
        "select count(*) from marts.fct_prices_daily where symbol = %s and is_outlier",
        ("AAPL",),
    )[0]
    assert actual == in_mart
    assert outliers == flagged >= 1
