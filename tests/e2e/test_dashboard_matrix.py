"""Every view, on the demo warehouse, under every kind of selection a user can make: no
traceback, no error box, and no "None" / "nan" text on the page (issue 19 item 1).

The ranges are the hard ones: the first session of history, inside the warm-up of the 3-month
momentum, the 63- and 252-session windows, a single day, the last day alone and the whole
history. Symbol selections: none, one, many, and an index without volume or sector (^VIX).
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import talib
from streamlit.testing.v1 import AppTest

from marketpulse.warehouse import Warehouse
from tests.e2e.test_dashboard import APP, use
from tests.sample_warehouses import Demo, query

FIRST = date(2013, 1, 2)  # the sample's first session
LAST = date(2018, 12, 31)  # and its last
VIEWS = (
    "overview",
    "sector-rotation",
    "macro-lens",
    "trends-sentiment",
    "volatility-risk",
    "portfolio",
    "forecasts-backtests",
)
RANGES = {
    "first session only": (FIRST, FIRST),
    "first two weeks": (FIRST, date(2013, 1, 16)),
    "first three months (momentum warm-up)": (FIRST, date(2013, 4, 3)),
    "inside the 252-session warm-up": (FIRST, date(2013, 11, 29)),
    "a single day": (date(2016, 6, 1), date(2016, 6, 1)),
    "the last day only": (LAST, LAST),
    "the whole history": (FIRST, LAST),
}
SELECTIONS = {
    "none": [],
    "one": ["AAPL"],
    "many": ["XOM", "SPY", "MSFT", "XLK", "XLE", "JPM", "AAPL", "WMT"],
    "an index without volume or sector": ["^VIX"],
}
TEXT_ELEMENTS = (
    "title",
    "header",
    "subheader",
    "markdown",
    "caption",
    "info",
    "warning",
    "success",
)
# A word on its own: "None", "nan", "NaN", "NaT" (not "nanosecond" or "Nonetheless").
MISSING = re.compile(r"(?<![\w.])(None|nan|NaN|NaT|<NA>)(?![\w])")


def page_text(app: AppTest) -> list[str]:
    """Every text a user reads: markdown, captions, notices, metrics, table cells, titles."""
    texts: list[str] = []
    for kind in TEXT_ELEMENTS:
        texts += [str(element.value) for element in app.get(kind)]
    for metric in app.get("metric"):
        texts += [str(metric.label), str(metric.value), str(metric.delta or "")]
    for kind in ("dataframe", "table"):
        for element in app.get(kind):
            frame = shown(element)
            texts += [str(column) for column in frame.columns]
            for column in frame.columns:
                # A missing cell is drawn as "None" by Streamlit's grid.
                if frame[column].isna().any():
                    texts.append(f"None (a missing cell in column {column})")
                if frame[column].dtype == object:
                    texts += [str(value) for value in frame[column] if isinstance(value, str)]
    return texts


def shown(element: Any) -> pd.DataFrame:
    """A table as drawn: a pandas Styler's display values when the view formats it, else
    its data (where Streamlit's grid draws a missing cell as "None")."""
    styler = element.proto.arrow_data.styler
    if styler.display_values:
        return pa.ipc.open_stream(styler.display_values).read_all().to_pandas()
    return element.value


def render(view: str, symbols: list[str] | None, dates: tuple[date, date] | None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.query_params["view"] = view
    app.run()
    if symbols is not None:
        app.multiselect(key="symbols").set_value(symbols)
    if dates is not None:
        app.date_input(key="date_range").set_value(dates)
    if symbols is not None or dates is not None:
        app.run()
    return app


def problems(app: AppTest, case: str) -> list[str]:
    found: list[str] = [f"{case}: exception {e.value}" for e in app.exception]
    found += [f"{case}: error {e.value}" for e in app.error]
    found += [
        f"{case}: {MISSING.search(text).group(0)!r} in {text[:160]!r}"  # type: ignore[union-attr]
        for text in page_text(app)
        if MISSING.search(text)
    ]
    # Every table has its CSV download under it (issue 19 item 9).
    downloads = [str(button.proto.label) for button in app.get("download_button")]
    tables = len(app.dataframe) + len(app.table)
    if tables != len(downloads) or set(downloads) - {"Download CSV"}:
        found.append(f"{case}: {tables} tables, downloads {downloads}")
    # The demo has loaded every source: "No data yet ... run make build" would be a lie here
    # (except news for ^VIX: the sample has no headlines for an index, and says so).
    found += [
        f"{case}: {info.value[:160]!r}"
        for info in app.info
        if "No data yet" in info.value and "news sentiment for ^VIX is empty" not in info.value
    ]
    found += [
        f"{case}: green {ok.value[:160]!r}"
        for ok in app.success
        if "No divergence" in ok.value and any("sentiment" in i.value for i in app.info)
    ]
    return found


@pytest.fixture
def demo(demo_duckdb: Demo, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    use(monkeypatch, demo_duckdb.warehouse)
    return demo_duckdb.warehouse


@pytest.mark.parametrize("view", VIEWS)
def test_every_range_renders_without_error_or_missing_values(demo: Warehouse, view: str) -> None:
    found: list[Any] = []
    for name, dates in RANGES.items():
        found += problems(render(view, None, dates), f"{view}, {name}")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("view", VIEWS)
def test_every_symbol_selection_renders_without_error_or_missing_values(
    demo: Warehouse, view: str
) -> None:
    found: list[Any] = []
    for name, symbols in SELECTIONS.items():
        found += problems(render(view, symbols, (FIRST, LAST)), f"{view}, symbols {name}")
    assert not found, "\n".join(found)


def test_outside_the_loaded_range_says_the_range_that_exists(demo: Warehouse) -> None:
    """Sentiment is loaded for 2018 Q4 only: an early range names that range, and the
    divergence section does not call the absence of sentiment "no divergence"."""
    app = render("trends-sentiment", None, (FIRST, date(2013, 6, 28)))
    notices = [info.value for info in app.info]
    assert (
        "Nothing in 2013-01-02..2013-06-28: news sentiment for SPY, AAPL, MSFT covers"
        " 2018-10-01..2018-12-31. Pick a range inside it." in notices
    ), notices
    assert any(n.startswith("No divergence flags: they compare") for n in notices), notices
    assert not app.success


def test_a_warm_up_says_how_much_history_it_needs(demo: Warehouse) -> None:
    app = render("volatility-risk", None, (FIRST, FIRST))
    notices = [info.value for info in app.info]
    # 63 sessions after 2013-01-02 (the first return is on the second session): 2013-04-04.
    assert (
        "Nothing on 2013-01-02: 63-day volatility (it needs 63 sessions of history)"
        " covers 2013-04-04..2018-12-31. Pick a range inside it." in notices
    ), notices
    app = render("sector-rotation", None, (FIRST, date(2013, 3, 28)))
    assert any("a rank needs 63 sessions" in info.value for info in app.info)


def test_a_portfolio_before_its_inception_is_one_notice(demo: Warehouse) -> None:
    app = render("portfolio", None, (FIRST, date(2013, 6, 28)))
    notices = [info.value for info in app.info]
    assert notices == [
        "Sample Growth & Income starts on 2016-01-04; the chosen range ends on 2013-06-28."
        " Pick a range that ends on or after 2016-01-04."
    ], notices
    assert not app.get("plotly_chart")


def open_link(params: dict[str, str]) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.query_params.update(params)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_a_shared_link_restores_view_symbols_range_and_benchmark(demo: Warehouse) -> None:
    """Issue 19 item 8: the page's state is in its URL, and a reload (a new session on the
    same URL) shows the same page."""
    link = {
        "view": "volatility-risk",
        "symbols": "XOM,SPY",
        "start": "2015-01-02",
        "end": "2015-12-31",
        "benchmark": "^GSPC",
    }
    app = open_link(link)
    assert app.title[0].value == "Volatility & Risk"
    assert app.multiselect(key="symbols").value == ["XOM", "SPY"]
    assert app.date_input(key="date_range").value == (date(2015, 1, 2), date(2015, 12, 31))
    assert app.selectbox(key="benchmark").value == "^GSPC"
    assert dict(app.query_params) == link
    titles = [
        json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in app.get("plotly_chart")
    ]
    assert any(title.startswith("XOM") for title in titles), titles

    # A change in the sidebar is written back, and reloading that URL restores it.
    app.multiselect(key="symbols").set_value(["AAPL"])
    app.date_input(key="date_range").set_value((date(2016, 3, 1), date(2016, 6, 30)))
    app.run()
    changed = dict(app.query_params)
    assert changed == {**link, "symbols": "AAPL", "start": "2016-03-01", "end": "2016-06-30"}
    reloaded = open_link(changed)
    assert reloaded.multiselect(key="symbols").value == ["AAPL"]
    assert reloaded.date_input(key="date_range").value == (date(2016, 3, 1), date(2016, 6, 30))
    assert reloaded.selectbox(key="benchmark").value == "^GSPC"


def test_a_link_naming_what_the_warehouse_lacks_falls_back(demo: Warehouse) -> None:
    app = open_link(
        {
            "view": "overview",
            "symbols": "XOM,NOPE",
            "start": "1999-01-01",
            "end": "not-a-date",
            "benchmark": "NOPE",
        }
    )
    assert app.multiselect(key="symbols").value == ["XOM"]
    # Clamped to the history (2013-01-02..2018-12-31); a bad date takes the default end.
    assert app.date_input(key="date_range").value == (FIRST, LAST)
    assert app.selectbox(key="benchmark").value == "SPY"


def test_the_headlines_behind_the_sentiment_bars(demo: Warehouse) -> None:
    """Issue 19 item 7: the scored headlines of the range, newest first, each with its link and
    both scores, straight from the warehouse's rows."""
    app = open_link(
        {"view": "trends-sentiment", "symbols": "AAPL", "start": "2018-12-01", "end": "2018-12-31"}
    )
    table = next(frame.value for frame in app.dataframe if "title" in frame.value.columns)
    expected = query(
        demo,
        "select title, url, vader_compound, finance_compound from marts.fct_news_sentiment"
        " where symbol = 'AAPL' and published_at >= timestamptz '2018-12-01 00:00:00+00'"
        " and published_at < timestamptz '2019-01-01 00:00:00+00'"
        " order by published_at desc",
    )
    assert len(expected) > 10
    assert table["title"].tolist() == [row[0] for row in expected]
    assert table["url"].tolist() == [row[1] for row in expected]
    assert table["vader_compound"].tolist() == [row[2] for row in expected]
    assert table["finance_compound"].tolist() == [row[3] for row in expected]
    assert [expander.label for expander in app.expander] == [
        f"Headlines behind the bars ({len(expected)}, newest first)"
    ]


def figures(app: AppTest) -> dict[str, dict[str, Any]]:
    return {
        (spec := json.loads(chart.proto.spec))["layout"]["title"]["text"]: spec
        for chart in app.get("plotly_chart")
    }


def test_sectors_keep_one_colour_and_the_rotation_graph_is_labelled(demo: Warehouse) -> None:
    """Issue 19 item 5: a sector is the same colour on every chart, each sector is named beside
    its latest point on the relative rotation graph, and the legend sits below the plot."""
    app = open_link({"view": "sector-rotation"})
    charts = figures(app)
    performance = next(f for t, f in charts.items() if t.startswith("Sector performance"))
    rrg = next(f for t, f in charts.items() if t.startswith("Relative rotation graph"))
    sectors = dict(
        query(
            demo,
            "select sector, symbol from marts.dim_symbol where sector is not null"
            " and asset_class = 'etf'",
        )
    )
    assert len(sectors) == 11
    on_performance = {
        t["name"]: t["line"]["color"] for t in performance["data"] if t["name"] in sectors
    }
    on_rrg = {t["name"]: t["line"]["color"] for t in rrg["data"] if t["name"] in sectors}
    assert set(on_performance) == set(on_rrg) == set(sectors)
    assert on_performance == on_rrg
    assert len(set(on_rrg.values())) == 11  # eleven sectors, eleven colours
    for t in rrg["data"]:
        if t["name"] in sectors:
            assert t["text"][-1] == t["name"] and not any(t["text"][:-1])
    assert rrg["layout"]["legend"]["orientation"] == "h"
    assert rrg["layout"]["legend"]["y"] < 0  # below the plot, clear of the axis titles


def test_top_movers_and_breadth(demo: Warehouse) -> None:
    """Issue 19 item 6, against pandas and TA-Lib on the warehouse's prices: the range's top
    and bottom five total returns, and the last session's advancers, decliners and share of
    equities and ETFs above their 200-session SMA."""
    app = open_link({"view": "overview", "start": "2018-01-02", "end": "2018-12-31"})
    rows = query(
        demo,
        "select p.symbol, p.trading_date, p.adj_close from marts.fct_prices_daily as p"
        " inner join marts.dim_symbol as s on p.symbol = s.symbol"
        " where s.asset_class <> 'index' order by p.symbol, p.trading_date",
    )
    prices = pd.DataFrame(rows, columns=["symbol", "day", "close"]).pivot(
        index="day", columns="symbol", values="close"
    )
    ranged = prices.loc[date(2018, 1, 2) : date(2018, 12, 31)]
    returns = (ranged.ffill().iloc[-1] / ranged.bfill().iloc[0] - 1).sort_values(ascending=False)
    gainers, losers = (f.value for f in app.table if "Total return" in f.value.columns)
    assert gainers["Symbol"].tolist() == returns.index[:5].tolist()
    assert losers["Symbol"].tolist() == returns.index[::-1][:5].tolist()
    np.testing.assert_allclose(gainers["Total return"], returns.iloc[:5], rtol=1e-12)

    change = prices.iloc[-1] / prices.iloc[-2] - 1
    sma_200 = prices.apply(lambda column: pd.Series(talib.SMA(column.to_numpy(float), 200)))
    last = sma_200.iloc[-1].dropna()
    above = int((prices.iloc[-1][last.index] > last).sum())
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Advancers / decliners on 2018-12-31"] == (
        f"{int((change > 0).sum())} / {int((change < 0).sum())}"
    )
    assert metrics["Above their 200-session SMA"] == f"{above / len(last) * 100:.1f}%"
