"""`python -m marketpulse export` on the demo warehouse, as a user runs it.

Round trip: the sample portfolio's latest snapshot, read from sample_data with the csv module,
equals what the import's readers and validator read back from the exported CSV, JSON, Excel
and XML. The PDF is rendered by pdfium: text, pixels, and the executive summary's figures
equal the mart values queried here."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import zipfile
from contextlib import closing
from datetime import date
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from marketpulse.portfolio.importing.importing import known_symbols
from marketpulse.portfolio.importing.validate import parse_holdings
from marketpulse.warehouse import Warehouse
from tests.conftest import ROOT, SAMPLE
from tests.portfolio.export.pdf_render import colour_share
from tests.portfolio.export.pdf_render import render as render_pdf
from tests.sample_warehouses import Demo, query

GROWTH = "sample-growth-income"
SECTOR = "sample-sector-model"
SAMPLE_FILE = SAMPLE / "portfolio" / "sample_portfolios.csv"


def run_export(warehouse: Warehouse, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(warehouse, "export", *args)


def run_cli(warehouse: Warehouse, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "WAREHOUSE": "duckdb",
        "MARKETPULSE_DUCKDB_PATH": str(warehouse.duckdb_path),
    }
    return subprocess.run(
        [sys.executable, "-m", "marketpulse", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def latest_snapshot_in_sample(name: str) -> list[tuple[object, ...]]:
    """The sample file's latest snapshot of a portfolio, typed here with float() and date()."""
    with SAMPLE_FILE.open(newline="", encoding="utf-8") as stream:
        rows = [row for row in csv.DictReader(stream) if row["portfolio_name"] == name]
    latest = max(row["as_of_date"] for row in rows)

    def number(text: str) -> float | None:
        return float(text) if text.strip() else None

    return sorted(
        (
            row["portfolio_name"],
            row["symbol"],
            number(row["quantity"]),
            number(row["target_weight"]),
            number(row["cost_basis"]),
            date.fromisoformat(row["as_of_date"]),
            row["base_currency"],
        )
        for row in rows
        if row["as_of_date"] == latest
    )


@pytest.fixture(scope="module")
def growth(demo_duckdb: Demo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / GROWTH
    result = run_export(demo_duckdb.warehouse, "--portfolio", GROWTH, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("wrote ") == 6
    return out


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("csv", f"{GROWTH}-holdings.csv"),
        ("json", f"{GROWTH}.json"),
        ("xlsx", f"{GROWTH}.xlsx"),
        ("xml", f"{GROWTH}.xml"),
    ],
)
def test_round_trip_restores_the_imported_holdings(demo_duckdb, growth, fmt, name):
    symbols = known_symbols(demo_duckdb.warehouse)  # the validator's symbol and currency checks
    holdings = parse_holdings(growth / name, symbols)
    got = sorted(
        (
            h.portfolio_name,
            h.symbol,
            h.quantity,
            h.target_weight,
            h.cost_basis,
            h.as_of_date,
            h.base_currency,
        )
        for h in holdings
    )
    expected = latest_snapshot_in_sample("Sample Growth & Income")
    assert len(expected) == 6
    assert got == expected
    assert {h.portfolio_id for h in holdings} == {GROWTH}


def test_a_weights_only_portfolio_round_trips_without_quantities(demo_duckdb, tmp_path):
    result = run_export(
        demo_duckdb.warehouse, "--portfolio", SECTOR, "--out", str(tmp_path), "--formats", "csv,xml"
    )
    assert result.returncode == 0, result.stderr
    expected = latest_snapshot_in_sample("Sample Sector Model")
    for name in (f"{SECTOR}-holdings.csv", f"{SECTOR}.xml"):
        got = sorted(
            (
                h.portfolio_name,
                h.symbol,
                h.quantity,
                h.target_weight,
                h.cost_basis,
                h.as_of_date,
                h.base_currency,
            )
            for h in parse_holdings(tmp_path / name)
        )
        assert got == expected, name


def test_pdf_pages_charts_and_executive_summary_equal_the_marts(demo_duckdb, growth, tmp_path):
    pages = render_pdf(growth / f"{GROWTH}-report.pdf", tmp_path)
    assert len(pages) >= 3
    for page in pages:
        assert np.any(page.pixels < 200, axis=-1).mean() > 0.01, page.number
    text = "\n".join(page.text for page in pages)
    assert "Sample Growth & Income" in pages[0].text
    for symbol in ("AAPL", "MSFT", "JPM", "JNJ", "PG", "NEE"):
        assert f"\n{symbol} " in pages[0].text, symbol
    assert "\nXOM " not in pages[0].text  # sold in the 2017-07-03 snapshot

    warehouse = demo_duckdb.warehouse
    ((market_value, cumulative, benchmark, last),) = query(
        warehouse,
        "select market_value, cumulative_return, benchmark_cumulative_return, trading_date"
        " from marts.fct_portfolio_performance_daily where portfolio_id = 'sample-growth-income'"
        " order by trading_date desc limit 1",
    )
    ((annual_return, volatility, sharpe, max_drawdown, beta, var_95),) = query(
        warehouse,
        "select annual_return, annual_volatility, sharpe_ratio, max_drawdown, beta, var_95"
        " from marts.fct_portfolio_risk where portfolio_id = 'sample-growth-income'"
        " and window_name = 'full'",
    )
    summary = pages[0].text
    assert f"data as of {last}" in summary
    assert f"{market_value:,.2f}" in summary
    for value in (cumulative, benchmark, cumulative - benchmark, annual_return, volatility):
        assert f"{value * 100:.2f}%" in summary, value
    for value in (max_drawdown, var_95):
        assert f"{value * 100:.2f}%" in summary, value
    assert f"{sharpe:.2f}" in summary and f"{beta:.2f}" in summary

    charts = [(page, box) for page in pages for box in page.images]
    assert len(charts) == 3  # cumulative return, drawdown, frontier (the demo optimizes once)
    for page, box in charts:
        assert page.crop(box).std() > 20
        assert (
            colour_share(page.crop(box), "#1f4e79")
            + colour_share(page.crop(box), "#e3bab6", tolerance=12)
            > 0.003
        )
    assert "Optimization" in text and "Max Sharpe" in text and "Current" in text


