"""Holdings files in every format -> the same typed holdings, with the lines a user sees.

The reference is the fixture files themselves, read by eye: EXPECTED is written out by hand,
and the line numbers are where each holding sits in its file.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from marketpulse.portfolio.importing.formats import UnreadableFileError, read_holdings
from marketpulse.portfolio.importing.validate import (
    Holding,
    HoldingsFileError,
    parse_holdings,
    slug,
)
from tests.conftest import FIXTURES

PORTFOLIO = FIXTURES / "portfolio"
# (portfolio_id, portfolio_name, as_of_date, symbol, quantity, target_weight, cost_basis, ccy)
EXPECTED = [
    (
        "test-growth-income",
        "Test Growth & Income",
        date(2014, 6, 5),
        "AAPL",
        10.0,
        0.6,
        90.5,
        "USD",
    ),
    (
        "test-growth-income",
        "Test Growth & Income",
        date(2014, 6, 5),
        "MSFT",
        20.0,
        0.4,
        40.0,
        "USD",
    ),
    (
        "test-growth-income",
        "Test Growth & Income",
        date(2014, 6, 9),
        "AAPL",
        12.0,
        0.55,
        90.5,
        "USD",
    ),
    (
        "test-growth-income",
        "Test Growth & Income",
        date(2014, 6, 9),
        "MSFT",
        18.0,
        0.45,
        41.25,
        "USD",
    ),
    ("test-index", "Test Index", date(2014, 6, 5), "SPY", None, 1.0, None, "USD"),
    ("euro-model", "Euro Model", date(2014, 6, 5), "SAP.DE", 5.0, None, 50.0, "EUR"),
]
HEADER = ["portfolio_name", "symbol", "quantity", "target_weight", "cost_basis", "as_of_date"]
HEADER += ["base_currency"]


def as_tuples(holdings: list[Holding]) -> list[tuple[object, ...]]:
    return [
        (
            h.portfolio_id,
            h.portfolio_name,
            h.as_of_date,
            h.symbol,
            h.quantity,
            h.target_weight,
            h.cost_basis,
            h.base_currency,
        )
        for h in holdings
    ]


def write_xlsx(path: Path, rows: list[list[object]], sheet: str = "holdings") -> Path:
    """A workbook like `make export` writes: a summary sheet first, then the holdings."""
    workbook = Workbook()
    summary = workbook.active
    summary.title = "summary"
    summary.append(["portfolio", "Test Growth & Income"])
    holdings = workbook.create_sheet(sheet)
    holdings.append([name.upper() for name in HEADER])  # header names match in any case
    for row in rows:
        holdings.append(row)
    workbook.save(path)
    return path


def expected_xlsx_rows() -> list[list[object]]:
    rows: list[list[object]] = []
    for _, name, as_of, symbol, quantity, weight, cost, currency in EXPECTED:
        # dates as real Excel dates (datetime at midnight), numbers as numbers
        day = datetime(as_of.year, as_of.month, as_of.day)
        rows.append([name, symbol, quantity, weight, cost, day, currency])
    return rows


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("holdings.csv", [2, 3, 5, 6, 7, 8]),  # line 4 is blank
        ("holdings.json", [1, 2, 3, 4, 5, 6]),  # list index + 1
        ("holdings.xml", [5, 10, 15, 20, 25, 30]),  # the <holding> element's line
    ],
)
def test_each_format_reads_the_same_holdings(name: str, lines: list[int]) -> None:
    holdings = parse_holdings(PORTFOLIO / name)
    assert as_tuples(holdings) == EXPECTED
    assert [h.line_number for h in holdings] == lines


def test_excel_reads_the_holdings_sheet(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "holdings.xlsx", expected_xlsx_rows())
    holdings = parse_holdings(path)
    assert as_tuples(holdings) == EXPECTED
    assert [h.line_number for h in holdings] == [2, 3, 4, 5, 6, 7]  # Excel rows


def test_excel_with_one_sheet_of_any_name(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    sheet.append(HEADER)
    sheet.append(["Solo", "AAPL", 3, None, None, "2014-06-05", "USD"])
    workbook.save(tmp_path / "solo.xlsx")
    assert as_tuples(parse_holdings(tmp_path / "solo.xlsx")) == [
        ("solo", "Solo", date(2014, 6, 5), "AAPL", 3.0, None, None, "USD")
    ]


def test_excel_with_several_sheets_and_none_named_holdings(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "book.xlsx", expected_xlsx_rows(), sheet="positions")
    with pytest.raises(UnreadableFileError) as error:
        read_holdings(path)
    assert str(error.value) == (
        f"{path}: the workbook has 2 sheets and none is named 'holdings'; "
        "name the holdings sheet 'holdings'"
    )


def test_json_list_at_top_level(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text(
        '[{"portfolio_name": "L", "symbol": "spy", "target_weight": "1.0",'
        ' "as_of_date": "2014-06-05", "base_currency": "usd"}]'
    )
    assert as_tuples(parse_holdings(path)) == [
        ("l", "L", date(2014, 6, 5), "SPY", None, 1.0, None, "USD")
    ]


@pytest.mark.parametrize(
    ("name", "slug_"),
    [
        ("Sample Growth & Income", "sample-growth-income"),
        ("  --Ünïcode  Fund 2--", "n-code-fund-2"),
        ("ALL CAPS", "all-caps"),
    ],
)
def test_slug(name: str, slug_: str) -> None:
    assert slug(name) == slug_


def test_errors_point_at_the_json_item_and_the_xml_element(tmp_path: Path) -> None:
    json_path = tmp_path / "bad.json"
    json_path.write_text(
        '{"holdings": [\n'
        '{"portfolio_name": "P", "symbol": "AAPL", "quantity": 1, "as_of_date": "2014-06-05",'
        ' "base_currency": "USD"},\n'
        '{"portfolio_name": "P", "symbol": "MSFT", "quantity": true, "as_of_date": "2014-06-05",'
        ' "base_currency": "USD", "sector": "Tech"},\n'
        '"AAPL"]}'
    )
    with pytest.raises(HoldingsFileError) as error:
        parse_holdings(json_path)
    assert error.value.lines == [
        f"{json_path}:2: sector: unknown column; expected portfolio_name, symbol, quantity, "
        "target_weight, cost_basis, as_of_date, base_currency",
        f"{json_path}:2: quantity: not a number: True",
        f"{json_path}:3: holding: expected an object with the holding's fields, got str",
    ]
    xml_path = tmp_path / "bad.xml"
    xml_path.write_text(
        "<portfolio>\n"
        "  <holding><portfolio_name>P</portfolio_name><symbol>AAPL</symbol>\n"
        "    <quantity>1</quantity><as_of_date>2014-06-05</as_of_date>\n"
        "    <base_currency>USD</base_currency></holding>\n"
        "  <holding><portfolio_name>P</portfolio_name><symbol>MSFT</symbol>\n"
        "    <quantity>-2.5</quantity><as_of_date>2014-06-05</as_of_date>\n"
        "    <base_currency>USD</base_currency><colour>red</colour></holding>\n"
        "</portfolio>\n"
    )
    with pytest.raises(HoldingsFileError) as error:
        parse_holdings(xml_path)
    assert error.value.lines == [
        f"{xml_path}:5: colour: unknown column; expected portfolio_name, symbol, quantity, "
        "target_weight, cost_basis, as_of_date, base_currency",
        f"{xml_path}:5: quantity: must be > 0, got -2.5",
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.json", b'{"holdings": [\n{"symbol": "AAPL",}\n]}', ":2: not valid JSON: "),
        ("bad.json", b'{"rows": []}', ": expected a JSON list of holdings or an object with"),
        ("bad.xml", b"<portfolio>\n<holding>\n</portfolio>", ":3: not well-formed XML: mismatched"),
        ("bad.xml", b"<positions/>", ": the XML root is <positions>; expected <portfolio>"),
        (
            "bomb.xml",
            b'<?xml version="1.0"?>\n<!DOCTYPE p [<!ENTITY a "aaaa">]>\n<portfolio>&a;</portfolio>',
            ": XML with entities or external references is refused (EntitiesForbidden)",
        ),
        ("bad.xlsx", b"PK\x03\x04 this is not a workbook", ": not a readable .xlsx workbook ("),
        (
            "latin1.csv",
            "portfolio_name\nM\xfcller".encode("latin-1"),
            ": not UTF-8 text (byte 0xfc",
        ),
        ("holdings.txt", b"portfolio_name\n", ": unsupported file type .txt; use .csv, .json"),
        ("dup.csv", b"symbol,Symbol\nA,B\n", ":1: symbol: column appears twice in the header"),
    ],
)
def test_unreadable_files_fail_in_one_line(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError) as error:
        read_holdings(path)
    text = str(error.value)
    assert text.startswith(f"{path}{message}"), text
    assert "\n" not in text


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match=r"nope\.csv: no such file$"):
        read_holdings(tmp_path / "nope.csv")
