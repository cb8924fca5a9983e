"""Every view says so when the warehouse holds the bundled offline sample (issue 19 item 3),
and says nothing of the kind on live data. Hand-written marts: the banner follows
dim_symbol.is_simulated and the latest runs' data_origin in fct_pipeline_runs, nothing else."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "marketpulse" / "dashboard" / "app.py")
VIEWS = (
    "overview",
    "sector-rotation",
    "macro-lens",
    "trends-sentiment",
    "volatility-risk",
    "portfolio",
)
BANNER = "Offline sample, not live market data."


def warehouse(path: Path, simulated: bool, run_origin: str) -> None:
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            f"""
            create schema marts;
            create table marts.dim_symbol as
            select * from (values
                ('SPY', 'SPDR S&P 500', 'etf', null, true, false),
                ('AAA', 'Alpha Inc', 'equity', 'Technology', false, {simulated})
            ) as t(symbol, name, asset_class, sector, is_benchmark, is_simulated);
            create table marts.fct_prices_daily as
            select symbol, cast(trading_date as date) as trading_date,
                cast(close as double) as close, cast(close as double) as adj_close
            from (values
                ('SPY', '2024-01-02', 400.0), ('SPY', '2024-01-03', 404.0),
                ('AAA', '2024-01-02', 100.0), ('AAA', '2024-01-03', 110.0)
            ) as t(symbol, trading_date, close);
            create table marts.fct_pipeline_runs as
            select * from (values
                ('r1', 'yahoo', true, 'live'),
                ('r2', 'yahoo', true, '{run_origin}'),
                ('r0', 'fred', false, 'sample')
            ) as t(run_id, source_name, is_latest_run, data_origin);
            """
        )


def banners(app: AppTest) -> list[str]:
    return [str(warning.value) for warning in app.warning if BANNER in str(warning.value)]


@pytest.mark.parametrize(
    ("simulated", "run_origin", "expected"),
    [
        (True, "sample", "1 of its 2 symbols are simulated prices"),
        (False, "sample", "the latest load is the recorded sample"),
        (True, "live", "1 of its 2 symbols are simulated prices"),
        (False, "live", None),
    ],
)
def test_every_view_labels_the_sample_and_only_the_sample(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    simulated: bool,
    run_origin: str,
    expected: str | None,
) -> None:
    path = tmp_path / f"banner-{simulated}-{run_origin}.duckdb"
    warehouse(path, simulated, run_origin)
    monkeypatch.setenv("WAREHOUSE", "duckdb")
    monkeypatch.setenv("MARKETPULSE_DUCKDB_PATH", str(path))
    for view in VIEWS:
        app = AppTest.from_file(APP, default_timeout=120)
        app.query_params["view"] = view
        app.run()
        assert not app.exception, (view, [e.value for e in app.exception])
        found = banners(app)
        if expected is None:
            assert found == [], (view, found)
        else:
            assert len(found) == 1 and expected in found[0], (view, found)
            assert "make ingest && make build" in found[0]
