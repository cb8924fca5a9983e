"""The dashboard on the demo warehouse: every view through Streamlit's AppTest.

Figures on screen are checked against independent references: SQL straight at the marts, then
pandas or TA-Lib for the arithmetic, never the dashboard's own data module.
"""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
import talib
from streamlit.testing.v1 import AppTest

from marketpulse.warehouse import Warehouse
from tests.conftest import ROOT
from tests.sample_warehouses import Demo, query

APP = str(ROOT / "marketpulse" / "dashboard" / "app.py")
LAST = date(2018, 12, 31)  # the sample's last trading day: the default end of the range
FIRST = date(2017, 12, 31)  # default start: one year before


def use(monkeypatch: pytest.MonkeyPatch, warehouse: Warehouse) -> None:
    monkeypatch.setenv("WAREHOUSE", warehouse.kind)
    if warehouse.kind == "duckdb":
        monkeypatch.setenv("MARKETPULSE_DUCKDB_PATH", str(warehouse.duckdb_path))
    else:
        monkeypatch.setenv("PGDATABASE", warehouse.pg["database"])


def run_view(view: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.query_params["view"] = view
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    return app


def charts(app: AppTest) -> dict[str, dict[str, Any]]:
    figures = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    return {figure["layout"]["title"]["text"]: figure for figure in figures}


def chart(app: AppTest, prefix: str) -> dict[str, Any]:
    found = [figure for title, figure in charts(app).items() if title.startswith(prefix)]
    assert len(found) == 1, (prefix, list(charts(app)))
    return found[0]


def adj_closes(warehouse: Warehouse, symbol: str, until: date = LAST) -> pd.Series:
    rows = query(
        warehouse,
        "select trading_date, adj_close from marts.fct_prices_daily"
        f" where symbol = '{symbol}' and trading_date <= '{until}' order by trading_date",
    )
    return pd.Series([r[1] for r in rows], index=pd.to_datetime([r[0] for r in rows]))


def known_on(warehouse: Warehouse, indicator: str, day: date) -> pd.Series:
    """Every observation as known on `day`: the vintage current then, by definition."""
    rows = query(
        warehouse,
        "select observation_date, value from marts.fct_macro_observations"
        f" where indicator_id = '{indicator}' and realtime_start <= '{day}'"
        f" and realtime_end >= '{day}' order by observation_date",
    )
    return pd.Series([r[1] for r in rows], index=pd.to_datetime([r[0] for r in rows]))


def cpi_yoy_known_on(warehouse: Warehouse, day: date) -> float:
    cpi = known_on(warehouse, "CPIAUCSL", day)
    latest = cpi.index[-1]
    return cpi.iloc[-1] / cpi[latest - pd.DateOffset(years=1)] - 1


def trace(figure: dict[str, Any], name: str) -> dict[str, Any]:
    found = [t for t in figure["data"] if t.get("name") == name]
    assert len(found) == 1, (name, [t.get("name") for t in figure["data"]])
    return found[0]


def ys(values: Any) -> np.ndarray:
    """Plotly's JSON stores numeric arrays either as lists or as typed base64 blobs."""
    if isinstance(values, dict) and "bdata" in values:
        import base64

        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@pytest.fixture
def demo(demo_duckdb: Demo, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    use(monkeypatch, demo_duckdb.warehouse)
    return demo_duckdb.warehouse


def test_overview(demo: Warehouse) -> None:
    app = run_view("overview")
    assert app.title[0].value == "Overview"
    assert any("Data as of 2018-12-31" in c.value for c in app.caption)

    metrics = {metric.label: metric for metric in app.metric}
    assert {"VIX", "10Y-2Y spread", "CPI YoY"} <= set(metrics)  # and breadth (the matrix tests)
    vix = query(
        demo,
        "select close from marts.fct_prices_daily where symbol = '^VIX' and trading_date = '2018-12-31'",
    )[0][0]
    assert metrics["VIX"].value == f"{vix:.2f}"
    spread = known_on(demo, "T10Y2Y", LAST)
    assert metrics["10Y-2Y spread"].value == f"{spread.iloc[-1]:.2f} pp"
    assert metrics["CPI YoY"].value == f"{cpi_yoy_known_on(demo, LAST) * 100:.1f}%"

    # The Overview's tables are plain tables (st.table: no data grid on the first page), drawn
    # without the frame's index (sorted frames kept their row numbers as a first column).
    assert not app.dataframe
    assert app.table and all(table.proto.hide_index for table in app.table)
    snapshot = app.table[0].value.set_index("Symbol")
    assert {"^GSPC", "^DJI", "^IXIC", "^RUT", "^VIX", "SPY", "AAPL", "MSFT"} <= set(snapshot.index)
    spy = adj_closes(demo, "SPY")
    assert math.isclose(snapshot.loc["SPY", "1D"], spy.iloc[-1] / spy.iloc[-2] - 1, rel_tol=1e-9)
    ytd_base = spy[:"2017-12-31"].iloc[-1]
    assert math.isclose(snapshot.loc["SPY", "YTD"], spy.iloc[-1] / ytd_base - 1, rel_tol=1e-9)

    # The heatmap is a coloured table (no Plotly chart on the first page): 11 sector ETFs x
    # 1D/1W/1M/3M/YTD/1Y, each cell the total return, its colour signed.
    assert any("Sector heatmap: total return to 2018-12-31" in m.value for m in app.markdown)
    heat = next(frame for frame in app.table if "Sector" in frame.value.columns)
    heatmap = heat.value.set_index("ETF")
    periods = ["1D", "1W", "1M", "3M", "YTD", "1Y"]
    assert len(heatmap) == 11 and list(heatmap.columns) == ["Sector", *periods]
    xlk = adj_closes(demo, "XLK")
    expected = xlk.iloc[-1] / xlk[:"2017-12-31"].iloc[-1] - 1
    assert math.isclose(heatmap.loc["XLK", "YTD"], expected, rel_tol=1e-9)
    assert not app.get("plotly_chart")

    rows = query(
        demo,
        "select as_of_date, window_name, quality_score from marts.fct_data_quality",
    )
    quality = pd.DataFrame(rows, columns=["as_of", "window", "score"])
    latest = quality[(quality["as_of"] == quality["as_of"].max()) & (quality["window"] == "30d")]
    badge = " ".join(m.value for m in app.markdown if "Quality" in m.value)
    assert f"Quality {latest['score'].mean():.2f} mean, {latest['score'].min():.2f} min" in badge
    assert f"over {len(latest)} series ({int((latest['score'] < 0.7).sum())} below 0.7)" in badge


def sector_rotation_reference(warehouse: Warehouse) -> dict[str, pd.DataFrame]:
    """docs/decisions/0006 in pandas, from fct_prices_daily: per sector ETF and session,
    RS = adj_close / SPY adj_close, rs_ratio = 100 x RS / SMA(RS, 50), rs_momentum =
    100 x rs_ratio / rs_ratio 50 sessions earlier, return_3m over 63 sessions and its rank
    among sectors (1 = best, ties share the best rank)."""
    sectors = dict(
        query(
            warehouse,
            "select symbol, sector from marts.dim_symbol"
            " where asset_class = 'etf' and sector is not null",
        )
    )
    spy = adj_closes(warehouse, "SPY")
    ratio, momentum, return_3m = {}, {}, {}
    for symbol in sectors:
        close = adj_closes(warehouse, symbol)
        rs = close / spy.reindex(close.index)
        ratio[symbol] = 100 * rs / rs.rolling(50).mean()
        momentum[symbol] = 100 * ratio[symbol] / ratio[symbol].shift(50)
        return_3m[symbol] = close / close.shift(63) - 1
    returns = pd.DataFrame(return_3m)
    return {
        "sector": pd.Series(sectors),
        "rs_ratio": pd.DataFrame(ratio),
        "rs_momentum": pd.DataFrame(momentum),
        "rank": returns.rank(axis=1, ascending=False, method="min"),
    }


def test_sector_rotation(demo: Warehouse) -> None:
    app = run_view("sector-rotation")
    performance = chart(app, "Sector performance vs SPY")
    assert len(performance["data"]) == 12  # 11 sectors and the benchmark
    spy = adj_closes(demo, "SPY")[str(FIRST) :]
    assert math.isclose(
        ys(trace(performance, "SPY")["y"])[-1], spy.iloc[-1] / spy.iloc[0] - 1, rel_tol=1e-9
    )

    reference = sector_rotation_reference(demo)
    by_sector = {sector: symbol for symbol, sector in reference["sector"].items()}
    in_range = reference["rs_ratio"][str(FIRST) : str(LAST)]
    week_ends = (
        pd.Series(in_range.index, index=in_range.index)
        .groupby(in_range.index.to_period("W-SUN"))
        .max()
    )
    tail = pd.DatetimeIndex(week_ends.iloc[-5:])

    rrg = chart(app, "Relative rotation graph vs SPY")
    assert len(rrg["data"]) == 11
    assert {a["text"] for a in rrg["layout"]["annotations"]} == {
        "Leading",
        "Weakening",
        "Lagging",
        "Improving",
    }
    for sector_trace in rrg["data"]:
        symbol = by_sector[sector_trace["name"]]
        expected_ratio = reference["rs_ratio"].loc[tail, symbol].to_numpy()
        expected_momentum = reference["rs_momentum"].loc[tail, symbol].to_numpy()
        assert len(ys(sector_trace["x"])) == 5  # 5-week tails
        np.testing.assert_allclose(ys(sector_trace["x"]), expected_ratio, rtol=1e-9)
        np.testing.assert_allclose(ys(sector_trace["y"]), expected_momentum, rtol=1e-9)
    assert not np.isnan(expected_momentum).any()

    ranks = chart(app, "Momentum rank over time")["data"][0]
    z = ys(ranks["z"]) if isinstance(ranks["z"], dict) else np.array(ranks["z"], dtype=float)
    z = z.reshape(11, -1)
    assert sorted(z[:, -1].tolist()) == list(range(1, 12))
    shown_weeks = pd.DatetimeIndex(pd.to_datetime(ranks["x"]))
    assert shown_weeks.equals(pd.DatetimeIndex(week_ends.to_numpy())), "one column per week end"
    for row, label in enumerate(ranks["y"]):
        expected = reference["rank"].loc[shown_weeks, by_sector[label]].to_numpy()
        np.testing.assert_array_equal(z[row], expected, err_msg=label)


def test_macro_lens(demo: Warehouse) -> None:
    app = run_view("macro-lens")
    lens = chart(app, "CPI YoY vs S&P 500 (as known at each month end)")
    cpi_trace = ys(trace(lens, "CPI YoY")["y"])
    assert math.isclose(cpi_trace[-1], cpi_yoy_known_on(demo, LAST), rel_tol=1e-9)
    november = cpi_yoy_known_on(demo, date(2018, 11, 30))
    assert math.isclose(cpi_trace[-2], november, rel_tol=1e-9)
    gspc = query(
        demo,
        "select close from marts.fct_prices_daily where symbol = '^GSPC' order by trading_date desc limit 1",
    )[0][0]
    assert ys(trace(lens, "S&P 500 (month end)")["y"])[-1] == pytest.approx(gspc, rel=1e-12)

    curve = chart(app, "Yield curve spreads")
    rows = query(
        demo,
        "select spread_10y2y, is_inverted_10y2y from marts.fct_yield_curve_daily"
        f" where trading_date between '{FIRST}' and '{LAST}' order by trading_date",
    )
    assert np.allclose(ys(trace(curve, "10Y-2Y")["y"]), [r[0] for r in rows], equal_nan=True)
    inverted = pd.Series([bool(r[1]) for r in rows])
    runs = int((inverted & ~inverted.shift(fill_value=False)).sum())
    rects = [s for s in curve["layout"].get("shapes", []) if s.get("type") == "rect"]
    assert len(rects) == runs

    labour = chart(app, "Unemployment and the fed funds rate")
    unrate = known_on(demo, "UNRATE", LAST)
    assert ys(trace(labour, "Unemployment rate")["y"])[-1] == pytest.approx(unrate.iloc[-1])


def test_trends_and_sentiment(demo: Warehouse) -> None:
    app = run_view("trends-sentiment")
    interest = chart(app, "Search interest (weekly) vs SPY")
    rows = query(
        demo,
        "select keyword, observed_date, interest_score from marts.fct_trends"
        f" where observed_date between '{FIRST}' and '{LAST}'",
    )
    trends = pd.DataFrame(rows, columns=["keyword", "day", "score"])
    trends["week"] = pd.to_datetime(trends["day"]).dt.to_period("W-SUN")
    weekly = trends.groupby(["keyword", "week"])["score"].mean()
    keywords = sorted(trends["keyword"].unique())
    assert [t["name"] for t in interest["data"]] == [*keywords, "SPY"]
    first = keywords[0]
    assert np.allclose(ys(trace(interest, first)["y"]), weekly[first].to_numpy(), rtol=1e-12)

    sentiment = chart(app, "Daily news sentiment per symbol")
    for symbol in ("AAPL", "MSFT", "SPY"):
        expected = query(
            demo,
            "select mean_vader_compound from marts.fct_sentiment_daily"
            f" where symbol = '{symbol}' and published_date between '{FIRST}' and '{LAST}'"
            " order by published_date",
        )
        if expected:
            assert np.allclose(ys(trace(sentiment, symbol)["y"]), [r[0] for r in expected])

    flagged = query(
        demo,
        "select count(*) from marts.fct_sentiment_divergence where is_divergent"
        f" and symbol in ('SPY', 'AAPL', 'MSFT') and trading_date between '{FIRST}' and '{LAST}'",
    )[0][0]
    tables = [frame.value for frame in app.dataframe if "divergence_date" in frame.value.columns]
    if flagged:
        assert len(tables) == 1 and len(tables[0]) == min(flagged, 200)
    else:
        assert any("No divergence" in s.value for s in app.success)


def test_volatility_and_risk(demo: Warehouse) -> None:
    app = run_view("volatility-risk")
    candles = chart(app, "SPY: candlestick")
    candle = next(t for t in candles["data"] if t["type"] == "candlestick")
    days = query(
        demo,
        "select count(*) from marts.fct_prices_daily where symbol = 'SPY'"
        f" and trading_date between '{FIRST}' and '{LAST}'",
    )[0][0]
    assert len(ys(candle["close"])) == days

    closes = adj_closes(demo, "SPY").to_numpy(dtype=float)
    shown = slice(len(closes) - days, None)  # the range is the last `days` sessions
    upper, middle, lower = talib.BBANDS(closes, timeperiod=20, nbdevup=2, nbdevdn=2)
    rsi = talib.RSI(closes, timeperiod=14)
    macd, signal, histogram = talib.MACD(closes, fastperiod=12, slowperiod=26, signalperiod=9)
    for name, expected, panel in (
        ("SMA 20", talib.SMA(closes, 20), "y"),
        ("SMA 50", talib.SMA(closes, 50), "y"),
        ("SMA 200", talib.SMA(closes, 200), "y"),
        ("BB upper", upper, "y"),
        ("BB lower", lower, "y"),
        ("RSI 14", rsi, "y3"),
        ("MACD", macd, "y4"),
        ("Signal", signal, "y4"),
        ("MACD hist", histogram, "y4"),
    ):
        drawn = trace(candles, name)
        assert drawn.get("yaxis", "y") == panel, name  # RSI and MACD in panels of their own
        np.testing.assert_allclose(ys(drawn["y"]), expected[shown], rtol=1e-9, err_msg=name)
    np.testing.assert_allclose(ys(trace(candles, "SMA 20")["y"]), middle[shown], rtol=1e-9)
    assert candles["layout"]["yaxis2"]["title"]["text"] == "Volume"
    assert candles["layout"]["yaxis3"]["title"]["text"] == "RSI"
    assert candles["layout"]["yaxis4"]["title"]["text"] == "MACD"
    # The volume panel: the session's volume, green up / red down like its candle.
    volumes = query(
        demo,
        "select volume, adj_close >= adj_open from marts.fct_prices_daily where symbol = 'SPY'"
        f" and trading_date between '{FIRST}' and '{LAST}' order by trading_date",
    )
    volume = trace(candles, "Volume")
    assert volume.get("yaxis") == "y2"
    np.testing.assert_array_equal(ys(volume["y"]), [float(row[0]) for row in volumes])
    assert volume["marker"]["color"] == ["#1a9850" if row[1] else "#d73027" for row in volumes]
    # No two indicator lines share a colour (the Bollinger band's two edges are one band).
    lines = {
        t["name"]: t["line"]["color"]
        for t in candles["data"]
        if t["type"] == "scatter" and not t["name"].startswith("BB")
    }
    assert set(lines) == {"SMA 20", "SMA 50", "SMA 200", "RSI 14", "MACD", "Signal"}
    assert len(set(lines.values())) == len(lines), lines

    vol = chart(app, "Rolling 63-day volatility")
    returns = adj_closes(demo, "AAPL").pct_change()
    expected = returns.rolling(63).std().iloc[-1] * math.sqrt(252)
    assert ys(trace(vol, "AAPL")["y"])[-1] == pytest.approx(expected, rel=1e-9)

    underwater = chart(app, "Drawdown from running peak")
    msft = adj_closes(demo, "MSFT")
    drawdown = (msft / msft.cummax() - 1)[str(FIRST) :]
    assert ys(trace(underwater, "MSFT")["y"]).min() == pytest.approx(drawdown.min(), rel=1e-9)

    assert not app.info, [info.value for info in app.info]  # every mart is there: no "no data"
    risk = app.dataframe[0].value.sort_values("symbol")
    headers = {
        name: column.get("label")
        for name, column in json.loads(app.dataframe[0].proto.columns).items()
    }
    assert (
        headers["var_95"] == "VaR 95% (1 day)"
        and headers["annual_volatility"] == "Volatility (ann.)"
    )
    headers.pop("_index", None)  # hidden
    assert all(label for label in headers.values()), headers  # no raw column name shown
    assert any("whatever the sidebar's range" in caption.value for caption in app.caption)
    expected = query(
        demo,
        "select symbol, sharpe_ratio, max_drawdown from marts.fct_risk_metrics"
        " where window_name = '1y' and symbol in ('SPY', 'AAPL', 'MSFT') and as_of_date ="
        " (select max(as_of_date) from marts.fct_risk_metrics where window_name = '1y')"
        " order by symbol",
    )
    assert risk["symbol"].tolist() == [r[0] for r in expected]
    assert np.allclose(risk["sharpe_ratio"], [r[1] for r in expected], rtol=1e-12)
    assert np.allclose(risk["max_drawdown"], [r[2] for r in expected], rtol=1e-12)


def test_forecasts_and_backtests(demo: Warehouse) -> None:
    """Skill table, regime timeline and equity curves against SQL on the marts."""
    app = run_view("forecasts-backtests")
    accuracy = query(demo, "select count(*) from marts.fct_forecast_accuracy")[0][0]
    strategies = [
        row[0]
        for row in query(
            demo, "select strategy from marts.fct_backtest_results order by is_benchmark, strategy"
        )
    ]
    assert [len(table.value) for table in app.table] == [accuracy, len(strategies)]
    assert list(app.table[1].value["Strategy"]) == strategies

    timeline = query(
        demo,
        "select regimes.trading_date, regimes.regime_label, prices.adj_close"
        " from marts.fct_market_regimes as regimes inner join marts.fct_prices_daily as prices"
        " on regimes.symbol = prices.symbol and regimes.trading_date = prices.trading_date"
        f" where regimes.trading_date between '{FIRST}' and '{LAST}' order by 1",
    )
    labels = pd.Series([row[1] for row in timeline])
    runs = int((labels != labels.shift()).sum())
    regimes = chart(app, "Market regimes over SPY")
    rects = [s for s in regimes["layout"].get("shapes", []) if s.get("type") == "rect"]
    assert len(rects) == runs > 0
    # the default range (a year) is drawn from daily points
    assert np.allclose(ys(trace(regimes, "SPY")["y"]), [row[2] for row in timeline])

    curves = chart(app, "Backtest equity vs buy-and-hold")
    for strategy in strategies:
        rows = query(
            demo,
            "select equity.trading_date, equity.equity / runs.initial_capital - 1"
            " from marts.fct_backtest_equity_daily as equity"
            " inner join marts.fct_backtest_results as runs on equity.strategy = runs.strategy"
            f" where equity.strategy = '{strategy}' order by equity.trading_date",
        )
        growth = pd.Series([r[1] for r in rows], index=pd.to_datetime([r[0] for r in rows]))
        weekly = growth.groupby(growth.index.to_period("W")).last()
        name = "buy-and-hold benchmark" if strategy == "benchmark" else strategy
        assert np.allclose(ys(trace(curves, name)["y"]), weekly.to_numpy(), rtol=1e-12)


def test_sidebar_selection_changes_the_charts(demo: Warehouse) -> None:
    app = run_view("volatility-risk")
    app.multiselect(key="symbols").set_value(["XOM", "SPY"])
    app.date_input(key="date_range").set_value((date(2015, 1, 1), date(2015, 12, 31)))
    app.run()
    assert not app.exception
    candles = chart(app, "XOM: candlestick")
    candle = next(t for t in candles["data"] if t["type"] == "candlestick")
    days = query(
        demo,
        "select count(*) from marts.fct_prices_daily where symbol = 'XOM'"
        " and trading_date between '2015-01-01' and '2015-12-31'",
    )[0][0]
    assert len(ys(candle["close"])) == days
    assert {t["name"] for t in chart(app, "Drawdown")["data"]} == {"XOM", "SPY"}


def test_every_view_on_an_empty_warehouse_says_no_data_yet(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    monkeypatch.setenv("WAREHOUSE", "duckdb")
    monkeypatch.setenv("MARKETPULSE_DUCKDB_PATH", str(empty))
    for view, title in (
        ("overview", "Overview"),
        ("sector-rotation", "Sector Rotation"),
        ("macro-lens", "Macro Lens"),
        ("trends-sentiment", "Trends & Sentiment"),
        ("volatility-risk", "Volatility & Risk"),
        ("portfolio", "Portfolio"),
        ("forecasts-backtests", "Forecasts & Backtests"),
    ):
        app = run_view(view)
        assert app.title[0].value == title
        assert len(app.info) == 1
        assert "No data yet: `marts.dim_symbol` is not in the warehouse" in app.info[0].value
        assert "make demo" in app.info[0].value
        assert not app.get("plotly_chart")


@pytest.mark.postgres
def test_every_view_on_postgres_matches_duckdb(
    demo_duckdb: Demo, demo_postgres: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: dict[str, dict[str, Any]] = {}
    for warehouse in (demo_duckdb.warehouse, demo_postgres):
        use(monkeypatch, warehouse)
        for view in (
            "overview",
            "sector-rotation",
            "macro-lens",
            "trends-sentiment",
            "volatility-risk",
            "portfolio",
            "forecasts-backtests",
        ):
            app = run_view(view)
            shown.setdefault(view, {})[warehouse.kind] = (
                [(m.label, m.value) for m in app.metric],
                sorted(charts(app)),
            )
    for view, pair in shown.items():
        assert pair["duckdb"] == pair["postgres"], view
        assert pair["duckdb"][1] or view == "overview", view  # the Overview draws tables only


def test_demo_ends_by_saying_how_to_open_the_dashboard(demo_duckdb: Demo) -> None:
    last = [line for line in demo_duckdb.first.stdout.splitlines() if line.strip()][-1]
    assert "make dashboard" in last and "http://localhost:8501" in last


def test_refresh_interval_is_configurable_and_shown(
    demo: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = run_view("overview")
    assert any("auto-refresh every 30 min" in c.value for c in app.caption)
    monkeypatch.setenv("MARKETPULSE_DASHBOARD_REFRESH_MINUTES", "5")
    app = run_view("overview")
    assert any("auto-refresh every 5 min" in c.value for c in app.caption)


def test_a_long_range_draws_weekly_bars_aggregated_in_sql(demo: Warehouse) -> None:
    app = run_view("volatility-risk")
    app.date_input(key="date_range").set_value((date(2013, 1, 2), LAST))
    app.run()
    assert not app.exception
    candles = chart(app, "SPY: candlestick (adjusted, weekly bars)")
    candle = next(t for t in candles["data"] if t["type"] == "candlestick")
    rows = query(
        demo,
        "select trading_date, adj_open, adj_high, adj_low, adj_close from marts.fct_prices_daily"
        " where symbol = 'SPY' order by trading_date",
    )
    daily = pd.DataFrame(rows, columns=["day", "open", "high", "low", "close"])
    daily["week"] = pd.to_datetime(daily["day"]).dt.to_period("W-SUN")
    weekly = daily.groupby("week").agg(
        open=("open", "first"), high=("high", "max"), low=("low", "min"), close=("close", "last")
    )
    assert len(ys(candle["close"])) == len(weekly)
    for field in ("open", "high", "low", "close"):
        assert np.allclose(ys(candle[field]), weekly[field].to_numpy(), rtol=1e-12), field
    sma = talib.SMA(daily["close"].to_numpy(dtype=float), 200)
    week_end_rows = daily.groupby("week").tail(1).index
    expected = sma[week_end_rows]
    shown = ys(trace(candles, "SMA 200")["y"])
    assert np.allclose(shown, expected, rtol=1e-9, equal_nan=True)
    assert "weekly points" in " ".join(charts(app))
