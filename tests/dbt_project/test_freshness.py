"""Source freshness thresholds that respect NYSE sessions: no warning after the longest normal
pause between two session closes (per exchange_calendars), a warning after it, an error after a
week without a Yahoo load. Measured by `dbt source freshness` on a real warehouse."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import exchange_calendars as xc
import yaml

from marketpulse.build.dbt import dbt_env
from marketpulse.warehouse import Warehouse
from tests.conftest import ROOT
from tests.sample_warehouses import execute, load_slice

SOURCES = {
    "yahoo": ROOT / "dbt_project/models/staging/yahoo/_yahoo__sources.yml",
    "fred": ROOT / "dbt_project/models/staging/fred/_fred__sources.yml",
}
RAW_TABLES = {
    "yahoo": ("prices_daily", "corporate_actions", "symbols"),
    "fred": ("observations", "series"),
}
HOURS = {"hour": 1, "day": 24}


def longest_normal_pause() -> timedelta:
    """The longest time between two consecutive NYSE session closes, 2013-2030."""
    calendar = xc.get_calendar("XNYS", start="2013-01-01", end="2030-12-31")
    return calendar.schedule["close"].diff().max().to_pytimedelta()


def thresholds(source: str, table: str) -> dict[str, timedelta]:
    spec = yaml.safe_load(SOURCES[source].read_text())["sources"][0]
    entry = next(t for t in spec["tables"] if t["name"] == table)
    freshness = entry.get("freshness", spec["freshness"])
    return {
        level: timedelta(hours=freshness[level]["count"] * HOURS[freshness[level]["period"]])
        for level in ("warn_after", "error_after")
    }


def test_thresholds_outlast_every_normal_pause_between_sessions() -> None:
    pause = longest_normal_pause()
    assert pause == timedelta(days=4, hours=3)  # early close Thursday -> Monday close
    for source, tables in RAW_TABLES.items():
        for table in tables:
            limits = thresholds(source, table)
            assert limits["warn_after"] > pause, (source, table)
            assert limits["error_after"] >= timedelta(days=7), (source, table)


def freshness(warehouse: Warehouse, tmp: Path, ages: dict[str, timedelta]) -> dict[str, str]:
    """Each raw table last loaded the given time ago: dbt's verdict per source table."""
    now = datetime.now(UTC)
    for table, age in ages.items():
        execute(warehouse, f"update raw_{table} set _loaded_at = %s", (now - age,))
    env = {**dbt_env(warehouse), "DBT_TARGET_PATH": str(tmp), "DBT_LOG_PATH": str(tmp / "logs")}
    subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "source", "freshness", "--quiet"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=False,
        timeout=300,
    )
    results = json.loads((tmp / "sources.json").read_text())["results"]
    return {r["unique_id"].split(".", 2)[2]: r["status"] for r in results}


def test_dbt_source_freshness_verdicts(tmp_path: Path) -> None:
    """One table per case, one dbt run: the longest normal pause passes, 7 hours more warns,
    8 days is an error for Yahoo and still only a warning for FRED."""
    warehouse = Warehouse.from_env(
        {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(tmp_path / "wh.duckdb")}
    )
    load_slice(warehouse, ("yahoo", "fred"))
    pause = longest_normal_pause()
    cases = {
        "yahoo.prices_daily": (pause, "pass"),
        "yahoo.corporate_actions": (pause + timedelta(hours=7), "warn"),
        "yahoo.symbols": (timedelta(days=8), "error"),
        "fred.observations": (timedelta(days=8), "warn"),
        "fred.series": (pause, "pass"),
    }
    verdicts = freshness(
        warehouse, tmp_path / "dbt", {table: age for table, (age, _) in cases.items()}
    )
    # Only these sources: other domains' raw tables are not loaded in this warehouse.
    assert {table: verdicts[table] for table in cases} == {
        table: verdict for table, (_, verdict) in cases.items()
    }
