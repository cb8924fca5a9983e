"""The export writers on a hand-made document, read back with independent parsers
(csv, json, ElementTree, openpyxl, zipfile): what a user's tool would see."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime
from xml.etree import ElementTree

import openpyxl
import pytest

from marketpulse.portfolio.export import ExportError, file_names, parse_formats, render
from marketpulse.portfolio.export.document import RISK_FIELDS as RISK_COLUMNS
from tests.portfolio.export import export_sample

HEADER = [
    "portfolio_name",
    "symbol",
    "quantity",
    "target_weight",
    "cost_basis",
    "as_of_date",
    "base_currency",
]
# The hand-made holdings as a person would type them in a holdings file.
HOLDINGS_TEXT = [
    ["Hand Made & Co", "AAPL", "10", "0.5", "120.5", "2020-06-01", "USD"],
    ["Hand Made & Co", "BRK-B", "2.5", "0.3", "", "2020-06-01", "USD"],
    ["Hand Made & Co", "MSFT", "7", "0.2", "0", "2020-06-01", "USD"],
]
FIXED = datetime(2024, 1, 2, 3, 4)


@pytest.fixture(scope="module")
def files() -> dict[str, tuple[str, bytes]]:
    return render(export_sample.document(), ("csv", "xlsx", "json", "xml", "pdf", "zip"), FIXED)


def test_csv_is_the_holdings_file_with_the_import_header(files):
    name, content = files["csv"]
    assert name == "hand-made-co-holdings.csv"
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    assert rows[0] == HEADER
    assert rows[1:] == HOLDINGS_TEXT


def test_json_has_the_five_parts_numbers_dates_and_null_for_nan(files):
    text = files["json"][1].decode("utf-8")
    assert "NaN" not in text and "Infinity" not in text
    document = json.loads(text)
    assert list(document) == [
        "portfolio_info",
        "holdings",
        "historical_data",
        "optimization_results",
        "performance_metrics",
    ]
    assert document["holdings"][1] == {
        "portfolio_name": "Hand Made & Co",
        "symbol": "BRK-B",
        "quantity": 2.5,
        "target_weight": 0.3,
        "cost_basis": None,
        "as_of_date": "2020-06-01",
        "base_currency": "USD",
    }
    info = document["portfolio_info"]
    assert info["portfolio_id"] == "hand-made-co"
    assert info["inception_date"] == "2020-01-01"
    # the last of 300 sessions: cumulative = 0.25 * 299 / 300 + 0.05 * sin(299 / 15)
    import math

    cumulative = 0.25 * 299 / 300 + 0.05 * math.sin(299 / 15)
    assert info["cumulative_return"] == pytest.approx(cumulative, abs=1e-15)
    assert info["market_value"] == pytest.approx(100_000 * (1 + cumulative), rel=1e-15)
    msft = next(p for p in info["positions"] if p["symbol"] == "MSFT")
    assert msft["weight_drift"] is None  # NaN in the document
    performance = document["historical_data"]["performance"]
    assert len(performance) == export_sample.SESSIONS
    assert performance[0]["trading_date"] == "2020-01-02"
    assert performance[0]["daily_return"] is None
    assert isinstance(performance[5]["market_value"], float)
    assert len(document["historical_data"]["prices"]) == 10
    methods = [point["method"] for point in document["optimization_results"]]
    assert methods[:3] == ["current", "max_sharpe", "min_volatility"]
    assert methods[3:] == ["frontier"] * 6
    assert document["optimization_results"][1]["weights"] == {"AAPL": 0.6, "MSFT": 0.4}
    assert document["optimization_results"][0]["created_at"] == "2021-03-01T12:30:00"
    risk = {row["window_name"]: row for row in document["performance_metrics"]["risk"]}
    assert risk["1y"]["n_observations"] == 252 and risk["full"]["max_drawdown"] == -0.21


def test_xml_holdings_are_import_records_and_nothing_else_is_a_holding(files):
    root = ElementTree.fromstring(files["xml"][1])
    assert root.tag == "portfolio"
    holdings = list(root.iter("holding"))
    assert len(holdings) == 3
    assert [[child.tag for child in holding] for holding in holdings] == [HEADER] * 3
    assert [[child.text or "" for child in holding] for holding in holdings] == HOLDINGS_TEXT
    assert root.find("info/portfolio_name").text == "Hand Made & Co"
    assert [r.find("window_name").text for r in root.iter("risk")] == ["1y", "full"]
    current = root.find("optimization_results/point")
    assert current.find("method").text == "current"
    assert {w.get("symbol"): float(w.text) for w in current.iter("weight")} == {
        "AAPL": 0.5,
        "BRK-B": 0.3,
        "MSFT": 0.2,
    }
    assert len(root.findall("performance/day")) == export_sample.SESSIONS


def test_xlsx_sheets_typed_cells_bold_frozen_headers(files):
    workbook = openpyxl.load_workbook(io.BytesIO(files["xlsx"][1]))
    assert workbook.sheetnames == [
        "holdings",
        "summary",
        "historical_prices",
        "optimization_results",
        "performance_metrics",
        "performance_daily",
    ]
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert all(cell.font.bold for cell in sheet[1] if cell.value is not None), sheet.title
    holdings = workbook["holdings"]
    rows = [list(row) for row in holdings.iter_rows(values_only=True)]
    assert rows[0] == HEADER
    assert rows[1] == ["Hand Made & Co", "AAPL", 10, 0.5, 120.5, datetime(2020, 6, 1), "USD"]
    assert rows[2][4] is None
    assert holdings["F2"].number_format == "yyyy-mm-dd"
    assert holdings.column_dimensions["A"].width >= len("Hand Made & Co")
    daily = workbook["performance_daily"]
    assert daily["A2"].value == datetime(2020, 1, 2) and daily["A2"].is_date
    assert daily.max_row == export_sample.SESSIONS + 1
    assert isinstance(daily["B3"].value, float) and daily["C2"].value is None
    assert daily["D2"].number_format == "0.00%"
    optimization = workbook["optimization_results"]
    header = [cell.value for cell in optimization[1]]
    assert header[-3:] == ["weight_AAPL", "weight_BRK-B", "weight_MSFT"]
    assert [cell.value for cell in optimization[3]][-3:] == [0.6, None, 0.4]  # max_sharpe
    assert optimization.cell(2, header.index("created_at") + 1).value == datetime(
        2021, 3, 1, 12, 30
    )
    metrics = workbook["performance_metrics"]
    assert [cell.value for cell in metrics["A"]][1:] == ["1y", "full"]
    summary = {row[0]: row[1] for row in workbook["summary"].iter_rows(values_only=True) if row[0]}
    assert summary["portfolio_id"] == "hand-made-co"
    assert summary["inception_date"] == datetime(2020, 1, 1)
    assert summary["max_drawdown (full)"] == -0.21
    prices = workbook["historical_prices"]
    assert [cell.value for cell in prices[2]] == [datetime(2020, 1, 2), "AAPL", 100.0, 99.0]


def test_zip_bundles_every_file_and_a_readme(files):
    archive = zipfile.ZipFile(io.BytesIO(files["zip"][1]))
    names = file_names("hand-made-co")
    expected = [names[fmt] for fmt in ("csv", "xlsx", "json", "xml", "pdf")]
    assert archive.namelist() == ["README.txt", *expected]
    assert archive.testzip() is None
    for fmt in ("csv", "xlsx", "json", "xml", "pdf"):
        assert archive.read(names[fmt]) == files[fmt][1], fmt
    readme = archive.read("README.txt").decode("utf-8")
    for name in expected:
        assert f"  {name}: " in readme
    assert "marketpulse import-portfolio FILE" in readme


def test_a_zip_alone_still_bundles_every_format():
    only = render(export_sample.document(), ("zip",), FIXED)
    assert list(only) == ["zip"]
    assert len(zipfile.ZipFile(io.BytesIO(only["zip"][1])).namelist()) == 6


def test_weights_only_holdings_leave_quantity_empty():
    from dataclasses import replace

    document = export_sample.document()
    weights_only = replace(
        document,
        holdings=tuple(replace(h, quantity=None, cost_basis=None) for h in document.holdings),
    )
    content = render(weights_only, ("csv",))["csv"][1].decode("utf-8")
    assert content.splitlines()[1] == "Hand Made & Co,AAPL,,0.5,,2020-06-01,USD"


def test_formats_parse_in_a_fixed_order_and_reject_unknown_ones():
    assert parse_formats(None) == ("csv", "xlsx", "json", "xml", "pdf", "zip")
    assert parse_formats(" PDF,csv ") == ("csv", "pdf")
    with pytest.raises(ExportError, match="unknown export format 'docx'"):
        parse_formats("csv,docx")


def test_dates_are_iso_in_every_text_format(files):
    assert date(2020, 6, 1).isoformat() in files["csv"][1].decode()
    assert b"<as_of_date>2020-06-01</as_of_date>" in files["xml"][1]


HOSTILE = "=cmd|' /C calc'!A0"


def test_text_that_starts_a_formula_is_escaped_numbers_stay_numbers():
    """OWASP CSV injection: a text cell starting with = + - @ tab or CR gets a leading quote in
    the CSV and in every sheet; negative numbers stay numbers; JSON and XML keep the text."""
    from dataclasses import replace

    document = export_sample.document()
    names = [HOSTILE, "-1+2", "@SUM(A1)"]
    document = replace(
        document,
        info=replace(document.info, portfolio_name=HOSTILE, weighting="+quantity"),
        holdings=tuple(
            replace(h, portfolio_name=name)
            for h, name in zip(document.holdings, names, strict=True)
        ),
        risk=(replace(document.risk[0], window_name="\t1y"), *document.risk[1:]),
    )
    files = render(document, ("csv", "xlsx", "json", "xml"))
    rows = list(csv.reader(io.StringIO(files["csv"][1].decode("utf-8"))))
    assert [row[0] for row in rows[1:]] == ["'" + HOSTILE, "'-1+2", "'@SUM(A1)"]
    assert rows[1][1:] == HOLDINGS_TEXT[0][1:]

    workbook = openpyxl.load_workbook(io.BytesIO(files["xlsx"][1]))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    holdings = workbook["holdings"]
    assert [holdings.cell(row, 1).value for row in (2, 3, 4)] == [
        "'" + HOSTILE,
        "'-1+2",
        "'@SUM(A1)",
    ]
    assert all(holdings.cell(row, 1).data_type == "s" for row in (2, 3, 4))
    summary = {row[0]: row[1] for row in workbook["summary"].iter_rows(values_only=True) if row[0]}
    assert summary["portfolio_name"] == "'" + HOSTILE
    assert summary["weighting"] == "'+quantity"
    assert summary["max_drawdown (full)"] == -0.21  # a negative number, not escaped
    metrics = workbook["performance_metrics"]
    assert [cell.value for cell in metrics["A"]][1:] == ["'\t1y", "full"]
    drawdown = metrics.cell(3, RISK_COLUMNS.index("max_drawdown") + 1)
    assert (drawdown.value, drawdown.data_type) == (-0.21, "n")

    # JSON and XML are no spreadsheet: the name stays exactly as it is
    assert json.loads(files["json"][1])["portfolio_info"]["portfolio_name"] == HOSTILE
    root = ElementTree.fromstring(files["xml"][1])
    assert root.find("info/portfolio_name").text == HOSTILE
