"""The Portfolio view through Streamlit's AppTest on a small hand-written warehouse.

The marts here are written by hand in the shape of docs/decisions/0013 (two symbols, three
sessions), so every figure the page shows is known in advance: a figure on screen that is not
the mart's, or in the wrong place, fails. The same view on the real demo warehouse, checked
against figures recomputed from fct_prices_daily, is tests/e2e/test_dashboard_portfolio.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "marketpulse" / "dashboard" / "app.py")

BASE = """
create schema marts;
create table marts.dim_symbol as
select * from (values
    ('SPY', 'SPDR S&P 500', 'etf', null, true),
    ('AAA', 'Alpha Inc', 'equity', 'Technology', false),
    ('BBB', 'Beta Corp', 'equity', 'Energy', false)
) as t(symbol, name, asset_class, sector, is_benchmark);
create table marts.fct_prices_daily as
select symbol, cast(trading_date as date) as trading_date, cast(close as double) as close,
    cast(close as double) as adj_close
from (values
    ('SPY', '2024-01-02', 400.0), ('SPY', '2024-01-03', 404.0), ('SPY', '2024-01-04', 402.0),
    ('AAA', '2024-01-02', 100.0), ('AAA', '2024-01-03', 110.0), ('AAA', '2024-01-04', 120.0),
    ('BBB', '2024-01-02', 50.0), ('BBB', '2024-01-03', 50.0), ('BBB', '2024-01-04', 40.0)
) as t(symbol, trading_date, close);
"""

# Two holdings, 10 AAA and 5 BBB from 2024-01-02; targets 60 / 40. On 2024-01-04 the market
# value is 10 x 120 + 5 x 40 = 1,400: weights 6/7 and 1/7, drifts +0.2571 and -0.2571.
PORTFOLIO = """
create table marts.dim_portfolio as
select 'two-stocks' as portfolio_id, 'Two Stocks' as portfolio_name, 'USD' as base_currency,
    date '2024-01-02' as inception_date, date '2024-01-02' as latest_as_of_date,
    2 as holding_count, 'quantity' as weighting, 'SPY' as benchmark_symbol
union all
select 'other-one', 'Other One', 'USD', date '2024-01-03', date '2024-01-03', 1, 'quantity', 'SPY';
create table marts.fct_portfolio_holdings_daily as
select portfolio_id, cast(trading_date as date) as trading_date, symbol,
    cast(snapshot_as_of_date as date) as snapshot_as_of_date, quantity, close, close as adj_close,
    quantity * close as market_value, weight, target_weight, weight - target_weight as weight_drift,
    cost_basis, (close - cost_basis) * quantity as unrealized_pnl
from (select portfolio_id, trading_date, symbol, snapshot_as_of_date,
    cast(quantity as double) as quantity, cast(close as double) as close,
    cast(weight as double) as weight, cast(target_weight as double) as target_weight,
    cast(cost_basis as double) as cost_basis from (values
    ('two-stocks', '2024-01-02', 'AAA', '2024-01-02', 10.0, 100.0, 0.8, 0.6, 90.0),
    ('two-stocks', '2024-01-02', 'BBB', '2024-01-02', 5.0, 50.0, 0.2, 0.4, 45.0),
    ('two-stocks', '2024-01-03', 'AAA', '2024-01-02', 10.0, 110.0, 1100.0 / 1350.0, 0.6, 90.0),
    ('two-stocks', '2024-01-03', 'BBB', '2024-01-02', 5.0, 50.0, 250.0 / 1350.0, 0.4, 45.0),
    ('two-stocks', '2024-01-04', 'AAA', '2024-01-02', 10.0, 120.0, 6.0 / 7.0, 0.6, 90.0),
    ('two-stocks', '2024-01-04', 'BBB', '2024-01-02', 5.0, 40.0, 1.0 / 7.0, 0.4, 45.0),
    ('other-one', '2024-01-03', 'BBB', '2024-01-03', 2.0, 50.0, 1.0, 1.0, null),
    ('other-one', '2024-01-04', 'BBB', '2024-01-03', 2.0, 40.0, 1.0, 1.0, null)
) as t(portfolio_id, trading_date, symbol, snapshot_as_of_date, quantity, close, weight,
    target_weight, cost_basis));
create table marts.fct_portfolio_performance_daily as
select portfolio_id, cast(trading_date as date) as trading_date,
    cast(market_value as double) as market_value, cast(daily_return as double) as daily_return,
    cast(cumulative_return as double) as cumulative_return,
    cast(benchmark_return as double) as benchmark_return,
    cast(benchmark_cumulative_return as double) as benchmark_cumulative_return,
    cast(daily_return - benchmark_return as double) as active_return
