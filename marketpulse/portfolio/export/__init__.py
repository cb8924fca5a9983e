"""`python -m marketpulse export --portfolio ID`: one portfolio from the marts to files.

CSV (holdings), Excel, JSON, XML, a PDF report and a ZIP of them all with a README. The
holdings in the CSV, Excel, JSON and XML files are valid holdings files (ADR 0013): importing
any of them restores the latest snapshot. Everything is read first (gather.py), so an unknown
portfolio or missing marts write nothing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from marketpulse.portfolio.export.document import PortfolioDocument
from marketpulse.portfolio.export.gather import ExportError, read_document
from marketpulse.warehouse import Warehouse

FORMATS = ("csv", "xlsx", "json", "xml", "pdf", "zip")

__all__ = ["FORMATS", "ExportError", "export_portfolio", "file_names", "parse_formats"]


def parse_formats(text: str | None) -> tuple[str, ...]:
    """'csv,pdf' -> ('csv', 'pdf') in FORMATS order; None or '' -> every format."""
    if not text or not text.strip():
        return FORMATS
    asked = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [part for part in asked if part not in FORMATS]
    if unknown:
        raise ExportError(f"unknown export format {unknown[0]!r}; use any of {','.join(FORMATS)}")
    return tuple(fmt for fmt in FORMATS if fmt in asked)


def file_names(portfolio_id: str) -> dict[str, str]:
    return {
        "csv": f"{portfolio_id}-holdings.csv",
        "xlsx": f"{portfolio_id}.xlsx",
        "json": f"{portfolio_id}.json",
        "xml": f"{portfolio_id}.xml",
        "pdf": f"{portfolio_id}-report.pdf",
        "zip": f"{portfolio_id}.zip",
    }


def render(
    document: PortfolioDocument, formats: Sequence[str], generated_at: datetime | None = None
) -> dict[str, tuple[str, bytes]]:
    """format -> (file name, content); the ZIP always bundles every other format."""
    from marketpulse.portfolio.export import bundle, excel, pdf
    from marketpulse.portfolio.export import formats as text_formats

    writers: dict[str, Callable[[], bytes]] = {
        "csv": lambda: text_formats.holdings_csv(document),
        "xlsx": lambda: excel.workbook_bytes(document),
        "json": lambda: text_formats.document_json(document),
        "xml": lambda: text_formats.document_xml(document),
        "pdf": lambda: pdf.report_pdf(document, generated_at),
    }
    names = file_names(document.info.portfolio_id)
    needed = [fmt for fmt in writers if fmt in formats or "zip" in formats]
    rendered = {fmt: (names[fmt], writers[fmt]()) for fmt in needed}
    files = {fmt: rendered[fmt] for fmt in formats if fmt != "zip"}
    if "zip" in formats:
        files["zip"] = (names["zip"], bundle.zip_bytes(document, rendered))
    return files


def export_portfolio(
    warehouse: Warehouse,
    portfolio_id: str,
    out_dir: Path | None = None,
    formats: Sequence[str] = FORMATS,
    generated_at: datetime | None = None,
) -> list[Path]:
    """Read, render every format in memory, then write each file atomically."""
    document = read_document(warehouse, portfolio_id)
    files = render(document, formats, generated_at)
    out = Path(out_dir) if out_dir is not None else Path("exports") / portfolio_id
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in files.values():
        target = out / name
        handle, temporary = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(content)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written.append(target)
    return written
