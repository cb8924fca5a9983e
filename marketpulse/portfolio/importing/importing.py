"""`python -m marketpulse import-portfolio FILE...`: read, validate, and load through dlt.

All files are read and validated before anything is loaded: with an error anywhere (and no
`--skip-invalid`) nothing is imported. Exit codes: 0 imported (or already imported),
1 invalid holdings, 2 a file or the warehouse cannot be used.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

import dlt

from marketpulse.errors import one_line
from marketpulse.ingest.packages import run_pipeline
from marketpulse.ingest.runner import check_warehouse
from marketpulse.portfolio.importing import portfolio_resources, settings
from marketpulse.portfolio.importing.formats import UnreadableFileError, file_format, read_holdings
from marketpulse.portfolio.importing.validate import Holding, Validation, check_size, validate
from marketpulse.warehouse import Session, Warehouse

LOAD_MARKET_DATA = "load market data first: `make ingest` (live) or `make demo` (bundled sample)"
RETRY_IMPORT = "fix the file and import it again"


class NoMarketDataError(Exception):
    """The warehouse knows no symbol, so no holding could be checked."""


@dataclass
class ParsedFile:
    path: Path
    file_format: str
    file_sha256: str
    validation: Validation


def import_id(holdings: Sequence[Holding]) -> str:
    """sha256 of the canonical valid rows: the same holdings give the same id in any format."""
    rows = sorted(holding.canonical() for holding in holdings)
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()


def _tables(session: Session, schema: str) -> set[str]:
    return session.tables(schema)


def known_symbols(warehouse: Warehouse) -> dict[str, str | None]:
    """symbol -> currency for every symbol with Yahoo metadata or prices in the warehouse
    (currency None when only prices landed: then no currency check is possible)."""
    known: dict[str, str | None] = {}
    with warehouse.session(read_only=True) as session:
        tables = _tables(session, "raw_yahoo")
        if "prices_daily" in tables:
            rows = session.rows("select distinct symbol from raw_yahoo.prices_daily")
            known.update({row[0]: None for row in rows})
        if "symbols" in tables:
            for symbol, currency in session.rows("select symbol, currency from raw_yahoo.symbols"):
                known[symbol] = currency or known.get(symbol)
    if not known:
        raise NoMarketDataError(
            f"{warehouse.describe()} has no Yahoo symbols or prices to check holdings "
            f"against; {LOAD_MARKET_DATA}"
        )
    return known


def already_imported(warehouse: Warehouse, validation: Validation, the_id: str) -> bool:
    """True when this import is recorded and its snapshots still hold its rows (a later
    import of another version of a snapshot makes re-importing this one meaningful again)."""
    with warehouse.session(read_only=True) as session:
        tables = _tables(session, settings.DATASET)
        if not {settings.IMPORTS_TABLE, settings.HOLDINGS_TABLE} <= tables:
            return False
        params = {"import_id": the_id}
        sql = "select count(*) from raw_portfolio.imports where import_id = :import_id"
        if session.rows(sql, params)[0][0] == 0:
            return False
        rows = session.rows(
            "select distinct portfolio_id, as_of_date from raw_portfolio.holdings"
            " where import_id = :import_id",
            params,
        )
        current = {(row[0], _as_date(row[1])) for row in rows}
    return current == {holding.snapshot for holding in validation.holdings}


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def parse_file(
    path: Path, symbols: dict[str, str | None], limit: int, tolerance: float
) -> ParsedFile:
    """Read and validate one file; UnreadableFileError when it cannot be read at all."""
    fmt = file_format(path)
    if not path.exists():
        raise UnreadableFileError(f"{path}: no such file")
    if not path.is_file():
        raise UnreadableFileError(f"{path}: not a file")
    too_big = check_size(path, limit)
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if too_big is None else ""
    if too_big is not None:
        validation = Validation(str(path), [], [], [], [too_big])
    else:
        validation = validate(read_holdings(path), str(path), symbols, tolerance)
    return ParsedFile(path, fmt, digest, validation)


def import_files(
    warehouse: Warehouse,
    paths: Sequence[Path | str],
    skip_invalid: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    limit, tolerance = settings.max_file_bytes(), settings.weight_tolerance()
    if not warehouse.exists():
        print(f"error: {warehouse.describe()} does not exist yet; {LOAD_MARKET_DATA}", file=err)
        return 2
    check_warehouse(warehouse)  # WarehouseUnreachableError: one line and exit 2 in the CLI
    try:
        symbols = known_symbols(warehouse)
    except NoMarketDataError as exc:
        print(f"error: {exc}", file=err)
        return 2
    parsed: list[ParsedFile] = []
    for path in paths:
        try:
            parsed.append(parse_file(Path(path), symbols, limit, tolerance))
        except UnreadableFileError as exc:
            print(f"error: {exc}", file=err)
            return 2
    errors = [line for item in parsed for line in item.validation.lines()]
    for line in errors:
        print(line, file=err)
    fatal = [item for item in parsed if item.validation.file_errors]
    empty = [item for item in parsed if not item.validation.holdings]
    if errors and (not skip_invalid or fatal or empty):
        files = sum(1 for item in parsed if not item.validation.ok)
        hint = (
            "a file-level error, or a file without one valid snapshot, stops --skip-invalid"
            if skip_invalid
            else "fix them, or pass --skip-invalid to import the valid snapshots"
        )
        print(
            f"error: {len(errors)} error(s) in {files} file(s); nothing imported; {hint}",
            file=err,
        )
        return 1
    for item in parsed:
        code = _load(warehouse, item, out, err)
        if code != 0:
            return code
    return 0


def _load(warehouse: Warehouse, item: ParsedFile, out: TextIO, err: TextIO) -> int:
    validation = item.validation
    the_id = import_id(validation.holdings)
    portfolios = sorted({holding.portfolio_id for holding in validation.holdings})
    if already_imported(warehouse, validation, the_id):
        print(
            f"{item.path.name}: already imported (import {the_id[:12]}); nothing loaded", file=out
        )
        return 0
    now = datetime.now(UTC)
    import_row = {
        "import_id": the_id,
        "source_file": str(item.path),
        "file_format": item.file_format,
        "file_sha256": item.file_sha256,
        "portfolio_ids": ",".join(portfolios),
        "rows_imported": len(validation.holdings),
        "rows_rejected": len({r.record.line for r in validation.rejected}),
        "imported_at": now,
    }
    pipeline = dlt.pipeline(
        pipeline_name=settings.PIPELINE_NAME,
        destination=warehouse.dlt_destination(),
        dataset_name=settings.DATASET,
        pipelines_dir=str(warehouse.pipelines_dir()),
    )
    resources = portfolio_resources(
        validation.holdings, validation.rejected, import_row, str(item.path), now
    )
    outcome = run_pipeline(
        pipeline, resources, warehouse, loader_file_format=warehouse.loader_file_format()
    )
    set_aside = [aside.line(RETRY_IMPORT) for aside in outcome.set_aside]
    if outcome.error is not None:  # dlt wraps the cause in PipelineStepFailed: show the root
        failed = f"loading {item.path.name} into {warehouse.describe()} failed"
        print("; ".join([f"error: {failed}: {_root(outcome.error)}", *set_aside]), file=err)
        return 2
    for line in set_aside:  # an earlier import's package, found pending and refused again
        print(f"note: {line}", file=err)
    snapshots = len({holding.snapshot for holding in validation.holdings})
    rejected = import_row["rows_rejected"]
    note = (
        f"; {rejected} row(s) rejected into raw_portfolio.{settings.REJECTED_TABLE}"
        if rejected
        else ""
    )
    print(
        f"{item.path.name}: imported {len(validation.holdings)} holding(s), {snapshots} "
        f"snapshot(s) of {len(portfolios)} portfolio(s) ({', '.join(portfolios)}){note}",
        file=out,
    )
    return 0


def _root(exc: BaseException) -> str:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    last = chain[-1]
    return f"{type(last).__name__}: {one_line(last)}" if str(last).strip() else type(last).__name__