from (values
    ('two-stocks', '2024-01-02', 1250.0, null, 0.0, null, 0.0),
    ('two-stocks', '2024-01-03', 1350.0, 0.08, 0.08, 0.01, 0.01),
    ('two-stocks', '2024-01-04', 1400.0, 1400.0 / 1350.0 - 1, 0.12, 402.0 / 404.0 - 1, 0.005),
    ('other-one', '2024-01-03', 100.0, null, 0.0, null, 0.0),
    ('other-one', '2024-01-04', 80.0, -0.2, -0.2, 402.0 / 404.0 - 1, 402.0 / 404.0 - 1)
) as t(portfolio_id, trading_date, market_value, daily_return, cumulative_return,
    benchmark_return, benchmark_cumulative_return);
create table marts.fct_portfolio_risk as
select portfolio_id, window_name, date '2024-01-04' as as_of_date,
    cast(n_observations as bigint) as n_observations,
    columns(lambda c: c not in ('portfolio_id', 'window_name', 'n_observations'))::double,
    'SPY' as benchmark_symbol
from (values
    ('two-stocks', '1y', 2, 0.35, 0.21, 1.234, 2.5, -0.061, 5.7, -0.01, -0.02, 0.1, 0.2, 1.3, 0.9, 1),
    ('two-stocks', 'full', 2, 0.36, 0.22, 1.876, 2.6, -0.062, 5.8, -0.01, -0.02, 0.1, 0.2, 1.3, 0.9, 1)
) as t(portfolio_id, window_name, n_observations, annual_return, annual_volatility, sharpe_ratio,
    sortino_ratio, max_drawdown, calmar_ratio, var_95, cvar_95, skewness, kurtosis, beta,
    correlation, risk_free_coverage);
"""

# An older run (not the latest) and the latest: three frontier points and the three portfolios.
OPTIMIZATION = """
create table marts.fct_optimization_results as
select run_id, 'two-stocks' as portfolio_id, method, point_index,
    cast(expected_return as double) as expected_return, cast(volatility as double) as volatility,
    cast(sharpe_ratio as double) as sharpe_ratio, weights, 0.05 as risk_free_rate, date '2023-01-03' as lookback_start_date,
    date '2024-01-04' as lookback_end_date, 252 as n_observations, 0.9 as max_weight,
    true as is_long_only, timestamp '2024-01-05 10:30:00' as created_at,
    run_id = 'run-new' as is_latest_run
from (values
    ('run-old', 'max_sharpe', 0, 0.50, 0.50, 0.9, '{"AAA": 0.5, "BBB": 0.5}'),
    ('run-new', 'frontier', 2, 0.16, 0.30, 0.37, '{"AAA": 0.9, "BBB": 0.1}'),
    ('run-new', 'frontier', 0, 0.08, 0.10, 0.30, '{"AAA": 0.3, "BBB": 0.7}'),
    ('run-new', 'frontier', 1, 0.12, 0.18, 0.39, '{"AAA": 0.6, "BBB": 0.4}'),
    ('run-new', 'max_sharpe', 0, 0.13, 0.20, 0.40, '{"AAA": 0.65, "BBB": 0.35}'),
    ('run-new', 'min_volatility', 0, 0.07, 0.09, 0.22, '{"AAA": 0.25, "BBB": 0.75}'),
    ('run-new', 'current', 0, 0.15, 0.28, 0.36, '{"AAA": 0.857, "BBB": 0.143}')
) as t(run_id, method, point_index, expected_return, volatility, sharpe_ratio, weights);
create table marts.fct_optimization_weights as
select run_id, method, point_index, key as symbol, cast(value as double) as weight
from (
    select run_id, method, point_index, unnest(map_entries(
        cast(json(weights) as map(varchar, double))
    ), recursive := true)
    from marts.fct_optimization_results
);
"""


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Build a warehouse from SQL scripts and point the dashboard at it."""

    builds = iter(range(100))

    def build(*scripts: str) -> None:
        # a new file each time: the dashboard's cache is keyed by the warehouse's location
        path = tmp_path / f"portfolio-{next(builds)}.duckdb"
        with duckdb.connect(str(path)) as connection:
            for script in scripts:
                connection.execute(script)
        monkeypatch.setenv("WAREHOUSE", "duckdb")
        monkeypatch.setenv("MARKETPULSE_DUCKDB_PATH", str(path))

    return build


