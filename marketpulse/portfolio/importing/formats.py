"""Holdings files -> records as read, each with the source line a user can find it on.

One reader per format (docs/decisions/0013-portfolios.md "Formats"); none of them judges a
value: `validate.py` does, the same way for every format. A file that cannot be read at all
(not UTF-8, malformed JSON / XML / workbook, unsupported extension) raises
`UnreadableFileError` with one line saying why.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from marketpulse.errors import one_line
from marketpulse.portfolio.importing import settings

XML_ROOTS = ("portfolio", "portfolios")
XML_HOLDING = "holding"
XLSX_SHEET = "holdings"


class UnreadableFileError(Exception):
    """The file cannot be read as holdings at all; the message is one line for the user."""


@dataclass(frozen=True)
class RawHolding:
    """One holding as read: column names normalised (trimmed, lower case), values untouched.

    `line` is the CSV line, the Excel row, the JSON list index + 1 or the XML element's line.
    `header_line` is where the column names are (CSV and Excel: 1); None when every record
    names its own fields (JSON, XML). `problems` are (field, what is wrong) the reader saw.
    """

    line: int
    values: dict[str, Any]
    header_line: int | None = None
    problems: tuple[tuple[str, str], ...] = field(default=())


def file_format(path: Path) -> str:
    """`csv`, `json`, `xlsx` or `xml`, from the extension."""
    fmt = settings.FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        suffix = Path(path).suffix or "(none)"
        raise UnreadableFileError(
            f"{path}: unsupported file type {suffix}; use .csv, .json, .xlsx or .xml"
        )
    return fmt


def read_holdings(path: Path | str) -> list[RawHolding]:
    """Every holding record in a CSV, JSON, Excel or XML file (dispatched on the extension)."""
    path = Path(path)
    fmt = file_format(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UnreadableFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UnreadableFileError(f"{path}: is a directory, not a holdings file") from None
    except OSError as exc:
        raise UnreadableFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    reader = {"csv": read_csv, "json": read_json, "xlsx": read_xlsx, "xml": read_xml}[fmt]
    return reader(data, str(path))


def normalise(name: object) -> str:
    return "" if name is None else str(name).strip().lower()


def _text(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(
            f"{file}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None


def _header(names: list[object], file: str) -> list[str]:
    header = [normalise(name) for name in names]
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise UnreadableFileError(f"{file}:1: {name}: column appears twice in the header")
        seen.add(name)
    return header


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _tabular(rows: list[tuple[int, list[object]]], file: str) -> list[RawHolding]:
    """CSV and Excel: the first row names the columns; blank rows are skipped."""
    if not rows:
        return []
    header = _header(rows[0][1], file)
    records = []
    for line, cells in rows[1:]:
        if all(_blank(cell) for cell in cells):
            continue
        problems: list[tuple[str, str]] = []
        values: dict[str, Any] = {}
        for index, cell in enumerate(cells):
            if index < len(header):
                name = header[index]
                if name:
                    values[name] = cell
                elif not _blank(cell):
                    problems.append((f"column {index + 1}", "a value under a column with no name"))
            elif not _blank(cell):
                problems.append(
                    ("row", f"has {len(cells)} cells, the header names {len(header)} columns")
                )
                break
        records.append(RawHolding(line, values, header_line=1, problems=tuple(problems)))
    return records


def read_csv(data: bytes, file: str) -> list[RawHolding]:
    """UTF-8 (optional BOM), comma-separated, header in line 1. `line` is the record's
    first physical line (a quoted field may span lines)."""
    reader = csv.reader(io.StringIO(_text(data, file), newline=""))
    rows: list[tuple[int, list[object]]] = []
    previous_end = 0
    try:
        for cells in reader:
            rows.append((previous_end + 1, list(cells)))
            previous_end = reader.line_num
    except csv.Error as exc:
        raise UnreadableFileError(f"{file}:{reader.line_num}: not valid CSV: {exc}") from None
    return _tabular(rows, file)


def read_json(data: bytes, file: str) -> list[RawHolding]:
    """A list of holding objects, or an object with a `holdings` list (other keys ignored)."""
    try:
        document = json.loads(_text(data, file))
    except json.JSONDecodeError as exc:
        raise UnreadableFileError(f"{file}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if isinstance(document, dict) and "holdings" in document:
        document = document["holdings"]
    if not isinstance(document, list):
        raise UnreadableFileError(
            f"{file}: expected a JSON list of holdings or an object with a 'holdings' list"
        )
    records = []
    for index, item in enumerate(document):
        if isinstance(item, dict):
            values = {normalise(key): value for key, value in item.items()}
            records.append(RawHolding(index + 1, values))
        else:
            kind = type(item).__name__ if item is not None else "null"
            problem = ("holding", f"expected an object with the holding's fields, got {kind}")
            records.append(RawHolding(index + 1, {}, problems=(problem,)))
    return records


def read_xlsx(data: bytes, file: str) -> list[RawHolding]:
    """The sheet named `holdings` (any case), else the only sheet; header in row 1."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise UnreadableFileError(
            f"{file}: not a readable .xlsx workbook ({one_line(exc)})"
        ) from None
    try:
        sheets = {normalise(name): name for name in workbook.sheetnames}
        if XLSX_SHEET in sheets:
            sheet = workbook[sheets[XLSX_SHEET]]
        elif len(workbook.sheetnames) == 1:
            sheet = workbook[workbook.sheetnames[0]]
        else:
            raise UnreadableFileError(
                f"{file}: the workbook has {len(workbook.sheetnames)} sheets and none is named "
                f"'{XLSX_SHEET}'; name the holdings sheet '{XLSX_SHEET}'"
            )
        rows = [
            (number, list(cells))
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()
    return _tabular(rows, file)


class _LineNumberingParser(DefusedXMLParser):  # type: ignore[misc]
    """defusedxml's parser (no entities, no external DTDs) that keeps each element's line."""

    def _start(self, *args: Any, **kwargs: Any) -> Element:
        element = super()._start(*args, **kwargs)
        element.sourceline = self.parser.CurrentLineNumber  # type: ignore[attr-defined]
        return element


def read_xml(data: bytes, file: str) -> list[RawHolding]:
    """`<portfolio>` or `<portfolios>` root; every `<holding>` below it, its child elements
    being the fields. Other elements are ignored."""
    parser = _LineNumberingParser()
    try:
        parser.feed(data)
        root = parser.close()
    except ParseError as exc:
        line = exc.position[0] if exc.position else 1
        reason = str(exc).split(":")[0]
        raise UnreadableFileError(f"{file}:{line}: not well-formed XML: {reason}") from None
    except DefusedXmlException as exc:
        raise UnreadableFileError(
            f"{file}: XML with entities or external references is refused ({type(exc).__name__})"
        ) from None
    if normalise(root.tag) not in XML_ROOTS:
        raise UnreadableFileError(
            f"{file}: the XML root is <{root.tag}>; expected <portfolio> or <portfolios>"
        )
    records = []
    for element in root.iter():
        if normalise(element.tag) != XML_HOLDING:
            continue
        values: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        for child in element:
            name = normalise(child.tag)
            if name in values:
                problems.append((name, f"given twice (again on line {child.sourceline})"))
                continue
            values[name] = child.text.strip() if child.text else None
        records.append(RawHolding(element.sourceline, values, problems=tuple(problems)))
    return records
