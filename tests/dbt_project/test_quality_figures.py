"""Quality figures that must not mislead (issue 17, items 14-16), on a hand-built raw slice of
the sample: two years (2017-2018) of AAPL, SPY and ^VIX, and DGS3MO, through the real pipelines,
then edited in raw and built by the real `dbt build`, on DuckDB and on Postgres.

- AAPL misses the two weeks June 4-15 2018 (10 sessions) in its last year: the grade is Fair
  at best, however complete the rest is; SPY, complete, is Excellent (ADR 0030).
- AAPL trades nothing on 2018-09-04: a zero-volume session of a stock is an anomaly. ^VIX, an
  index, has volume 0 on every session in the sample: never one.
- DGS3MO, the risk-free rate, starts on 2018-06-01: of SPY's last 252 returns 147 have a rate
  (June 1 - December 31 2018), of its 501 returns since 2017 the same 147. Sharpe and Sortino
  are null there, and risk_free_coverage says why (ADR 0031).

The sessions are counted by hand on the NYSE calendar: 2017 has 251 sessions, 2018 has 251
(Good Friday, the national day of mourning on December 5 and the usual holidays closed), so
the last 252 sessions up to 2018-12-31 start on 2017-12-29 and the full history is 502.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from marketpulse.ingest import runner
from marketpulse.ingest.report import Progress
from marketpulse.warehouse import Warehouse
from tests.conftest import fixture_config, fresh_postgres_database
from tests.sample_warehouses import dbt, execute

CONFIG = {
    "symbols": ("AAPL", "SPY", "^VIX"),
    "yahoo_start": date(2017, 1, 1),
    "series": ("DGS10", "DGS3MO"),
    "fred_start": date(2017, 1, 1),
    "news_symbols": ("AAPL",),
}
GAP = (date(2018, 6, 4), date(2018, 6, 15))  # Mon-Fri twice: 10 sessions, no holiday
SESSIONS_2017_2018 = 502
RECENT_SESSIONS = 252
GAP_SESSIONS = 10
ZERO_VOLUME = date(2018, 9, 4)
RISK_FREE_FROM = date(2018, 6, 1)
SESSIONS_WITH_RATE = 147  # June 1 - December 31 2018


@dataclass
class Built:
    warehouse: Warehouse
    build_code: int


def load(warehouse: Warehouse, tmp: Path) -> Built:
    reports = runner.run(
        fixture_config(**CONFIG),
        warehouse,
        runner.sample_clients(),
        runner.SOURCES,
        progress=Progress(quiet=True),
    )
    assert all(report.ok for report in reports), [r for r in reports if not r.ok]
    execute(
        warehouse,
        "delete from raw_yahoo.prices_daily where symbol = %s and trading_date between %s and %s",
        ("AAPL", *GAP),
    )
    execute(
        warehouse,
        "update raw_yahoo.prices_daily set volume = 0 where symbol = %s and trading_date = %s",
        ("AAPL", ZERO_VOLUME),
    )
    execute(
        warehouse,
        "delete from raw_fred.observations where series_id = %s and observation_date < %s",
        ("DGS3MO", RISK_FREE_FROM),
    )
    return Built(warehouse, dbt(warehouse, tmp, "build"))


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, runs_dbt: None
) -> object:
    tmp = tmp_path_factory.mktemp(f"quality-{request.param}")
    if request.param == "duckdb":
        warehouse = Warehouse.from_env(
            {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(tmp / "wh.duckdb")}
        )
        yield load(warehouse, tmp)
        return
    with fresh_postgres_database(request.getfixturevalue("postgres_admin_db")) as warehouse:
        yield load(warehouse, tmp)


def quality(built: Built, symbol: str) -> dict[str, dict[str, object]]:
    columns = (
        "window_name, expected_points, actual_points, completeness_ratio,"
        " recent_completeness_ratio, recent_max_gap_sessions, quality_score, quality_grade"
    )
    rows = execute(
        built.warehouse,
        f"select {columns} from marts.fct_data_quality"
        " where entity_type = 'symbol' and entity_id = %s",
        (symbol,),
    )
    names = [name.strip() for name in columns.split(",")]
    return {row[0]: dict(zip(names, row, strict=True)) for row in rows}


def test_the_build_succeeds(built: Built) -> None:
    assert built.build_code == 0


def test_a_two_week_gap_in_the_last_year_grades_fair_at_best(built: Built) -> None:
    aapl = quality(built, "AAPL")
    assert set(aapl) == {"30d", "full"}
    full = aapl["full"]
    assert (full["expected_points"], full["actual_points"]) == (
        SESSIONS_2017_2018,
        SESSIONS_2017_2018 - GAP_SESSIONS,
    )
    assert full["completeness_ratio"] == pytest.approx(492 / 502)
    for window in aapl.values():
        assert window["recent_completeness_ratio"] == pytest.approx(242 / 252)
        assert window["recent_max_gap_sessions"] == GAP_SESSIONS
        # the score alone would be Excellent (0.6 * 242/252 + 0.4 * 492/502 - ...)
        assert float(window["quality_score"]) > 0.95  # type: ignore[arg-type]
        assert window["quality_grade"] == "Fair"


def test_a_complete_history_grades_excellent(built: Built) -> None:
    spy = quality(built, "SPY")
    assert spy["full"]["expected_points"] == spy["full"]["actual_points"] == SESSIONS_2017_2018
    for window in spy.values():
        assert window["recent_completeness_ratio"] == 1.0
        assert window["recent_max_gap_sessions"] == 0
        assert window["quality_grade"] == "Excellent"


def test_a_zero_volume_session_of_a_stock_is_an_anomaly(built: Built) -> None:
    counts = dict(
        execute(
            built.warehouse,
            "select window_name, zero_volume_count from marts.fct_data_quality"
            " where entity_type = 'symbol' and entity_id = %s",
            ("AAPL",),
        )
    )
    assert counts == {"30d": 0, "full": 1}  # September is outside the last 30 days
    listed = execute(
        built.warehouse,
        "select symbol, trading_date, reason_code, severity, volume"
        " from intermediate.int_prices_quarantine where reason_code = 'zero_volume'",
    )
    assert listed == [("AAPL", ZERO_VOLUME, "zero_volume", "flagged", 0)]
    (kept,) = execute(
        built.warehouse,
        "select count(*) from marts.fct_prices_daily where symbol = %s and trading_date = %s",
        ("AAPL", ZERO_VOLUME),
    )[0]
    assert kept == 1


def test_an_index_without_volume_is_no_anomaly(built: Built) -> None:
    (asset_class,) = execute(
        built.warehouse, "select asset_class from marts.dim_symbol where symbol = %s", ("^VIX",)
    )[0]
    (sessions, zero_volume) = execute(
        built.warehouse,
        "select count(*), sum(case when volume = 0 then 1 else 0 end)"
        " from marts.fct_prices_daily where symbol = %s",
        ("^VIX",),
    )[0]
    counts = execute(
        built.warehouse,
        "select zero_volume_count from marts.fct_data_quality"
        " where entity_type = 'symbol' and entity_id = %s",
        ("^VIX",),
    )
    assert asset_class == "index"
    assert zero_volume == sessions == SESSIONS_2017_2018
    assert counts == [(0,), (0,)]


def test_risk_free_coverage_says_why_sharpe_is_null(built: Built) -> None:
    rows = execute(
        built.warehouse,
        "select window_name, n_observations, risk_free_coverage, sharpe_ratio, sortino_ratio"
        " from marts.fct_risk_metrics where symbol = %s",
        ("SPY",),
    )
    by_window = {row[0]: row[1:] for row in rows}
    assert set(by_window) == {"1y", "full"}  # two years: no 3y or 5y window
    assert by_window["1y"][0] == RECENT_SESSIONS
    assert by_window["full"][0] == SESSIONS_2017_2018 - 1
    assert by_window["1y"][1] == pytest.approx(SESSIONS_WITH_RATE / 252, rel=1e-12)
    assert by_window["full"][1] == pytest.approx(SESSIONS_WITH_RATE / 501, rel=1e-12)
    assert all(sharpe is None and sortino is None for _, _, sharpe, sortino in by_window.values())


def test_rolling_risk_free_coverage(built: Built) -> None:
    rows = execute(
        built.warehouse,
        "select trading_date, risk_free_coverage_63d, risk_free_coverage_252d,"
        " sharpe_ratio_63d, sharpe_ratio_252d from marts.fct_rolling_risk"
        " where symbol = %s and trading_date in (%s, %s, %s)",
        ("SPY", date(2017, 1, 3), date(2018, 7, 2), date(2018, 12, 31)),
    )
    by_date = {row[0]: row[1:] for row in rows}
    # 2017-01-03: the first session, no return yet
    assert by_date[date(2017, 1, 3)] == (None, None, None, None)
    # 2018-07-02: 22 of the last 63 and of the last 252 returns (June 1 - July 2) have a rate
    cov_63, cov_252, sharpe_63, sharpe_252 = by_date[date(2018, 7, 2)]
    assert cov_63 == pytest.approx(22 / 63, rel=1e-12)
    assert cov_252 == pytest.approx(22 / 252, rel=1e-12)
    assert sharpe_63 is None and sharpe_252 is None
    # 2018-12-31: all of the last 63 have one, so Sharpe 63d is there; 147 of 252
    cov_63, cov_252, sharpe_63, sharpe_252 = by_date[date(2018, 12, 31)]
    assert cov_63 == 1.0
    assert sharpe_63 is not None
    assert cov_252 == pytest.approx(SESSIONS_WITH_RATE / 252, rel=1e-12)
    assert sharpe_252 is None
