"""The ZIP: every other export file plus a README.txt saying what each one is."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

from marketpulse.portfolio.export.document import HOLDING_FIELDS, PortfolioDocument


def readme(document: PortfolioDocument, names: Mapping[str, str]) -> str:
    """names: format -> file name in the bundle."""
    info = document.info
    described = {
        "csv": "the holdings of the latest snapshot as a holdings file (re-imports as is)",
        "xlsx": (
            "Excel workbook; sheets holdings (a holdings file), summary, historical_prices, "
            "optimization_results, performance_metrics (risk per window), performance_daily"
        ),
        "json": (
            "portfolio_info, holdings (a holdings list), historical_data (daily performance "
            "and prices), optimization_results, performance_metrics"
        ),
        "xml": (
            "<portfolio> with <info>, one <holding> per holding (re-imports as is), "
            "<positions>, <performance_metrics>, <optimization_results>, <performance>"
        ),
        "pdf": (
            "report: executive summary, holdings, performance and drawdown charts, "
            "risk table, optimization frontier"
        ),
    }
    lines = [
        f"marketpulse export of portfolio {info.portfolio_id} ({info.portfolio_name})",
        f"data as of {info.last_trading_date}; snapshot of {info.latest_as_of_date}; "
        f"base currency {info.base_currency}; benchmark {info.benchmark_symbol}",
        "",
        "Files:",
    ]
    for fmt, name in names.items():
        lines.append(f"  {name}: {described[fmt]}")
    lines += [
        "",
        f"Holdings columns (ADR 0013): {', '.join(HOLDING_FIELDS)}.",
        "Import any of the CSV, JSON, XLSX or XML files back with",
        "  marketpulse import-portfolio FILE   (in a checkout: make import-portfolio FILE=...)",
        "Returns and weights are fractions (0.05 = 5%); money is in the base currency;",
        "dates are ISO 8601; a missing value is empty (CSV, Excel, XML) or null (JSON).",
        "",
    ]
    return "\n".join(lines)


def zip_bytes(document: PortfolioDocument, files: Mapping[str, tuple[str, bytes]]) -> bytes:
    """files: format -> (name, content). Entries are dated the portfolio's last session."""
    stamp = document.info.last_trading_date or document.info.latest_as_of_date
    date_time = (stamp.year, stamp.month, stamp.day, 0, 0, 0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entries = [("README.txt", readme(document, {f: n for f, (n, _) in files.items()}))]
        entries += [(name, content) for name, content in files.values()]
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()
