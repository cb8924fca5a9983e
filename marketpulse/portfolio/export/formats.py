"""The text formats: CSV (holdings only), JSON and XML (everything).

The holdings part of each is a valid holdings file (ADR 0013): the same columns, the same
header, so `marketpulse import-portfolio` reads it back to the same snapshot.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from typing import Any
from xml.etree.ElementTree import Element, SubElement, indent, tostring

from marketpulse.portfolio.export.document import HOLDING_FIELDS, Cell, PortfolioDocument, clean
from marketpulse.portfolio.export.injection import defuse


def text_value(value: Cell) -> str:
    """A cell as text: ISO dates, the shortest exact repr of a float, '' for missing."""
    value = clean(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value) if not isinstance(value, float) else repr(value)


def holdings_csv(document: PortfolioDocument) -> bytes:
    """Text cells that would start a spreadsheet formula are escaped (injection.py)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HOLDING_FIELDS)
    for holding in document.holdings:
        writer.writerow([text_value(defuse(value)) for value in holding.as_dict().values()])
    return buffer.getvalue().encode("utf-8")


def as_json_dict(document: PortfolioDocument) -> dict[str, Any]:
    """The JSON document; `holdings` is a holdings list the import reads back."""
    latest = document.latest_performance
    info: dict[str, Any] = document.info.as_dict()
    info |= {
        "market_value": latest.market_value if latest else None,
        "cumulative_return": latest.cumulative_return if latest else None,
        "benchmark_cumulative_return": latest.benchmark_cumulative_return if latest else None,
        "positions_as_of_date": document.positions_date,
        "positions": [position.as_dict() for position in document.positions],
    }
    return {
        "portfolio_info": info,
        "holdings": [holding.as_dict() for holding in document.holdings],
        "historical_data": {
            "performance": [row.as_dict() for row in document.performance],
            "prices": [row.as_dict() for row in document.prices],
        },
        "optimization_results": [point.as_dict() for point in document.optimization],
        "performance_metrics": {
            "risk": [row.as_dict() for row in document.risk],
        },
    }


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _finite(value: Any) -> Any:
    """NaN / inf -> None everywhere (json.dumps would write the invalid token NaN)."""
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return clean(value) if isinstance(value, float) else value


def document_json(document: PortfolioDocument) -> bytes:
    text = json.dumps(
        _finite(as_json_dict(document)),
        indent=2,
        default=_json_default,
        allow_nan=False,
        ensure_ascii=False,
    )
    return (text + "\n").encode("utf-8")


def _fields(parent: Element, tag: str, values: dict[str, Any]) -> Element:
    element = SubElement(parent, tag)
    for name, value in values.items():
        SubElement(element, name).text = text_value(value) or None
    return element


def document_xml(document: PortfolioDocument) -> bytes:
    """`<portfolio>` root: `<info>`, one `<holding>` per holding (import fields only), then
    `<positions>`, `<performance_metrics>`, `<optimization_results>` and `<performance>`.

    No other element is named `holding`: the import reads every `<holding>` in the tree.
    """
    root = Element("portfolio", {"id": document.info.portfolio_id})
    _fields(root, "info", document.info.as_dict())
    for holding in document.holdings:
        _fields(root, "holding", holding.as_dict())
    positions = SubElement(root, "positions")
    if document.positions_date is not None:
        positions.set("as_of_date", document.positions_date.isoformat())
    for position in document.positions:
        _fields(positions, "position", position.as_dict())
    metrics = SubElement(root, "performance_metrics")
    for row in document.risk:
        _fields(metrics, "risk", row.as_dict())
    optimization = SubElement(root, "optimization_results")
    for point in document.optimization:
        values = point.as_dict()
        weights = values.pop("weights")
        element = _fields(optimization, "point", values)
        weights_element = SubElement(element, "weights")
        for symbol, weight in weights.items():  # type: ignore[union-attr]
            SubElement(weights_element, "weight", {"symbol": symbol}).text = text_value(weight)
    performance = SubElement(root, "performance")
    for row in document.performance:
        _fields(performance, "day", row.as_dict())
    indent(root, space="  ")
    declaration = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return (declaration + tostring(root, encoding="unicode") + "\n").encode("utf-8")
