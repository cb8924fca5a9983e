"""The PDF report on a hand-made document, rendered by pdfium (not reportlab) to pixels and
text: pages are not blank, the charts are drawn, the executive summary shows the figures."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pytest

from marketpulse.portfolio.export import render
from tests.portfolio.export import export_sample
from tests.portfolio.export.pdf_render import colour_share
from tests.portfolio.export.pdf_render import render as render_pdf

FIXED = datetime(2024, 1, 2, 3, 4)
NAVY, GREY, RED, ORANGE, GREEN = "#1f4e79", "#9e9e9e", "#b03a2e", "#e08e0b", "#2e7d32"
LAST = export_sample.SESSIONS - 1


def pdf_bytes(**kwargs: bool) -> bytes:
    return render(export_sample.document(**kwargs), ("pdf",), FIXED)["pdf"][1]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("pdf")
    return render_pdf(pdf_bytes(), out)


def test_every_page_is_rendered_and_not_blank(pages):
    assert len(pages) == 3
    for page in pages:
        ink = np.any(page.pixels < 200, axis=-1).mean()
        assert ink > 0.01, f"page {page.number} is (nearly) blank: {ink:.4f} inked"
        assert "generated at 2024-01-02 03:04 UTC" in page.text
        assert f"page {page.number}" in page.text


def test_executive_summary_shows_the_documents_figures(pages):
    text = pages[0].text
    # The hand-made series' last session, computed here from its defining formula.
    cumulative = 0.25 * LAST / 300 + 0.05 * math.sin(LAST / 15)
    benchmark = 0.15 * LAST / 300 + 0.04 * math.sin(LAST / 20)
    market_value = 100_000 * (1 + cumulative)
    assert "Hand Made & Co" in text and "Executive summary" in text
    for figure in (
        f"{market_value:,.2f}",  # 129,335.33
        f"{cumulative * 100:.2f}%",
        f"{benchmark * 100:.2f}%",
        f"{(cumulative - benchmark) * 100:.2f}%",
        "12.00%",  # annual return, full window
        "18.00%",  # annual volatility
        "0.90",  # Sharpe
        "-21.00%",  # max drawdown
        "0.95",  # beta
        "-1.70%",  # VaR 95
    ):
        assert figure in text, figure
    assert "129,335.33" in text  # the formula above, evaluated by hand once
    assert "Benchmark SPY" in text and "data as of 2021-02-24" in text


def test_holdings_table_lists_every_position(pages):
    lines = pages[0].text.splitlines()
    assert any(line.startswith("Symbol Quantity Close Market value") for line in lines)
    assert "AAPL 10 130.25 1,302.50 50.00% 50.00% 0.00% 120.50 97.50" in lines
    assert "BRK-B 2.5000 250.00 625.00 30.00% 30.00% 0.00% n/a n/a" in lines
    assert "MSFT 7 100.00 700.00 20.00% 20.00% n/a 0.00 700.00" in lines  # NaN drift


def test_charts_are_drawn_with_their_series(pages):
    images = [(page, box) for page in pages for box in page.images]
    assert len(images) == 3, [(p.number, b) for p, b in images]
    (p1, cumulative), (p2, drawdown), (p3, frontier) = images
    assert (p1.number, p2.number, p3.number) == (1, 2, 3)
    for page, box in images:
        crop = page.crop(box)
        assert crop.shape[0] > 150 and crop.shape[1] > 500
        assert crop.std() > 20, f"chart on page {page.number} is flat"
    assert colour_share(p1.crop(cumulative), NAVY) > 0.003  # the portfolio's line
    assert colour_share(p1.crop(cumulative), GREY, tolerance=20) > 0.002  # the benchmark's
    # the underwater fill: RED at alpha 0.35 over white = (227, 186, 182)
    assert colour_share(p2.crop(drawdown), "#e3bab6", tolerance=12) > 0.05
    area = p3.crop(frontier)
    for colour in (NAVY, ORANGE, GREEN, RED):
        assert colour_share(area, colour, tolerance=30) > 0.0003, colour
    assert "Risk" in p2.text and "Annual volatility 18.00% 18.00%" in p2.text
    assert "Max Sharpe 12.00% 16.00% 0.66 60.00% 0.00% 40.00%" in p3.text


def test_without_an_optimization_run_the_report_says_how_to_make_one(tmp_path):
    pages = render_pdf(pdf_bytes(with_optimization=False), tmp_path)
    text = "\n".join(page.text for page in pages)
    assert "No optimization run yet for this portfolio: run make optimize" in text
    assert sum(len(page.images) for page in pages) == 2


def test_the_same_document_gives_the_same_bytes():
    assert pdf_bytes() == pdf_bytes()
