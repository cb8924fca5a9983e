"""The Portfolio view on the demo warehouse (`make demo` imports the sample portfolios and runs
one optimization), through Streamlit's AppTest.

Every figure on the page is checked against an independent reference: the holdings file
(sample_data/portfolio/sample_portfolios.csv) and the prices read straight from
fct_prices_daily, with the arithmetic of docs/decisions/0013 redone here in pandas (quantities x
close, the previous close's weights x each symbol's adj_close return) and the risk statistics
from empyrical, never from the portfolio marts or the dashboard's data module.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import empyrical
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from marketpulse.warehouse import Warehouse
from tests.conftest import ROOT
from tests.dashboard.test_portfolio_view import highlighted_cells
from tests.e2e.risk_reference import WINDOWS, risk_free_daily
from tests.e2e.test_dashboard import APP, chart, demo, trace, ys  # noqa: F401 (demo: a fixture)
from tests.sample_warehouses import query

SAMPLE = ROOT / "sample_data" / "portfolio" / "sample_portfolios.csv"
NOTIONAL = 1_000_000.0  # dbt var portfolio_notional: what a weights-only first snapshot buys
BENCHMARK = "SPY"


def slug(name: str) -> str:
    """ADR 0013's portfolio id, written out again: lower case, non-alphanumerics runs to '-'."""
    out, dash = [], False
    for char in name.lower():
        if char.isascii() and char.isalnum():
            out.append(char)
            dash = False
        elif not dash:
            out.append("-")
            dash = True
    return "".join(out).strip("-")


def price_table(warehouse: Warehouse, column: str) -> pd.DataFrame:
    rows = query(warehouse, f"select symbol, trading_date, {column} from marts.fct_prices_daily")
    frame = pd.DataFrame(rows, columns=["symbol", "trading_date", column])
    frame["trading_date"] = pd.to_datetime(frame["trading_date"])
    return frame.pivot(index="trading_date", columns="symbol", values=column).sort_index()


@dataclass
class Reference:
    holdings: pd.DataFrame  # the last session's positions
    value: pd.Series  # market value per session
    returns: pd.Series  # daily total return (from the second session)
    benchmark: pd.Series  # SPY's daily total return on the same sessions
    first_session: pd.Timestamp


def reference(warehouse: Warehouse, portfolio_id: str) -> Reference:
    """The portfolio rebuilt from the file and fct_prices_daily, session by session."""
    sample = pd.read_csv(SAMPLE, dtype={"quantity": float, "target_weight": float})
    sample["portfolio_id"] = sample["portfolio_name"].map(slug)
    rows = sample[sample["portfolio_id"] == portfolio_id].copy()
    rows["as_of_date"] = pd.to_datetime(rows["as_of_date"])
    close, adj = price_table(warehouse, "close"), price_table(warehouse, "adj_close")
    split = price_table(warehouse, "split_ratio").fillna(1.0).replace(0.0, 1.0)
    sessions = close.index[(close.index >= rows["as_of_date"].min()) & close[BENCHMARK].notna()]

    quantities: dict[str, float] = {}
    snapshot_of_held: pd.Timestamp | None = None
    value = pd.Series(index=sessions, dtype=float)
    held: list[dict[str, float]] = []
    for day in sessions:
        current = rows[rows["as_of_date"] <= day]["as_of_date"].max()
        if pd.isna(current):
            current = rows["as_of_date"].min()
        if snapshot_of_held is not None and current == snapshot_of_held:
            quantities = {s: q * split.loc[day, s] for s, q in quantities.items()}
        else:  # a new snapshot takes over at this session
            snapshot = rows[rows["as_of_date"] == current]
            if snapshot["quantity"].notna().all():
                quantities = dict(zip(snapshot["symbol"], snapshot["quantity"], strict=True))
            else:
                worth = (
                    NOTIONAL
                    if not held
                    else sum(q * close.loc[day, s] for s, q in held[-1].items())
                )
                quantities = {
                    r.symbol: r.target_weight * worth / close.loc[day, r.symbol]
                    for r in snapshot.itertuples()
                }
            snapshot_of_held = current
        held.append(dict(quantities))
        value[day] = sum(q * close.loc[day, s] for s, q in quantities.items())

    returns = {}
    for before, day, positions in zip(sessions[:-1], sessions[1:], held[:-1], strict=True):
        total = sum(q * close.loc[before, s] for s, q in positions.items())
        returns[day] = sum(
            q * close.loc[before, s] / total * (adj.loc[day, s] / adj.loc[before, s] - 1)
            for s, q in positions.items()
        )
    last_day = sessions[-1]
    last = rows[rows["as_of_date"] == rows["as_of_date"].max()].set_index("symbol")
    positions = pd.DataFrame({"quantity": pd.Series(held[-1])})
    positions["close"] = [close.loc[last_day, s] for s in positions.index]
    positions["market_value"] = positions["quantity"] * positions["close"]
    positions["weight"] = positions["market_value"] / positions["market_value"].sum()
    positions["target_weight"] = last["target_weight"].reindex(positions.index)
    spy = adj[BENCHMARK].reindex(sessions)
    return Reference(
        holdings=positions,
        value=value,
        returns=pd.Series(returns),
        benchmark=(spy / spy.shift(1) - 1).iloc[1:],
        first_session=sessions[0],
    )


