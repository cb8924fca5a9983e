"""What the dashboard sends the browser stays small (issue 19 item 10; no timing here).

In a browser the time of a page goes to the JavaScript that draws it (Plotly's bundle alone is
4.7 MB) and to the figures: `make bench-dashboard` measures it. These tests hold the two fixes
that bench relies on, on the demo warehouse over its whole history (the heaviest range):

- the first page (Overview) draws no Plotly chart, so a first load needs no Plotly bundle;
- no chart trace carries more points than a weekly series of the range (long ranges are drawn
  from weekly points, data.weekly_grain), and no view sends more than FIGURES_MAX_BYTES of
  Plotly JSON.
"""

from __future__ import annotations

import json

import pytest

from marketpulse.warehouse import Warehouse
from tests.e2e.test_dashboard import use, ys
from tests.e2e.test_dashboard_matrix import FIRST, LAST, render
from tests.sample_warehouses import Demo

VIEWS = (
    "overview",
    "sector-rotation",
    "macro-lens",
    "trends-sentiment",
    "volatility-risk",
    "portfolio",
    "forecasts-backtests",
)
FIVE = ["SPY", "AAPL", "MSFT", "XOM", "JPM"]
# Six years (the demo's history): ~313 weekly points per trace; a daily trace of the longest
# daily range (550 days, data.WEEKLY_AFTER_DAYS) has ~380.
POINTS_PER_TRACE_MAX = 400
FIGURES_MAX_BYTES = 400_000


@pytest.fixture
def demo(demo_duckdb: Demo, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    use(monkeypatch, demo_duckdb.warehouse)
    return demo_duckdb.warehouse


def trace_points(trace: dict) -> int:
    """Points of one trace: its x values (or a heatmap's cells)."""
    for axis in ("x", "z", "y"):
        values = trace.get(axis)
        if values is not None:
            return len(ys(values)) if isinstance(values, dict) else len(values)
    return 0


@pytest.mark.parametrize("view", VIEWS)
def test_a_view_over_the_whole_history_sends_a_bounded_payload(demo: Warehouse, view: str) -> None:
    app = render(view, FIVE, (FIRST, LAST))
    assert not app.exception, [e.value for e in app.exception]
    specs = [chart.proto.spec for chart in app.get("plotly_chart")]
    if view == "overview":
        assert specs == []  # the first page needs no Plotly bundle
        return
    assert specs, view
    for spec in specs:
        figure = json.loads(spec)
        title = figure["layout"]["title"]["text"]
        for trace in figure["data"]:
            points = trace_points(trace)
            assert points <= POINTS_PER_TRACE_MAX, (view, title, trace.get("name"), points)
    assert sum(len(spec) for spec in specs) <= FIGURES_MAX_BYTES, view
