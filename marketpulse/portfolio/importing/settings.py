"""Portfolio import constants (docs/decisions/0013-portfolios.md); limits are configuration:
`.dlt/config.toml` [sources.portfolio], overridable by environment variables
(SOURCES__PORTFOLIO__MAX_FILE_BYTES, SOURCES__PORTFOLIO__WEIGHT_TOLERANCE)."""

from __future__ import annotations

import dlt

from marketpulse.warehouse import ConfigError

PIPELINE_NAME = "marketpulse_portfolio"
DATASET = "raw_portfolio"
HOLDINGS_TABLE = "holdings"
IMPORTS_TABLE = "imports"
REJECTED_TABLE = "rejected_holdings"

DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024
DEFAULT_WEIGHT_TOLERANCE = 0.001

# The columns of a holdings file, in the order `make export` writes them.
FIELDS = (
    "portfolio_name",
    "symbol",
    "quantity",
    "target_weight",
    "cost_basis",
    "as_of_date",
    "base_currency",
)
REQUIRED_FIELDS = ("portfolio_name", "symbol", "as_of_date", "base_currency")
NAME_MAX_LENGTH = 100
# A portfolio name starts with a letter or digit, then holds letters, digits (any script),
# spaces and these; never `= + - @` first, `|` `!` `"` `;` `<` `>`, tabs or control
# characters (docs/decisions/0023-spreadsheet-formula-injection.md). Its id is its slug.
NAME_PUNCTUATION = "&'.,()-_/:+#%"
FORMATS = {".csv": "csv", ".json": "json", ".xlsx": "xlsx", ".xml": "xml"}

HOLDINGS_KEY = ("portfolio_id", "as_of_date", "symbol")
SNAPSHOT_KEY = ("portfolio_id", "as_of_date")  # the merge key: a snapshot is replaced whole

HOLDINGS_HINTS = {
    "portfolio_id": {"data_type": "text", "nullable": False},
    "portfolio_name": {"data_type": "text", "nullable": False},
    "as_of_date": {"data_type": "date", "nullable": False},
    "symbol": {"data_type": "text", "nullable": False},
    "quantity": {"data_type": "double", "nullable": True},
    "target_weight": {"data_type": "double", "nullable": True},
    "cost_basis": {"data_type": "double", "nullable": True},
    "base_currency": {"data_type": "text", "nullable": False},
    "line_number": {"data_type": "bigint", "nullable": False},
    "import_id": {"data_type": "text", "nullable": False},
    "source_file": {"data_type": "text", "nullable": False},
    "_loaded_at": {"data_type": "timestamp", "timezone": True},
}
IMPORTS_HINTS = {
    "import_id": {"data_type": "text", "nullable": False},
    "source_file": {"data_type": "text"},
    "file_format": {"data_type": "text"},
    "file_sha256": {"data_type": "text"},
    "portfolio_ids": {"data_type": "text"},  # comma-separated, sorted
    "rows_imported": {"data_type": "bigint"},
    "rows_rejected": {"data_type": "bigint"},
    "imported_at": {"data_type": "timestamp", "timezone": True},
}
REJECTED_HINTS = {
    "import_id": {"data_type": "text"},
    "line_number": {"data_type": "bigint"},
    "field": {"data_type": "text", "nullable": True},
    "reason": {"data_type": "text"},
    "raw_record": {"data_type": "text"},  # the row as read, JSON text
    "_loaded_at": {"data_type": "timestamp", "timezone": True},
}


def max_file_bytes() -> int:
    value = dlt.config.get("sources.portfolio.max_file_bytes", int)
    limit = DEFAULT_MAX_FILE_BYTES if value is None else int(value)
    if limit <= 0:
        raise ConfigError(f"sources.portfolio.max_file_bytes = {limit} must be positive")
    return limit


def weight_tolerance() -> float:
    value = dlt.config.get("sources.portfolio.weight_tolerance", float)
    tolerance = DEFAULT_WEIGHT_TOLERANCE if value is None else float(value)
    if not 0 <= tolerance < 1:
        raise ConfigError(f"sources.portfolio.weight_tolerance = {tolerance} must be in [0, 1)")
    return tolerance