def test_zip_holds_every_file_and_the_readme(growth):
    archive = zipfile.ZipFile(growth / f"{GROWTH}.zip")
    assert sorted(archive.namelist()) == sorted(
        [
            "README.txt",
            f"{GROWTH}-holdings.csv",
            f"{GROWTH}.xlsx",
            f"{GROWTH}.json",
            f"{GROWTH}.xml",
            f"{GROWTH}-report.pdf",
        ]
    )
    assert (
        archive.read(f"{GROWTH}-holdings.csv") == (growth / f"{GROWTH}-holdings.csv").read_bytes()
    )
    rows = list(csv.reader(io.StringIO(archive.read(f"{GROWTH}-holdings.csv").decode())))
    assert len(rows) == 7
    assert "Sample Growth & Income" in archive.read("README.txt").decode()


def test_unknown_portfolio_exits_2_and_writes_nothing(demo_duckdb, tmp_path):
    out = tmp_path / "never"
    result = run_export(demo_duckdb.warehouse, "--portfolio", "no-such", "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.startswith("error: unknown portfolio 'no-such'; known: ")
    assert GROWTH in result.stderr and result.stderr.count("\n") == 1
    assert not out.exists()


@pytest.mark.postgres
def test_postgres_gives_the_same_document(demo_postgres, demo_duckdb):
    from marketpulse.portfolio.export import FORMATS, render
    from marketpulse.portfolio.export.gather import read_document

    on_postgres = read_document(demo_postgres, GROWTH)
    on_duckdb = read_document(demo_duckdb.warehouse, GROWTH)
    assert on_postgres.info == on_duckdb.info
    assert on_postgres.holdings == on_duckdb.holdings
    assert [row.trading_date for row in on_postgres.performance] == [
        row.trading_date for row in on_duckdb.performance
    ]
    for pg_row, duck_row in zip(on_postgres.performance, on_duckdb.performance, strict=True):
        assert pg_row.market_value == pytest.approx(duck_row.market_value, rel=1e-9)
    assert len(on_postgres.prices) == len(on_duckdb.prices)
    assert [r.window_name for r in on_postgres.risk] == [r.window_name for r in on_duckdb.risk]
    assert {(p.method, p.point_index) for p in on_postgres.optimization} == {
        (p.method, p.point_index) for p in on_duckdb.optimization
    }
    assert set(render(on_postgres, FORMATS)) == set(FORMATS)


HOSTILE = "=cmd|' /C calc'!A0"


def test_a_hostile_portfolio_name_exports_as_text_not_a_formula(demo_duckdb, tmp_path):
    """A portfolio named like a DDE payload, loaded before names were checked at import (ADR
    0023), through `marketpulse build` (dbt) and `marketpulse export`: the CSV cell and every
    Excel cell holding the name are quoted text, never a formula; the numbers stay numbers."""
    shutil.copy(demo_duckdb.warehouse.duckdb_path, tmp_path / "marketpulse.duckdb")
    warehouse = Warehouse.from_env(
        {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(tmp_path / "marketpulse.duckdb")}
    )
    with closing(warehouse.connect(read_only=False)) as connection:
        connection.execute(
            "insert into raw_portfolio.holdings select * replace ("
            " 'hostile-co' as portfolio_id, ? as portfolio_name)"
            " from raw_portfolio.holdings where portfolio_id = ?",
            [HOSTILE, GROWTH],
        )
    built = run_cli(warehouse, "build", "--select", "stg_portfolio__holdings+")
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    out = tmp_path / "out"
    result = run_export(
        warehouse, "--portfolio", "hostile-co", "--out", str(out), "--formats", "csv,xlsx"
    )
    assert result.returncode == 0, result.stderr

    rows = list(csv.reader(io.StringIO((out / "hostile-co-holdings.csv").read_text())))
    assert len(rows) == 7
    assert {row[0] for row in rows[1:]} == {"'" + HOSTILE}
    expected = latest_snapshot_in_sample("Sample Growth & Income")
    assert sorted(row[1] for row in rows[1:]) == sorted(row[1] for row in expected)
    assert {row[6] for row in rows[1:]} == {"USD"}

    workbook = openpyxl.load_workbook(out / "hostile-co.xlsx")
    formulas = [
        (sheet.title, cell.coordinate)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []
    holdings = workbook["holdings"]
    names = [holdings.cell(row, 1) for row in range(2, holdings.max_row + 1)]
    assert len(names) == 6
    assert {(cell.value, cell.data_type) for cell in names} == {("'" + HOSTILE, "s")}
    assert all(holdings.cell(row, 2).data_type == "s" for row in range(2, 8))
    assert all(isinstance(holdings.cell(row, 3).value, float | int) for row in range(2, 8))
    summary = workbook["summary"]
    assert (summary["B3"].value, summary["B3"].data_type) == ("'" + HOSTILE, "s")
    daily = workbook["performance_daily"]
    returns = [daily.cell(row, 3).value for row in range(3, daily.max_row + 1)]
    assert min(returns) < 0 and all(isinstance(value, float) for value in returns)
