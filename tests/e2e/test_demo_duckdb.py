"""`make demo` on the embedded default, checked against independent references:
the sample files themselves (Yahoo's own Adj Close), the NYSE calendar from exchange_calendars,
and hand-computed rows around AAPL's 7:1 split."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import exchange_calendars as xcals
import pandas as pd
import pytest

from marketpulse.build.dbt import dbt_env
from tests.conftest import ROOT, SAMPLE
from tests.sample_warehouses import MARTS, POINT_MARTS, Demo, DocsSite, mart_counts, query, run_demo

HISTORY = SAMPLE / "yahoo" / "history"
MANIFEST = json.loads((SAMPLE / "manifest.json").read_text())


def sample_history() -> pd.DataFrame:
    frames = []
    for path in sorted(HISTORY.glob("*.csv")):
        frame = pd.read_csv(path)
        frame["symbol"] = path.stem
        frame["trading_date"] = frame["Date"].str[:10].map(date.fromisoformat)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_demo_prints_its_summary(demo_duckdb: Demo) -> None:
    out = demo_duckdb.first.stdout
    assert "marketpulse demo: marts built" in out
    assert "marts.fct_prices_daily" in out and "57,380 rows  2013-01-02 .. 2018-12-31" in out
    assert f"warehouse: duckdb file {demo_duckdb.built_file}" in out
    assert "next:" in out
    # the timing line before the summary: each step's wall and CPU seconds (bench.run reads it)
    from bench.run import demo_steps

    steps = demo_steps(out)
    assert list(steps) == ["load", "build", "optimize", "forecast", "backtest"]
    assert all(step["seconds"] > 0 and step["cpu_seconds"] > 0 for step in steps.values())


def test_every_mart_is_filled(demo_duckdb: Demo) -> None:
    counts = mart_counts(demo_duckdb.warehouse)
    assert counts["fct_prices_daily"] == len(sample_history()) == 57_380
    assert counts["dim_symbol"] == 38
    assert counts["dim_indicator"] == 14
    observed = 0  # every vintage with a value (test_macro_pit checks them row by row)
    for path in (SAMPLE / "fred" / "vintages").glob("*.json"):
        rows = json.loads(path.read_text())["observations"]
        observed += sum(row["value"] != "." for row in rows)
    assert counts["fct_macro_observations"] == observed
    assert counts["fct_macro_lens_monthly"] == 72
    assert min(counts["fct_macro_asof_daily"], counts["fct_yield_curve_daily"]) > 1_000
    assert counts["dim_date"] == (date(2035, 12, 31) - date(1990, 1, 1)).days + 1


def test_second_demo_changes_no_mart_row_count(demo_duckdb: Demo) -> None:
    before = mart_counts(demo_duckdb.warehouse)
    again = run_demo(demo_duckdb.warehouse.duckdb_path, demo_duckdb.tmp)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert mart_counts(demo_duckdb.warehouse) == before
    raw = query(demo_duckdb.warehouse, "select count(*) from raw_yahoo.prices_daily")[0][0]
    assert raw == 57_380


def test_adjusted_close_equals_yahoos_own_adj_close(demo_duckdb: Demo) -> None:
    """The sample's "Adj Close" was computed by the generator the way Yahoo does (pandas,
    independently of the SQL); our dbt adjustment must reproduce it on every row."""
    ours = pd.DataFrame(
        query(
            demo_duckdb.warehouse,
            "select symbol, trading_date, adj_close from marts.fct_prices_daily",
        ),
        columns=["symbol", "trading_date", "adj_close"],
    )
    merged = sample_history().merge(ours, on=["symbol", "trading_date"], validate="one_to_one")
    assert len(merged) == 57_380
    difference = (merged["adj_close"] - merged["Adj Close"]).abs()
    assert difference.max() <= 1e-6 * merged["Adj Close"].abs().max()
    worst = (difference / merged["Adj Close"].abs()).max()
    assert worst < 1e-7


def test_as_traded_prices_around_aapls_split(demo_duckdb: Demo) -> None:
    """Hand-checked: before 2014-06-09 AAPL traded at 7x Yahoo's split-adjusted price."""
    history = pd.read_csv(HISTORY / "AAPL.csv")
    history["trading_date"] = history["Date"].str[:10]
    day_before = history.set_index("trading_date").loc["2014-06-06"]
    split_day = history.set_index("trading_date").loc["2014-06-09"]
    rows = dict(
        (str(row[0]), row[1:])
        for row in query(
            demo_duckdb.warehouse,
            "select trading_date, close, volume, split_ratio, adj_close from marts.fct_prices_daily"
            " where symbol = 'AAPL' and trading_date in (date '2014-06-06', date '2014-06-09')",
        )
    )
    close, volume, split_ratio, _ = rows["2014-06-06"]
    assert close == pytest.approx(day_before["Close"] * 7, rel=1e-12)
    assert volume == round(day_before["Volume"] / 7)
    assert split_ratio == 1
    close, volume, split_ratio, _ = rows["2014-06-09"]
    assert close == pytest.approx(split_day["Close"], rel=1e-12)
    assert volume == split_day["Volume"]
    assert split_ratio == 7


def test_latest_adjusted_close_equals_close(demo_duckdb: Demo) -> None:
    mismatches = query(
        demo_duckdb.warehouse,
        """
        select count(*) from marts.fct_prices_daily as prices
        where trading_date = (select max(trading_date) from marts.fct_prices_daily)
          and abs(adj_close - close) > 1e-9 * close
        """,
    )
    assert mismatches == [(0,)]


