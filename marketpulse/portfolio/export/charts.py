"""The PDF's charts: matplotlib rendered to PNG bytes in memory.

Figures are built with the object API (`Figure`, no pyplot): no global backend or figure
registry is touched, so nothing needs a display and nothing leaks between exports.
"""

from __future__ import annotations

import io

import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from marketpulse.portfolio.export.document import PortfolioDocument

PORTFOLIO_COLOUR = "#1f4e79"
BENCHMARK_COLOUR = "#9e9e9e"
DRAWDOWN_COLOUR = "#b03a2e"
ACCENT_COLOUR = "#e08e0b"
DPI = 150
WIDTH_INCHES = 7.0
HEIGHT_INCHES = 3.0


def _figure(height: float) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(WIDTH_INCHES, height))
    return figure, figure.subplots()


def _style(figure: Figure) -> None:
    for axes in figure.axes:
        axes.spines["top"].set_visible(False)
        axes.spines["right"].set_visible(False)
        axes.grid(True, color="#e5e5e5", linewidth=0.6)
        axes.set_axisbelow(True)
        axes.tick_params(labelsize=8)


def _png(figure: Figure) -> bytes:
    _style(figure)
    figure.tight_layout()
    buffer = io.BytesIO()
    # No metadata: the same document renders to the same bytes.
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _date_axis(axes: Axes) -> None:
    locator = mdates.AutoDateLocator(maxticks=8)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def cumulative_return_chart(document: PortfolioDocument) -> bytes:
    """Portfolio vs benchmark cumulative return since the first valued session."""
    rows = document.performance
    dates = [row.trading_date for row in rows]
    figure, axes = _figure(HEIGHT_INCHES)
    axes.plot(
        dates,
        [row.cumulative_return for row in rows],
        color=PORTFOLIO_COLOUR,
        linewidth=1.4,
        label=document.info.portfolio_name.replace("$", r"\$"),
    )
    axes.plot(
        dates,
        [row.benchmark_cumulative_return for row in rows],
        color=BENCHMARK_COLOUR,
        linewidth=1.2,
        label=f"benchmark ({document.info.benchmark_symbol})",
    )
    axes.axhline(0, color="#555555", linewidth=0.6)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes.set_title("Cumulative return", fontsize=10, loc="left")
    axes.legend(fontsize=8, frameon=False, loc="upper left")
    _date_axis(axes)
    return _png(figure)


def drawdowns(document: PortfolioDocument) -> list[float | None]:
    """Fall from the running peak of the cumulative return index (1 + cumulative return)."""
    peak = None
    result: list[float | None] = []
    for row in document.performance:
        if row.cumulative_return is None:
            result.append(None)
            continue
        level = 1.0 + row.cumulative_return
        peak = level if peak is None else max(peak, level)
        result.append(level / peak - 1.0)
    return result


def drawdown_chart(document: PortfolioDocument) -> bytes:
    dates = [row.trading_date for row in document.performance]
    values = [value if value is not None else float("nan") for value in drawdowns(document)]
    figure, axes = _figure(HEIGHT_INCHES * 0.8)
    axes.fill_between(dates, values, 0, color=DRAWDOWN_COLOUR, alpha=0.35, linewidth=0)
    axes.plot(dates, values, color=DRAWDOWN_COLOUR, linewidth=0.9)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes.set_title("Drawdown from the running peak", fontsize=10, loc="left")
    _date_axis(axes)
    return _png(figure)


def frontier_chart(document: PortfolioDocument) -> bytes | None:
    """The efficient frontier of the latest run, with max Sharpe, min volatility and the
    current portfolio; None without a run."""
    points = document.optimization
    frontier = sorted(
        (p for p in points if p.method == "frontier" and p.volatility is not None),
        key=lambda p: p.volatility or 0.0,
    )
    if not points:
        return None
    figure, axes = _figure(HEIGHT_INCHES * 1.15)
    if frontier:
        axes.plot(
            [p.volatility for p in frontier],
            [p.expected_return for p in frontier],
            color=PORTFOLIO_COLOUR,
            linewidth=1.4,
            marker="o",
            markersize=3,
            label="efficient frontier",
        )
    markers = {
        "max_sharpe": ("*", ACCENT_COLOUR, 160, "max Sharpe"),
        "min_volatility": ("D", "#2e7d32", 60, "min volatility"),
        "current": ("X", DRAWDOWN_COLOUR, 90, "current portfolio"),
    }
    for method, (marker, colour, size, label) in markers.items():
        for point in points:
            if point.method == method and point.volatility is not None:
                axes.scatter(
                    [point.volatility],
                    [point.expected_return],
                    marker=marker,
                    color=colour,
                    s=size,
                    zorder=3,
                    label=label,
                )
    axes.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes.set_xlabel("annualised volatility", fontsize=8)
    axes.set_ylabel("expected annual return", fontsize=8)
    axes.set_title("Mean-variance frontier (latest optimization run)", fontsize=10, loc="left")
    axes.legend(fontsize=8, frameon=False, loc="lower right")
    return _png(figure)