def run_view(**params: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.query_params["view"] = "portfolio"
    for name, value in params.items():
        app.query_params[name] = value
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    assert app.title[0].value == "Portfolio"
    return app


def charts(app: AppTest) -> dict[str, dict[str, Any]]:
    figures = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    return {figure["layout"]["title"]["text"]: figure for figure in figures}


def values(array: Any) -> list[float]:
    if isinstance(array, dict) and "bdata" in array:
        import base64

        import numpy as np

        raw = base64.b64decode(array["bdata"])
        return np.frombuffer(raw, dtype=np.dtype(array["dtype"])).tolist()
    return list(array)


def highlighted_cells(css: str) -> set[tuple[int, int]]:
    """(row, column) of every cell the table's Styler gives a background colour."""
    cells: set[tuple[int, int]] = set()
    for rule in css.split("}"):
        if "background-color" in rule:
            found = re.findall(r"_row(\d+)_col(\d+)", rule)
            cells |= {(int(row), int(column)) for row, column in found}
    return cells


def metrics(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def test_without_portfolio_marts_it_says_how_to_import_one(warehouse) -> None:
    warehouse(BASE)
    app = run_view()
    assert [info.value for info in app.info] == [
        "No data yet: `marts.dim_portfolio` is not in the warehouse."
        " Run `make import-portfolio FILE=...` (or `make demo`) to build it."
    ]
    assert not app.get("plotly_chart") and not app.metric


def test_with_no_portfolio_imported_it_says_how_to_import_one(warehouse) -> None:
    warehouse(BASE, PORTFOLIO, "delete from marts.dim_portfolio")
    app = run_view()
    assert len(app.info) == 1
    assert "no portfolio has been imported" in app.info[0].value
    assert "make import-portfolio FILE=..." in app.info[0].value


def test_headline_holdings_and_drift(warehouse) -> None:
    warehouse(BASE, PORTFOLIO)
    app = run_view()
    assert app.selectbox(key="portfolio").value == "other-one"  # by name: Other One first
    app.selectbox(key="portfolio").set_value("two-stocks").run()
    assert not app.exception
    assert app.query_params["portfolio"] == "two-stocks"

    shown = metrics(app)
    assert shown["Market value (USD)"] == "1,400"  # 10 x 120 + 5 x 40
    assert shown["Total return"] == "+12.0%"
    assert shown["vs SPY"] == "+11.5 pp"  # 0.12 - 0.005
    assert shown["Sharpe (1y)"] == "1.23"
    assert shown["Volatility (1y)"] == "21.0%"
    assert shown["Max drawdown (1y)"] == "-6.1%"
    day_change = next(m for m in app.metric if m.label == "Market value (USD)")
    assert "+3.70% on 2024-01-04" in str(day_change.proto.delta)  # 1400 / 1350 - 1

    holdings = app.dataframe[0].value
    assert holdings["symbol"].tolist() == ["AAA", "BBB"]  # largest first
    assert holdings["market_value"].tolist() == [1200.0, 200.0]
    assert holdings["weight"].tolist() == pytest.approx([6 / 7, 1 / 7], rel=1e-12)
    assert holdings["weight_drift"].tolist() == pytest.approx([6 / 7 - 0.6, 1 / 7 - 0.4])
    assert holdings["unrealized_pnl"].tolist() == [300.0, -25.0]
    css = app.dataframe[0].proto.arrow_data.styler.styles
    drift_column = holdings.columns.get_loc("weight_drift")
    assert highlighted_cells(css) == {(0, drift_column), (1, drift_column)}, css  # 25.7 pp off

    allocation = charts(app)["Allocation on 2024-01-04: weight vs target"]
    bars = next(t for t in allocation["data"] if t["name"] == "Weight")
    assert dict(zip(bars["y"], values(bars["x"]), strict=True)) == pytest.approx(
        {"AAA": 6 / 7, "BBB": 1 / 7}
    )


def test_performance_chart_and_risk_windows(warehouse) -> None:
    warehouse(BASE, PORTFOLIO)
    app = run_view(portfolio="two-stocks")
    title = "Cumulative return vs SPY since 2024-01-02, and active return (portfolio minus SPY)"
    figure = charts(app)[title]  # three sessions: daily points, no "(weekly points)"
    traces = {t["name"]: values(t["y"]) for t in figure["data"]}
    assert traces["Portfolio"] == pytest.approx([0.0, 0.08, 0.12])
    assert traces["SPY"] == pytest.approx([0.0, 0.01, 0.005])
    assert traces["Ahead of SPY"] == pytest.approx([0.0, 0.07, 0.115])
    assert traces["Behind SPY"] == pytest.approx([0.0, 0.0, 0.0])

    risk = app.dataframe[1].value
    assert risk["window_name"].tolist() == ["1y", "full"]
    assert risk["sharpe_ratio"].tolist() == [1.234, 1.876]

    app.segmented_control(key="portfolio_window").set_value("full").run()
    assert metrics(app)["Sharpe (full)"] == "1.88"
    app.segmented_control(key="portfolio_window").set_value("3y").run()
    assert metrics(app)["Sharpe (3y)"] == "n/a"  # no 3y row: the history is shorter


def test_a_window_short_of_risk_free_rates_says_why_sharpe_is_empty(warehouse) -> None:
    # The full window: a quarter of its returns have a risk-free rate, so no Sharpe or Sortino.
    short = PORTFOLIO.replace(
        "0.22, 1.876, 2.6, -0.062, 5.8, -0.01, -0.02, 0.1, 0.2, 1.3, 0.9, 1)",
        "0.22, null, null, -0.062, 5.8, -0.01, -0.02, 0.1, 0.2, 1.3, 0.9, 0.25)",
    )
    assert short != PORTFOLIO
    warehouse(BASE, short)
    app = run_view(portfolio="two-stocks")
    risk = app.dataframe[1].value
    assert risk["risk_free_coverage"].tolist() == [1.0, 0.25]
    notes = [c.value for c in app.caption if "risk-free rate" in c.value]
    assert notes == [
        "Sharpe and Sortino are empty where a session of the window has no risk-free rate"
        " (FRED DGS3MO, dbt var risk_free_series). Sessions with a rate: full 25%."
    ]


def test_every_window_with_its_rates_has_no_note(warehouse) -> None:
    warehouse(BASE, PORTFOLIO)
    app = run_view(portfolio="two-stocks")
    assert not [c.value for c in app.caption if "risk-free rate" in c.value]


def test_frontier_empty_state_names_the_command(warehouse) -> None:
    warehouse(BASE, PORTFOLIO)
    app = run_view(portfolio="two-stocks")
    assert any(
        "`make optimize PORTFOLIO=two-stocks`" in info.value
        and "fct_optimization_results" in info.value
        for info in app.info
    ), [info.value for info in app.info]
    warehouse(BASE, PORTFOLIO, OPTIMIZATION, "delete from marts.fct_optimization_results")
    app = run_view(portfolio="two-stocks")
    assert [info.value for info in app.info] == [
        "No optimization run yet: `make optimize PORTFOLIO=two-stocks`"
    ]


def test_frontier_from_the_latest_run_with_the_three_portfolios_marked(warehouse) -> None:
    warehouse(BASE, PORTFOLIO, OPTIMIZATION)
    app = run_view(portfolio="two-stocks")
    assert not app.info
    figure = charts(app)["Efficient frontier with the current portfolio"]
    points = {t["name"]: (values(t["x"]), values(t["y"])) for t in figure["data"]}
    assert points == {
        "Efficient frontier": ([0.10, 0.18, 0.30], [0.08, 0.12, 0.16]),  # by point_index
        "Max Sharpe": ([0.20], [0.13]),  # the latest run's, not run-old's
        "Min volatility": ([0.09], [0.07]),
        "Current portfolio": ([0.28], [0.15]),
    }
    weights = app.dataframe[2].value.set_index("symbol")
    assert weights.loc["AAA"].tolist() == [0.857, 0.65, 0.25]
    assert weights.loc["BBB"].tolist() == [0.143, 0.35, 0.75]
    caption = " ".join(c.value for c in app.caption)
    assert "Latest run `run-new`, 2024-01-05 10:30 UTC" in caption
    assert "252 daily returns, 2023-01-03 to 2024-01-04; long only, at most 90% each" in caption


def test_a_link_picks_the_portfolio_and_an_unknown_one_falls_back(warehouse) -> None:
    warehouse(BASE, PORTFOLIO)
    app = run_view(portfolio="two-stocks")
    assert app.selectbox(key="portfolio").value == "two-stocks"
    assert metrics(app)["Market value (USD)"] == "1,400"
    app = run_view(portfolio="no-such-portfolio")
    assert app.selectbox(key="portfolio").value == "other-one"
    assert metrics(app)["Market value (USD)"] == "80"
    assert app.query_params["portfolio"] == "other-one"
