"""The PDF report (reportlab): executive summary, holdings, performance, risk, optimization.

Every figure comes from the document (the marts); the only wall-clock content is the
"generated at" line in the footer, and the PDF is written in reportlab's invariant mode
(fixed creation date and id), so one document and one `generated_at` give the same bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from marketpulse.portfolio.export import charts
from marketpulse.portfolio.export.document import WINDOW_ORDER, PortfolioDocument

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
NAVY = colors.HexColor("#1f4e79")
LIGHT = colors.HexColor("#eef3f8")
RULE = colors.HexColor("#c9d3dd")

_styles = getSampleStyleSheet()
TITLE = ParagraphStyle("title", parent=_styles["Title"], alignment=0, fontSize=20, leading=24)
SUBTITLE = ParagraphStyle(
    "subtitle", parent=_styles["Normal"], textColor=colors.HexColor("#555555"), fontSize=9
)
HEADING = ParagraphStyle(
    "heading", parent=_styles["Heading2"], textColor=NAVY, spaceBefore=10, spaceAfter=4
)
BODY = ParagraphStyle("body", parent=_styles["Normal"], fontSize=9, leading=12)
NOTE = ParagraphStyle("note", parent=BODY, fontSize=7.5, textColor=colors.HexColor("#666666"))
FIGURE_LABEL = ParagraphStyle("figure_label", parent=BODY, fontSize=8, textColor=NAVY)
FIGURE_VALUE = ParagraphStyle(
    "figure_value", parent=BODY, fontSize=14, leading=17, fontName="Helvetica-Bold"
)
CELL_RIGHT = ParagraphStyle("cell_right", parent=BODY, alignment=TA_RIGHT)


# Figures are formatted once, here; the tests format the mart values the same documented way.
def _missing(value: float | None) -> bool:
    return value is None or not math.isfinite(value)


def money(value: float | None) -> str:
    return "n/a" if _missing(value) else f"{value:,.2f}"


def percent(value: float | None) -> str:
    return "n/a" if _missing(value) else f"{value * 100:.2f}%"  # type: ignore[operator]


def ratio(value: float | None) -> str:
    return "n/a" if _missing(value) else f"{value:.2f}"


def quantity(value: float | None) -> str:
    if _missing(value):
        return "n/a"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4f}"


def executive_figures(document: PortfolioDocument) -> list[tuple[str, str]]:
    """(label, formatted value) of the executive summary, in reading order."""
    info = document.info
    latest = document.latest_performance
    full = document.risk_window("full")
    cumulative = latest.cumulative_return if latest else None
    benchmark = latest.benchmark_cumulative_return if latest else None
    active = None if cumulative is None or benchmark is None else cumulative - benchmark
    return [
        (f"Market value ({info.base_currency})", money(latest.market_value if latest else None)),
        ("Cumulative return", percent(cumulative)),
        (f"Benchmark {info.benchmark_symbol}", percent(benchmark)),
        ("Active (vs benchmark)", percent(active)),
        ("Annual return", percent(full.annual_return if full else None)),
        ("Annual volatility", percent(full.annual_volatility if full else None)),
        ("Sharpe ratio", ratio(full.sharpe_ratio if full else None)),
        ("Max drawdown", percent(full.max_drawdown if full else None)),
        (f"Beta vs {info.benchmark_symbol}", ratio(full.beta if full else None)),
        ("1-day VaR 95%", percent(full.var_95 if full else None)),
    ]


def _grid(rows: Sequence[Sequence[object]], widths: Sequence[float], numeric_from: int) -> Table:
    """A table with a navy header row, zebra rows and right-aligned numeric columns."""
    table = Table(list(rows), colWidths=list(widths), repeatRows=1)
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), NAVY),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, -1), (-1, -1), 0.6, NAVY),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    for index in range(1, len(rows)):
        if index % 2 == 0:
            style.append(("BACKGROUND", (0, index), (-1, index), LIGHT))
    table.setStyle(TableStyle(style))
    return table


def _figures_block(document: PortfolioDocument) -> Table:
    """The key figures as a 5 x 2 grid of label-over-value tiles."""
    figures = executive_figures(document)
    tiles = [
        [Paragraph(label, FIGURE_LABEL), Paragraph(value, FIGURE_VALUE)] for label, value in figures
    ]
    columns = 5
    rows = [tiles[start : start + columns] for start in range(0, len(tiles), columns)]
    table = Table(rows, colWidths=[CONTENT_WIDTH / columns] * columns)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), LIGHT),
                ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                ("INNERGRID", (0, 0), (-1, -1), 0.6, colors.white),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


def _chart(png: bytes, height_ratio: float) -> Image:
    return Image(io.BytesIO(png), width=CONTENT_WIDTH, height=CONTENT_WIDTH * height_ratio)


def _summary_sentence(document: PortfolioDocument) -> str:
    info = document.info
    latest = document.latest_performance
    if latest is None:
        return ""
    cumulative = latest.cumulative_return
    benchmark = latest.benchmark_cumulative_return
    verdict = ""
    if cumulative is not None and benchmark is not None:
        verdict = "ahead of" if cumulative > benchmark else "behind"
        verdict = f", {verdict} its benchmark {info.benchmark_symbol} ({percent(benchmark)})"
    return (
        f"From {info.first_trading_date} to {info.last_trading_date} the portfolio returned "
        f"{percent(cumulative)} including dividends{verdict}. It holds {info.holding_count} "
        f"positions as of the snapshot of {info.latest_as_of_date}, valued at "
        f"{money(latest.market_value)} {info.base_currency} on {info.last_trading_date}. "
        "Risk figures are over the portfolio's full history of daily returns."
    )


def _holdings_table(document: PortfolioDocument) -> Table:
    header = [
        "Symbol",
        "Quantity",
        "Close",
        "Market value",
        "Weight",
        "Target",
        "Drift",
        "Cost basis",
        "Unrealised P&L",
    ]
    rows: list[list[object]] = [header]
    for position in document.positions:
        rows.append(
            [
                position.symbol,
                quantity(position.quantity),
                money(position.close),
                money(position.market_value),
                percent(position.weight),
                percent(position.target_weight),
                percent(position.weight_drift),
                money(position.cost_basis),
                money(position.unrealized_pnl),
            ]
        )
    widths = [0.09, 0.10, 0.10, 0.15, 0.09, 0.09, 0.09, 0.11, 0.18]
    return _grid(rows, [CONTENT_WIDTH * share for share in widths], numeric_from=1)


def _risk_table(document: PortfolioDocument) -> Table:
    windows = [name for name in WINDOW_ORDER if document.risk_window(name)]
    metrics = [
        ("Annual return", "annual_return", percent),
        ("Annual volatility", "annual_volatility", percent),
        ("Sharpe ratio", "sharpe_ratio", ratio),
        ("Sortino ratio", "sortino_ratio", ratio),
        ("Max drawdown", "max_drawdown", percent),
        ("Calmar ratio", "calmar_ratio", ratio),
        ("1-day VaR 95%", "var_95", percent),
        ("1-day CVaR 95%", "cvar_95", percent),
        ("Beta", "beta", ratio),
        ("Correlation", "correlation", ratio),
        ("Skewness", "skewness", ratio),
        ("Excess kurtosis", "kurtosis", ratio),
        ("Daily returns", "n_observations", lambda v: "n/a" if v is None else f"{v:,}"),
    ]
    rows: list[list[object]] = [["Metric", *windows]]
    for label, name, fmt in metrics:
        rows.append([label, *(fmt(getattr(document.risk_window(w), name)) for w in windows)])
    first = CONTENT_WIDTH * 0.34
    rest = (CONTENT_WIDTH - first) / max(len(windows), 1)
    return _grid(rows, [first, *([rest] * len(windows))], numeric_from=1)


def _optimization_flowables(document: PortfolioDocument) -> list[Flowable]:
    info = document.info
    flowables: list[Flowable] = [Paragraph("Optimization", HEADING)]
    png = charts.frontier_chart(document)
    if png is None:
        flowables.append(
            Paragraph(
                "No optimization run yet for this portfolio: run "
                f"<font face='Courier'>make optimize PORTFOLIO={info.portfolio_id}</font>.",
                BODY,
            )
        )
        return flowables
    first = document.optimization[0]
    flowables.append(
        Paragraph(
            f"Run {escape(first.run_id)}: mean-variance (PyPortfolioOpt) on daily returns "
            f"{first.lookback_start_date} to {first.lookback_end_date} "
            f"({first.n_observations} observations), risk-free rate "
            f"{percent(first.risk_free_rate)}, weight cap {percent(first.max_weight)}, "
            f"{'long only' if first.is_long_only else 'shorts allowed'}.",
            BODY,
        )
    )
    flowables += [Spacer(1, 3 * mm), _chart(png, charts.HEIGHT_INCHES * 1.15 / charts.WIDTH_INCHES)]
    named = [p for p in document.optimization if p.method != "frontier"]
    symbols = [s for s in document.optimization_symbols() if any(p.weights.get(s) for p in named)]
    rows: list[list[object]] = [["Portfolio", "Return", "Volatility", "Sharpe", *symbols]]
    labels = {"current": "Current", "max_sharpe": "Max Sharpe", "min_volatility": "Min volatility"}
    for point in named:
        rows.append(
            [
                labels.get(point.method, point.method),
                percent(point.expected_return),
                percent(point.volatility),
                ratio(point.sharpe_ratio),
                *(percent(point.weights.get(symbol, 0.0)) for symbol in symbols),
            ]
        )
    first_width = CONTENT_WIDTH * 0.17
    rest = (CONTENT_WIDTH - first_width) / (len(rows[0]) - 1)
    flowables += [
        Spacer(1, 2 * mm),
        _grid(rows, [first_width, *([rest] * (len(rows[0]) - 1))], numeric_from=1),
    ]
    return flowables


def report_pdf(document: PortfolioDocument, generated_at: datetime | None = None) -> bytes:
    info = document.info
    generated = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    buffer = io.BytesIO()

    def footer(canvas, doc) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(colors.HexColor("#777777"))
        canvas.setStrokeColor(RULE)
        canvas.line(MARGIN, 12 * mm, PAGE_WIDTH - MARGIN, 12 * mm)
        canvas.drawString(
            MARGIN, 8 * mm, f"marketpulse · {info.portfolio_name} · generated at {generated}"
        )
        canvas.drawRightString(PAGE_WIDTH - MARGIN, 8 * mm, f"page {doc.page}")
        canvas.restoreState()

    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"{info.portfolio_name}: portfolio report",
        author="marketpulse",
        subject=f"portfolio {info.portfolio_id} as of {info.last_trading_date}",
        creator="marketpulse",
        invariant=1,
    )
    story: list[Flowable] = [
        Paragraph(escape(info.portfolio_name), TITLE),
        Paragraph(
            f"Portfolio report · id {info.portfolio_id} · base currency {info.base_currency} · "
            f"benchmark {info.benchmark_symbol} · data as of {info.last_trading_date}",
            SUBTITLE,
        ),
        Spacer(1, 4 * mm),
        Paragraph("Executive summary", HEADING),
        _figures_block(document),
        Spacer(1, 3 * mm),
        Paragraph(_summary_sentence(document), BODY),
        Paragraph("Holdings", HEADING),
        Paragraph(
            f"Positions on {document.positions_date} (snapshot of {info.latest_as_of_date}, "
            f"{info.weighting} weighted; quantities carried through splits, prices as traded).",
            NOTE,
        ),
        Spacer(1, 2 * mm),
        _holdings_table(document),
        CondPageBreak(CONTENT_WIDTH * charts.HEIGHT_INCHES / charts.WIDTH_INCHES + 15 * mm),
        Paragraph("Performance", HEADING),
        _chart(
            charts.cumulative_return_chart(document), charts.HEIGHT_INCHES / charts.WIDTH_INCHES
        ),
        Spacer(1, 2 * mm),
        _chart(charts.drawdown_chart(document), charts.HEIGHT_INCHES * 0.8 / charts.WIDTH_INCHES),
        CondPageBreak(90 * mm),
        KeepTogether(
            [
                Paragraph("Risk", HEADING),
                Paragraph(
                    "Windows of the latest 252 (1y), 756 (3y), 1260 (5y) daily returns and the "
                    "full history, as of "
                    f"{document.risk[0].as_of_date if document.risk else 'n/a'}; "
                    "definitions as empyrical (fct_portfolio_risk).",
                    NOTE,
                ),
                Spacer(1, 2 * mm),
                _risk_table(document),
            ]
        ),
        CondPageBreak(130 * mm),
        *_optimization_flowables(document),
    ]
    template.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
