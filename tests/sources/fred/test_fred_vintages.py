"""Revisions add vintages, never overwrite: both FRED paths through dlt into a scratch DuckDB."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb

from marketpulse.ingest import runner
from marketpulse.ingest.report import Progress
from marketpulse.retry import RetryPolicy
from marketpulse.sources.fred import fred_source
from marketpulse.sources.fred.client import ReplayFredClient
from marketpulse.warehouse import Warehouse
from tests.conftest import FIXTURES
from tests.sources.fred.recorded_fred import ALFRED

FAST = RetryPolicy(attempts=1, base_delay=0.0, max_delay=0.0)


def load(warehouse: Warehouse, client: ReplayFredClient, seen_on: date) -> None:
    report = runner.run_source(
        "fred",
        lambda report: fred_source(
            ("CPIAUCSL",),
            client,
            report,
            Progress(quiet=True),
            start_date=date(2014, 1, 1),
            lag_days=62,
            retry=FAST,
            seen_on=seen_on,
        )[:1],
        warehouse,
    )
    assert report.ok, report


def rows(warehouse: Warehouse) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
        return connection.execute(
            "select observation_date, realtime_start, realtime_end, value, is_first_seen_stamp"
            " from raw_fred.observations order by 1, 2"
        ).fetchall()


def as_known_on(payload: dict, day: str) -> dict:  # type: ignore[type-arg]
    """What ALFRED answered on `day`: vintages started by then, the current ones still open."""
    known = []
    for row in payload["observations"]:
        if row["realtime_start"] <= day:
            end = row["realtime_end"] if row["realtime_end"] < day else "9999-12-31"
            known.append({**row, "realtime_end": end})
    return {**payload, "count": len(known), "observations": known}


def test_alfred_revisions_add_rows_and_close_the_old_vintage(
    duckdb_warehouse: Warehouse, tmp_path: Path
) -> None:
    recorded = json.loads((ALFRED / "series_observations_CPIAUCSL.json").read_text())
    (tmp_path / "vintages").mkdir()
    target = tmp_path / "vintages" / "CPIAUCSL.json"
    client = ReplayFredClient(tmp_path, origin="recorded")

    target.write_text(json.dumps(as_known_on(recorded, "2018-01-20")))
    load(duckdb_warehouse, client, date(2018, 1, 20))
    assert rows(duckdb_warehouse) == [
        (date(2017, 11, 1), date(2017, 12, 13), date(9999, 12, 31), 246.669, False),
        (date(2017, 12, 1), date(2018, 1, 12), date(9999, 12, 31), 247.805, False),
    ]

    target.write_text(json.dumps(recorded))  # a year later: two seasonal revisions since
    load(duckdb_warehouse, client, date(2019, 3, 1))
    assert rows(duckdb_warehouse) == [
        (date(2017, 11, 1), date(2017, 12, 13), date(2018, 2, 13), 246.669, False),
        (date(2017, 11, 1), date(2018, 2, 14), date(2019, 2, 12), 246.626, False),
        (date(2017, 11, 1), date(2019, 2, 13), date(9999, 12, 31), 246.435, False),
        (date(2017, 12, 1), date(2018, 1, 12), date(2018, 2, 13), 247.805, False),
        (date(2017, 12, 1), date(2018, 2, 14), date(9999, 12, 31), 247.867, False),
        (date(2018, 1, 1), date(2018, 2, 14), date(2019, 2, 12), 248.859, False),
        (date(2018, 1, 1), date(2019, 2, 13), date(9999, 12, 31), 248.743, False),
    ]


def test_keyless_revision_adds_a_first_seen_vintage(
    duckdb_warehouse: Warehouse, tmp_path: Path
) -> None:
    (tmp_path / "observations").mkdir()
    target = tmp_path / "observations" / "CPIAUCSL.csv"
    shutil.copy(FIXTURES / "fred" / "observations" / "CPIAUCSL.csv", target)
    original = target.read_text()
    last_line = original.strip().splitlines()[-1]
    client = ReplayFredClient(tmp_path, origin="recorded")

    load(duckdb_warehouse, client, date(2024, 1, 2))
    first = rows(duckdb_warehouse)
    assert {row[1] for row in first} == {date(2024, 1, 2)}
    assert all(row[4] for row in first)

    load(duckdb_warehouse, client, date(2024, 1, 3))  # nothing changed: nothing re-stamped
    assert rows(duckdb_warehouse) == first

    day, value = last_line.split(",")
    target.write_text(original.replace(last_line, f"{day},{float(value) + 0.5:.3f}"))
    load(duckdb_warehouse, client, date(2024, 2, 14))
    after = rows(duckdb_warehouse)
    assert after[:-1] == first  # the earlier value stays, with its first-seen date
    assert after[-1] == (
        date.fromisoformat(day),
        date(2024, 2, 14),
        date(9999, 12, 31),
        float(value) + 0.5,
        True,
    )