def test_trading_days_match_exchange_calendars(demo_duckdb: Demo) -> None:
    nyse = xcals.get_calendar("XNYS", start="1990-01-02", end="2035-12-31")
    sessions = {ts.date() for ts in nyse.sessions}
    ours = {
        row[0]
        for row in query(
            demo_duckdb.warehouse, "select date_day from marts.dim_date where is_trading_day"
        )
    }
    assert ours == sessions
    month_ends = {
        ts.date() for ts in pd.Series(nyse.sessions).groupby(nyse.sessions.to_period("M")).max()
    }
    ours_month_ends = {
        row[0]
        for row in query(
            demo_duckdb.warehouse,
            "select date_day from marts.dim_date where is_month_end_trading_day",
        )
    }
    assert ours_month_ends == month_ends
    early = {ts.date() for ts in nyse.early_closes}
    ours_early = {
        row[0]
        for row in query(
            demo_duckdb.warehouse, "select date_day from marts.dim_date where is_early_close"
        )
    }
    assert ours_early == early


def test_every_bar_is_on_a_session(demo_duckdb: Demo) -> None:
    nyse = xcals.get_calendar("XNYS", start="2013-01-02", end="2018-12-31")
    sessions = sorted(ts.date() for ts in nyse.sessions)
    for symbol, count, first, last in query(
        demo_duckdb.warehouse,
        "select symbol, count(*), min(trading_date), max(trading_date) from marts.fct_prices_daily group by symbol",
    ):
        assert (count, first, last) == (len(sessions), sessions[0], sessions[-1]), symbol


def test_dim_symbol_labels_simulated_data(demo_duckdb: Demo) -> None:
    rows = query(
        demo_duckdb.warehouse,
        "select symbol, is_simulated, asset_class, sector, is_benchmark from marts.dim_symbol",
    )
    by_symbol = {row[0]: row[1:] for row in rows}
    for symbol, meta in MANIFEST["yahoo"].items():
        assert by_symbol[symbol][0] == (meta["origin"] == "simulated"), symbol
    assert by_symbol["^GSPC"][:2] == (False, "index")
    assert by_symbol["XLK"][1:3] == ("etf", "Technology")
    assert by_symbol["AAPL"][1:3] == ("equity", "Technology")
    assert [s for s, meta in by_symbol.items() if meta[3]] == ["SPY"]


def test_marts_are_the_whole_public_contract(demo_duckdb: Demo) -> None:
    tables = {
        row[0]
        for row in query(
            demo_duckdb.warehouse,
            "select table_name from information_schema.tables where table_schema = 'marts'",
        )
    }
    assert tables == set(MARTS) | set(POINT_MARTS)


def dbt(demo: Demo, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **dbt_env(demo.warehouse),
        "DBT_TARGET_PATH": str(demo.tmp / "target"),
        "DBT_LOG_PATH": str(demo.tmp / "logs"),
    }
    return subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "--no-use-colors", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_docs_site_describes_every_mart_column(docs_site: DocsSite) -> None:
    assert docs_site.site_bytes > 100_000
    catalog, manifest = docs_site.catalog, docs_site.manifest
    for mart in MARTS:
        node = manifest["nodes"][f"model.marketpulse.{mart}"]
        assert node["description"], mart
        assert node["config"]["contract"]["enforced"], mart
        in_warehouse = set(catalog["nodes"][f"model.marketpulse.{mart}"]["columns"])
        described = {name for name, column in node["columns"].items() if column["description"]}
        assert in_warehouse == described, mart


def test_source_freshness_is_configured_on_every_raw_table(demo_duckdb: Demo) -> None:
    """Freshness is measured on `_loaded_at` (when the ingest last ran), so the demo just loaded
    passes; the thresholds themselves live in the sources YAML."""
    result = dbt(demo_duckdb, "source", "freshness")
    assert result.returncode == 0, result.stdout[-2000:]
    for table in (
        "yahoo.prices_daily",
        "yahoo.corporate_actions",
        "yahoo.symbols",
        "fred.observations",
        "fred.series",
        "trends.interest_over_time",
        "news.headlines",
        "yahoo.prices_intraday",
    ):
        assert re.search(rf"PASS freshness of {re.escape(table)}\b", result.stdout), table
    sources = json.loads((demo_duckdb.tmp / "target" / "sources.json").read_text())
    assert len(sources["results"]) == 8  # news.headlines_quarantine has no freshness: a log
    for source in sources["results"]:
        assert (
            source["criteria"]["warn_after"]["count"] and source["criteria"]["error_after"]["count"]
        )


def test_every_dbt_unit_test_passes_on_the_demo_warehouse(demo_duckdb: Demo) -> None:
    """The demo's build leaves dbt's unit tests out (issue 16: they cost a user's build most of
    its test time); `make test` runs every one of them here, on the demo's warehouse."""
    target = demo_duckdb.tmp / "unit-target"
    env = {
        **dbt_env(demo_duckdb.warehouse),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(demo_duckdb.tmp / "unit-logs"),
    }
    demo_target = demo_duckdb.built_file.parent / "target"
    demo_results = json.loads((demo_target / "run_results.json").read_text())["results"]
    assert not [r for r in demo_results if r["unique_id"].startswith("unit_test.")]
    result = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "test", "--select", "test_type:unit"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    manifest = json.loads((target / "manifest.json").read_text())
    results = [
        r
        for r in json.loads((target / "run_results.json").read_text())["results"]
        if not r["unique_id"].startswith("operation.")  # the on-run-start hook
    ]
    assert {r["unique_id"] for r in results} == set(manifest["unit_tests"])
    assert len(manifest["unit_tests"]) >= 10
    assert {r["status"] for r in results} == {"pass"}
