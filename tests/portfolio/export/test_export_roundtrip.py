"""Export -> import: the CSV, JSON, Excel and XML files read back through the import's own
readers and validator (marketpulse.portfolio.importing, ADR 0013) give exactly the exported holdings."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from marketpulse.portfolio.export import file_names, render
from marketpulse.portfolio.export.document import PortfolioDocument
from marketpulse.portfolio.importing.validate import parse_holdings
from tests.portfolio.export import export_sample

FORMATS = ("csv", "json", "xlsx", "xml")


def imported(path: Path) -> list[tuple[object, ...]]:
    return sorted(
        (
            h.portfolio_id,
            h.portfolio_name,
            h.symbol,
            h.quantity,
            h.target_weight,
            h.cost_basis,
            h.as_of_date,
            h.base_currency,
        )
        for h in parse_holdings(path)
    )


def exported(document: PortfolioDocument) -> list[tuple[object, ...]]:
    return sorted(
        (
            document.info.portfolio_id,
            h.portfolio_name,
            h.symbol,
            h.quantity,
            h.target_weight,
            h.cost_basis,
            h.as_of_date,
            h.base_currency,
        )
        for h in document.holdings
    )


def write(document: PortfolioDocument, out: Path) -> dict[str, Path]:
    paths = {}
    for fmt, (name, content) in render(document, FORMATS).items():
        paths[fmt] = out / name
        paths[fmt].write_bytes(content)
    return paths


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_reimports_the_same_holdings(tmp_path, fmt):
    document = export_sample.document()
    paths = write(document, tmp_path)
    assert paths[fmt].name == file_names("hand-made-co")[fmt]
    assert imported(paths[fmt]) == exported(document)
    assert imported(paths[fmt])[1][5] is None  # BRK-B's missing cost basis stays missing


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_weights_only_snapshot_reimports_as_weights_only(tmp_path, fmt):
    document = export_sample.document()
    document = replace(
        document,
        holdings=tuple(replace(h, quantity=None, cost_basis=None) for h in document.holdings),
    )
    rows = imported(write(document, tmp_path)[fmt])
    assert rows == exported(document)
    assert [row[3] for row in rows] == [None, None, None]
    assert sum(row[4] for row in rows) == pytest.approx(1.0)