def week_ends(series: pd.Series) -> pd.Series:
    return series.groupby(series.index.to_period("W-SUN")).tail(1)


def shown_metrics(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {metric.label: metric.value for metric in app.metric}


def run_view_with(portfolio_id: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.query_params["view"] = "portfolio"
    app.query_params["portfolio"] = portfolio_id
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    return app


@pytest.fixture
def portfolio_demo(demo: Warehouse) -> Warehouse:  # noqa: F811
    found = query(demo, "select count(*) from marts.dim_portfolio")[0][0]
    assert found == 2, "make demo loads the two sample portfolios"
    return demo


def test_growth_and_income_holdings_performance_and_risk(portfolio_demo: Warehouse) -> None:
    expected = reference(portfolio_demo, "sample-growth-income")
    app = run_view_with("sample-growth-income")
    assert app.selectbox(key="portfolio").value == "sample-growth-income"

    # Holdings on the last session: the 2017-07-03 snapshot's quantities at 2018-12-31's close.
    holdings = app.dataframe[0].value.set_index("symbol").sort_index()
    mine = expected.holdings.sort_index()
    assert holdings.index.tolist() == ["AAPL", "JNJ", "JPM", "MSFT", "NEE", "PG"]  # XOM sold
    for column in ("quantity", "close", "market_value", "weight", "target_weight"):
        np.testing.assert_allclose(holdings[column], mine[column], rtol=1e-9, err_msg=column)
    np.testing.assert_allclose(
        holdings["weight_drift"], mine["weight"] - mine["target_weight"], rtol=1e-9, atol=1e-12
    )
    market_value = expected.value.iloc[-1]
    assert math.isclose(market_value, mine["market_value"].sum(), rel_tol=1e-12)

    # Headline cards.
    cumulative = (1 + expected.returns).prod() - 1
    benchmark_cumulative = (1 + expected.benchmark).prod() - 1
    cards = shown_metrics(app)
    assert cards["Market value (USD)"] == f"{market_value:,.0f}"
    assert cards["Total return"] == f"{cumulative * 100:+.1f}%"
    assert cards["vs SPY"] == f"{(cumulative - benchmark_cumulative) * 100:+.1f} pp"
    one_year = expected.returns.iloc[-252:]
    rf = risk_free_daily(portfolio_demo, pd.DatetimeIndex(expected.returns.index))
    assert (
        cards["Sharpe (1y)"]
        == f"{empyrical.sharpe_ratio(one_year, risk_free=rf.reindex(one_year.index)):.2f}"
    )
    assert cards["Volatility (1y)"] == f"{empyrical.annual_volatility(one_year):.1%}"
    assert cards["Max drawdown (1y)"] == f"{empyrical.max_drawdown(one_year):.1%}"

    # Cumulative return vs SPY since inception, at week ends (three years: weekly points).
    figure = chart(app, "Cumulative return vs SPY since 2016-01-04")
    assert "(weekly points)" in figure["layout"]["title"]["text"]
    growth = pd.concat(
        [pd.Series([0.0], index=[expected.first_session]), (1 + expected.returns).cumprod() - 1]
    )
    spy = pd.concat(
        [pd.Series([0.0], index=[expected.first_session]), (1 + expected.benchmark).cumprod() - 1]
    )
    np.testing.assert_allclose(
        ys(trace(figure, "Portfolio")["y"]), week_ends(growth), rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(ys(trace(figure, "SPY")["y"]), week_ends(spy), rtol=1e-9, atol=1e-12)
    gap = week_ends(growth - spy)
    np.testing.assert_allclose(
        ys(trace(figure, "Ahead of SPY")["y"]) + ys(trace(figure, "Behind SPY")["y"]),
        gap,
        rtol=1e-9,
        atol=1e-12,
    )

    # Risk by window: empyrical on the rebuilt return series, windows that fit the history.
    risk = app.dataframe[1].value.set_index("window_name")
    benchmark = expected.benchmark
    windows = [w for w, n in WINDOWS.items() if n is None or len(expected.returns) >= n]
    assert risk.index.tolist() == windows
    for window in windows:
        length = WINDOWS[window]
        returns = expected.returns if length is None else expected.returns.iloc[-length:]
        rates = rf.reindex(returns.index)
        row = risk.loc[window]
        assert row["n_observations"] == len(returns)
        for column, value in {
            "annual_return": empyrical.annual_return(returns),
            "annual_volatility": empyrical.annual_volatility(returns),
            "sharpe_ratio": empyrical.sharpe_ratio(returns, risk_free=rates),
            "sortino_ratio": empyrical.sortino_ratio(returns, required_return=rates),
            "max_drawdown": empyrical.max_drawdown(returns),
            "calmar_ratio": empyrical.calmar_ratio(returns),
            "beta": empyrical.beta(returns, benchmark.reindex(returns.index)),
        }.items():
            assert math.isclose(row[column], value, rel_tol=1e-8), (window, column)


def test_sector_model_is_bought_with_the_notional_at_its_first_close(
    portfolio_demo: Warehouse,
) -> None:
    expected = reference(portfolio_demo, "sample-sector-model")
    first = expected.first_session.date()
    assert first == pd.Timestamp("2015-01-02").date()  # a session: bought at that close
    app = run_view_with("sample-sector-model")
    assert math.isclose(expected.value.iloc[0], NOTIONAL, rel_tol=1e-12)
    holdings = app.dataframe[0].value.set_index("symbol").sort_index()
    assert "unrealized_pnl" not in holdings  # no cost basis in the file: no column of "None"
    mine = expected.holdings.sort_index()
    np.testing.assert_allclose(holdings["quantity"], mine["quantity"], rtol=1e-9)
    np.testing.assert_allclose(holdings["market_value"], mine["market_value"], rtol=1e-9)
    assert shown_metrics(app)["Market value (USD)"] == f"{expected.value.iloc[-1]:,.0f}"
    # XLK ran ahead of its 30% target: its drift is past 5 pp and highlighted.
    drift = (mine["weight"] - mine["target_weight"]).reindex(holdings.index)
    css = app.dataframe[0].proto.arrow_data.styler.styles
    table = app.dataframe[0].value
    drift_column = table.columns.get_loc("weight_drift")
    flagged = {table["symbol"].iloc[row] for row, column in highlighted_cells(css)}
    assert {column for _, column in highlighted_cells(css)} == {drift_column}
    assert flagged == set(drift[drift.abs() > 0.05].index) == {"XLK", "XLE"}


def test_frontier_marks_the_latest_run_and_the_current_portfolio(portfolio_demo: Warehouse) -> None:
    app = run_view_with("sample-growth-income")
    figure = chart(app, "Efficient frontier with the current portfolio")
    rows = query(
        portfolio_demo,
        "select method, point_index, expected_return, volatility, weights, lookback_start_date,"
        " lookback_end_date from marts.fct_optimization_results"
        " where portfolio_id = 'sample-growth-income' and is_latest_run"
        " order by method, point_index",
    )
    run = pd.DataFrame(
        rows,
        columns=["method", "point", "expected_return", "volatility", "weights", "start", "end"],
    )
    frontier = run[run["method"] == "frontier"]
    assert len(frontier) >= 2
    line = trace(figure, "Efficient frontier")
    np.testing.assert_allclose(ys(line["x"]), frontier["volatility"], rtol=1e-12)
    np.testing.assert_allclose(ys(line["y"]), frontier["expected_return"], rtol=1e-12)

    # Where each marked portfolio sits, from its weights and the lookback's daily returns:
    # mean x 252 and sqrt(w' S w x 252) with the sample covariance, in numpy.
    adj = price_table(portfolio_demo, "adj_close")
    for method, label in (
        ("current", "Current portfolio"),
        ("max_sharpe", "Max Sharpe"),
        ("min_volatility", "Min volatility"),
    ):
        row = run[run["method"] == method].iloc[0]
        weights = pd.Series(json.loads(row["weights"]), dtype=float)
        closes = adj[weights.index].dropna(how="any")  # sessions where the universe traded
        # lookback_start_date is the first session whose return is in the window
        daily = (closes / closes.shift(1) - 1).loc[str(row["start"]) : str(row["end"])].to_numpy()
        w = weights.to_numpy()
        expected_return = float(daily.mean(axis=0) @ w * 252)
        volatility = float(math.sqrt(w @ np.cov(daily, rowvar=False) @ w * 252))
        point = trace(figure, label)
        assert ys(point["x"])[0] == pytest.approx(volatility, rel=1e-6), method
        assert ys(point["y"])[0] == pytest.approx(expected_return, rel=1e-6), method
    vols = ys(line["x"])
    min_vol = ys(trace(figure, "Min volatility")["x"])[0]
    assert min_vol <= vols.min() * (1 + 1e-6)  # nothing on the frontier is less volatile
