"""The Excel workbook: typed cells, bold frozen headers, one table per sheet.

Sheets: `holdings` first (a holdings file the import reads back), then `summary`,
`historical_prices`, `optimization_results`, `performance_metrics` (risk per window) and
`performance_daily` (the daily value and returns vs the benchmark).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from marketpulse.portfolio.export.document import (
    HOLDING_FIELDS,
    OPTIMIZATION_FIELDS,
    PERFORMANCE_FIELDS,
    POSITION_FIELDS,
    PRICE_FIELDS,
    RISK_FIELDS,
    Cell,
    PortfolioDocument,
    clean,
)
from marketpulse.portfolio.export.injection import defuse

BOLD = Font(bold=True)
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
# Number formats by column name; anything else numeric keeps Excel's General format.
PERCENT = "0.00%"
MONEY = "#,##0.00"
RATIO = "0.000"
NUMBER_FORMATS = {
    "market_value": MONEY,
    "unrealized_pnl": MONEY,
    "close": MONEY,
    "adj_close": "#,##0.0000",
    "cost_basis": MONEY,
    "weight": PERCENT,
    "weight_drift": PERCENT,
    "daily_return": "0.0000%",
    "benchmark_return": "0.0000%",
    "active_return": "0.0000%",
    "cumulative_return": PERCENT,
    "benchmark_cumulative_return": PERCENT,
    "annual_return": PERCENT,
    "annual_volatility": PERCENT,
    "max_drawdown": PERCENT,
    "var_95": PERCENT,
    "cvar_95": PERCENT,
    "expected_return": PERCENT,
    "volatility": PERCENT,
    "risk_free_rate": PERCENT,
    "sharpe_ratio": RATIO,
    "sortino_ratio": RATIO,
    "calmar_ratio": RATIO,
    "skewness": RATIO,
    "kurtosis": RATIO,
    "beta": RATIO,
    "correlation": RATIO,
}
MAX_WIDTH = 40


def _cell(value: Cell) -> Cell:
    """openpyxl writes date as a date cell and datetime as a datetime cell; NaN as empty.

    Text that starts a formula is escaped (injection.py): openpyxl stores any string starting
    with `=` as a live formula."""
    return defuse(clean(value))


def _table(
    sheet: Worksheet,
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    formats: dict[str, str] | None = None,
) -> None:
    """A header row in bold, frozen, then typed rows; number formats by column name."""
    formats = NUMBER_FORMATS if formats is None else formats
    sheet.append([_cell(name) for name in header])
    for cell in sheet[1]:
        cell.font = BOLD
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append([_cell(value) for value in row])
    for index, name in enumerate(header, start=1):
        letter = get_column_letter(index)
        number_format = formats.get(name)
        widest = len(name)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            value = cell.value
            if isinstance(value, datetime):
                cell.number_format = DATETIME_FORMAT
                widest = max(widest, 19)
            elif isinstance(value, date):
                cell.number_format = DATE_FORMAT
                widest = max(widest, 10)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                if number_format:
                    cell.number_format = number_format
                widest = max(widest, min(len(f"{value:,.4f}"), 16))
            elif value is not None:
                widest = max(widest, len(str(value)))
        sheet.column_dimensions[letter].width = min(widest + 2, MAX_WIDTH)


def _summary(sheet: Worksheet, document: PortfolioDocument) -> None:
    """Label / value pairs, then the latest positions."""
    info = document.info
    latest = document.latest_performance
    full = document.risk_window("full")
    pairs: list[tuple[str, Cell, str | None]] = [
        ("portfolio_id", info.portfolio_id, None),
        ("portfolio_name", info.portfolio_name, None),
        ("base_currency", info.base_currency, None),
        ("benchmark_symbol", info.benchmark_symbol, None),
        ("weighting", info.weighting, None),
        ("inception_date", info.inception_date, None),
        ("latest_as_of_date", info.latest_as_of_date, None),
        ("holding_count", info.holding_count, None),
        ("first_trading_date", info.first_trading_date, None),
        ("last_trading_date", info.last_trading_date, None),
        ("market_value", latest.market_value if latest else None, MONEY),
        ("cumulative_return", latest.cumulative_return if latest else None, PERCENT),
        (
            "benchmark_cumulative_return",
            latest.benchmark_cumulative_return if latest else None,
            PERCENT,
        ),
    ]
    if full is not None:
        pairs += [
            ("annual_return (full)", full.annual_return, PERCENT),
            ("annual_volatility (full)", full.annual_volatility, PERCENT),
            ("sharpe_ratio (full)", full.sharpe_ratio, RATIO),
            ("max_drawdown (full)", full.max_drawdown, PERCENT),
            ("beta (full)", full.beta, RATIO),
            ("var_95 (full)", full.var_95, PERCENT),
        ]
    sheet.append(["field", "value"])
    for cell in sheet[1]:
        cell.font = BOLD
    sheet.freeze_panes = "A2"
    for label, value, number_format in pairs:
        sheet.append([label, _cell(value)])
        cell = sheet.cell(row=sheet.max_row, column=2)
        if isinstance(value, date):
            cell.number_format = DATE_FORMAT
        elif number_format and value is not None:
            cell.number_format = number_format
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 26
    if document.positions:
        start = sheet.max_row + 2
        title = sheet.cell(row=start, column=1, value=f"positions on {document.positions_date}")
        title.font = BOLD
        for index, name in enumerate(POSITION_FIELDS, start=1):
            sheet.cell(row=start + 1, column=index, value=name).font = BOLD
        for offset, position in enumerate(document.positions, start=2):
            for index, (name, value) in enumerate(position.as_dict().items(), start=1):
                cell = sheet.cell(row=start + offset, column=index, value=_cell(value))
                if name in NUMBER_FORMATS and value is not None:
                    cell.number_format = NUMBER_FORMATS[name]
        for index in range(3, len(POSITION_FIELDS) + 1):
            sheet.column_dimensions[get_column_letter(index)].width = 16


def workbook_bytes(document: PortfolioDocument) -> bytes:
    workbook = Workbook()
    holdings = workbook.active
    holdings.title = "holdings"
    # The holdings sheet is an import file: plain numbers, no display formats that round.
    _table(
        holdings,
        HOLDING_FIELDS,
        (list(holding.as_dict().values()) for holding in document.holdings),
        formats={},
    )
    _summary(workbook.create_sheet("summary"), document)
    _table(
        workbook.create_sheet("historical_prices"),
        PRICE_FIELDS,
        (list(row.as_dict().values()) for row in document.prices),
    )
    symbols = document.optimization_symbols()
    _table(
        workbook.create_sheet("optimization_results"),
        [*OPTIMIZATION_FIELDS, *(f"weight_{symbol}" for symbol in symbols)],
        (
            [
                *(clean(getattr(point, name)) for name in OPTIMIZATION_FIELDS),
                *(point.weights.get(symbol) for symbol in symbols),
            ]
            for point in document.optimization
        ),
        formats=NUMBER_FORMATS | {f"weight_{symbol}": PERCENT for symbol in symbols},
    )
    _table(
        workbook.create_sheet("performance_metrics"),
        RISK_FIELDS,
        (list(row.as_dict().values()) for row in document.risk),
    )
    _table(
        workbook.create_sheet("performance_daily"),
        PERFORMANCE_FIELDS,
        (list(row.as_dict().values()) for row in document.performance),
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
