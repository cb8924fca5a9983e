"""Every rule of docs/decisions/0013-portfolios.md, the same for every file format.

Errors read `<file>:<line>: <field>: <what is wrong>`. A snapshot (portfolio, as_of_date)
with any invalid row is rejected whole; `Validation.holdings` holds only the rows of valid
snapshots, `Validation.rejected` every other row with why.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from marketpulse.ingest.config import SYMBOL_PATTERN
from marketpulse.portfolio.importing import settings
from marketpulse.portfolio.importing.formats import RawHolding, read_holdings

CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NUMBER_PATTERN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
SLUG_RUNS = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Holding:
    """One valid holding, typed."""

    portfolio_id: str
    portfolio_name: str
    as_of_date: date
    symbol: str
    quantity: float | None
    target_weight: float | None
    cost_basis: float | None
    base_currency: str
    line_number: int

    @property
    def snapshot(self) -> tuple[str, date]:
        return (self.portfolio_id, self.as_of_date)

    def canonical(self) -> list[Any]:
        """The business content, independent of format, file name and line."""
        return [
            self.portfolio_id,
            self.portfolio_name,
            self.as_of_date.isoformat(),
            self.symbol,
            self.quantity,
            self.target_weight,
            self.cost_basis,
            self.base_currency,
        ]


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def format(self, file: str) -> str:
        return f"{file}:{self.line}: {self.field}: {self.message}"


@dataclass(frozen=True)
class Rejection:
    """A row that is not imported: its own errors, or the snapshot's invalid line."""

    record: RawHolding
    field: str | None
    reason: str

    def raw_record(self) -> str:
        return json.dumps(self.record.values, default=str, sort_keys=True)


@dataclass
class Validation:
    file: str
    holdings: list[Holding]
    rejected: list[Rejection]
    errors: list[RowError]
    file_errors: list[str]  # errors no row can be skipped for: size, empty, unknown column

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_errors

    def lines(self) -> list[str]:
        return self.file_errors + [error.format(self.file) for error in self.errors]


class HoldingsFileError(Exception):
    """`parse_holdings` found errors; `lines` are the formatted error lines."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(lines[0] if lines else "invalid holdings file")
        self.lines = lines


def slug(name: str) -> str:
    """'Sample Growth & Income' -> 'sample-growth-income'."""
    return SLUG_RUNS.sub("-", name.lower()).strip("-")


def name_problem(name: str) -> str | None:
    """Why a (trimmed) portfolio name is refused, or None: it starts with a letter or digit and
    holds only letters, digits, spaces and NAME_PUNCTUATION (ADR 0023: no cell of an export
    can start a spreadsheet formula, no control character reaches a load)."""
    allowed = f"letters, digits, spaces and {' '.join(settings.NAME_PUNCTUATION)}"
    if not name[0].isalnum():
        return (
            f"{_shown(name)} starts with {name[0]!r}; a name starts with a letter or digit "
            f"(then {allowed})"
        )
    for character in name:
        if character == " " or character in settings.NAME_PUNCTUATION:
            continue
        if unicodedata.category(character)[0] not in "LNM":
            return f"{_shown(name)} holds {character!r}; a name holds only {allowed}"
    return None


def check_size(path: Path, limit: int) -> str | None:
    size = Path(path).stat().st_size
    if size > limit:
        return (
            f"{path}: the file is {size:,} bytes, over the limit of {limit:,} "
            "(sources.portfolio.max_file_bytes); split it or raise the limit"
        )
    return None


def parse_holdings(
    path: Path | str,
    symbols: Mapping[str, str | None] | None = None,
    tolerance: float = settings.DEFAULT_WEIGHT_TOLERANCE,
) -> list[Holding]:
    """The typed holdings of a file, or HoldingsFileError listing every error.

    Without `symbols` (symbol -> currency, as the warehouse knows them) the known-symbol and
    currency checks are skipped: the other rules need no warehouse.
    """
    validation = validate(read_holdings(path), str(path), symbols, tolerance)
    if not validation.ok:
        raise HoldingsFileError(validation.lines())
    return validation.holdings


def _shown(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _control_character(value: object) -> str | None:
    """The first control character inside a text value (NUL, ESC, a line break within it...):
    no name, symbol or code has one, and Postgres refuses NUL outright at load time."""
    if not isinstance(value, str):
        return None
    return next((char for char in value.strip() if unicodedata.category(char) == "Cc"), None)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not a number: {_shown(value)}")
    if isinstance(value, str):
        if not NUMBER_PATTERN.match(value.strip()):
            raise ValueError(f"not a number: {_shown(value)}")
        value = value.strip()
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {_shown(value)}")
    return number


def _date(value: object) -> date:
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise ValueError(f"not a date (it has a time of day): {_shown(value)}")
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and DATE_PATTERN.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"not an ISO date (YYYY-MM-DD): {_shown(value)}")


def _text(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"not text: {_shown(value)}")
    return str(value).strip()


class _Row:
    """One record being checked: its typed values and its errors."""

    def __init__(self, record: RawHolding) -> None:
        self.record = record
        self.errors: list[tuple[str, str]] = list(record.problems)
        self.typed: dict[str, Any] = {}

    def error(self, field: str, message: str) -> None:
        self.errors.append((field, message))

    def get(self, name: str, convert: Any, required: bool = False) -> Any:
        value = self.record.values.get(name)
        if _missing(value):
            if required:
                self.error(name, "required, but missing")
            return None
        control = _control_character(value)
        if control is not None:
            self.error(name, f"control character U+{ord(control):04X} in {_shown(value)}")
            return None
        try:
            return convert(value)
        except ValueError as exc:
            self.error(name, str(exc))
            return None


def _check_row(
    row: _Row, symbols: Mapping[str, str | None] | None
) -> dict[str, Any]:  # the typed values that passed
    typed: dict[str, Any] = {}
    name = row.get("portfolio_name", _text, required=True)
    if name is not None:
        if len(name) > settings.NAME_MAX_LENGTH:
            row.error("portfolio_name", f"longer than {settings.NAME_MAX_LENGTH} characters")
        elif not slug(name):
            row.error("portfolio_name", f"{name!r} has no letter or digit to make an id from")
        elif (problem := name_problem(name)) is not None:
            row.error("portfolio_name", problem)
        else:
            typed["portfolio_name"], typed["portfolio_id"] = name, slug(name)
    symbol = row.get("symbol", _text, required=True)
    if symbol is not None:
        symbol = symbol.upper()
        if not SYMBOL_PATTERN.match(symbol):
            row.error("symbol", f"{symbol!r} is not a Yahoo ticker (letters, digits, ^ . - = only)")
        elif symbols is not None and symbol not in symbols:
            row.error(
                "symbol",
                f"unknown symbol {symbol!r}: the warehouse has no Yahoo metadata or prices "
                "for it (add it to sources.yahoo in .dlt/config.toml and run `make ingest`)",
            )
        else:
            typed["symbol"] = symbol
    quantity = row.get("quantity", _number)
    if quantity is not None and quantity <= 0:
        row.error("quantity", f"must be > 0, got {quantity:g}")
    elif quantity is not None:
        typed["quantity"] = quantity
    weight = row.get("target_weight", _number)
    if weight is not None and not 0 < weight <= 1:
        row.error(
            "target_weight",
            f"must be in (0, 1], got {weight:g}",
        )
    elif weight is not None:
        typed["target_weight"] = weight
    if _missing(row.record.values.get("quantity")) and _missing(
        row.record.values.get("target_weight")
    ):
        row.error("quantity", "a row needs a quantity or a target_weight (or both)")
    cost = row.get("cost_basis", _number)
    if cost is not None and cost < 0:
        row.error("cost_basis", f"must be >= 0, got {cost:g}")
    elif cost is not None:
        typed["cost_basis"] = cost
    as_of = row.get("as_of_date", _date, required=True)
    if as_of is not None:
        typed["as_of_date"] = as_of
    currency = row.get("base_currency", _text, required=True)
    if currency is not None:
        currency = currency.upper()
        if not CURRENCY_PATTERN.match(currency):
            row.error("base_currency", f"{currency!r} is not an ISO 4217 code such as USD")
        else:
            typed["base_currency"] = currency
            quoted = (symbols or {}).get(typed.get("symbol", ""))
            if quoted and quoted.upper() != currency:
                row.error(
                    "base_currency",
                    f"{currency}, but {typed['symbol']} is quoted in {quoted.upper()} "
                    "(no FX conversion yet: hold it in a portfolio with that base currency)",
                )
    return typed


def validate(
    records: Sequence[RawHolding],
    file: str,
    symbols: Mapping[str, str | None] | None = None,
    tolerance: float = settings.DEFAULT_WEIGHT_TOLERANCE,
) -> Validation:
    if not records:
        return Validation(file, [], [], [], [f"{file}: no holdings rows; nothing to import"])
    file_errors = _unknown_columns(records, file)
    rows = [_Row(record) for record in records]
    for row in rows:
        if row.record.header_line is None:
            for name in row.record.values:
                if name not in settings.FIELDS:
                    row.error(name or "(no name)", _unknown(name))
        if row.record.values or not row.record.problems:  # else: not a record at all
            row.typed = _check_row(row, symbols)
    _check_across_rows(rows, tolerance)
    errors = sorted(
        (RowError(row.record.line, f, m) for row in rows for f, m in row.errors),
        key=lambda error: error.line,
    )
    return _split(file, rows, errors, file_errors)


def _unknown(name: str) -> str:
    what = "unknown column" if name else "a value under a column with no name"
    return f"{what}; expected {', '.join(settings.FIELDS)}"


def _unknown_columns(records: Sequence[RawHolding], file: str) -> list[str]:
    """CSV / Excel: an unknown column is one error, on the header line, for the whole file."""
    seen: dict[str, int] = {}
    for record in records:
        if record.header_line is not None:
            for name in record.values:
                if name not in settings.FIELDS:
                    seen.setdefault(name, record.header_line)
    return [f"{file}:{line}: {name}: {_unknown(name)}" for name, line in seen.items()]


def _check_across_rows(rows: list[_Row], tolerance: float) -> None:
    """Slug collisions, one currency per portfolio, duplicates, and the snapshot rules."""
    names: dict[str, tuple[str, int]] = {}
    currencies: dict[str, tuple[str, int]] = {}
    keys: dict[tuple[str, date, str], int] = {}
    snapshots: dict[tuple[str, date], list[_Row]] = {}
    for row in rows:
        typed, line = row.typed, row.record.line
        portfolio_id = typed.get("portfolio_id")
        if portfolio_id is None:
            continue
        first_name, first_line = names.setdefault(portfolio_id, (typed["portfolio_name"], line))
        if first_name != typed["portfolio_name"]:
            row.error(
                "portfolio_name",
                f"{typed['portfolio_name']!r} has the same id {portfolio_id!r} as "
                f"{first_name!r} on line {first_line}; use one spelling or distinct names",
            )
        if "base_currency" in typed:
            currency, currency_line = currencies.setdefault(
                portfolio_id, (typed["base_currency"], line)
            )
            if currency != typed["base_currency"]:
                row.error(
                    "base_currency",
                    f"{typed['base_currency']}, but line {currency_line} gives {currency} for "
                    f"portfolio {portfolio_id!r} (one base currency per portfolio)",
                )
        if "as_of_date" not in typed:
            continue
        snapshots.setdefault((portfolio_id, typed["as_of_date"]), []).append(row)
        if "symbol" in typed:
            key = (portfolio_id, typed["as_of_date"], typed["symbol"])
            first = keys.setdefault(key, line)
            if first != line:
                row.error(
                    "symbol",
                    f"duplicate of line {first}: {typed['symbol']} again in portfolio "
                    f"{portfolio_id!r} on {typed['as_of_date'].isoformat()}",
                )
    for (portfolio_id, as_of), members in snapshots.items():
        label = f"snapshot {portfolio_id!r} {as_of.isoformat()}"
        for name in ("target_weight", "quantity"):
            given = [not _missing(row.record.values.get(name)) for row in members]
            if any(given) and not all(given):
                first = members[given.index(True)].record.line
                for row, has in zip(members, given, strict=True):
                    if not has:
                        row.error(
                            name,
                            f"missing, but line {first} of {label} has one "
                            "(give it on every row of a snapshot or on none)",
                        )
        weights = [row.typed.get("target_weight") for row in members]
        if all(weight is not None for weight in weights):
            total = math.fsum(weights)  # type: ignore[arg-type]
            if abs(total - 1.0) > tolerance + 1e-12:
                members[0].error(
                    "target_weight",
                    f"the target weights of {label} sum to {total:.6g}, not 1 "
                    f"(tolerance {tolerance:g}, sources.portfolio.weight_tolerance)",
                )


def _split(
    file: str, rows: list[_Row], errors: list[RowError], file_errors: list[str]
) -> Validation:
    """Valid snapshots -> holdings; every row of a snapshot with an invalid row -> rejected."""
    bad_snapshots: dict[tuple[str, date], int] = {}
    for row in rows:
        key = (row.typed.get("portfolio_id"), row.typed.get("as_of_date"))
        if row.errors and None not in key:
            bad_snapshots.setdefault(key, row.record.line)  # type: ignore[arg-type]
    holdings: list[Holding] = []
    rejected: list[Rejection] = []
    for row in rows:
        if row.errors:
            rejected += [Rejection(row.record, f, m) for f, m in row.errors]
            continue
        typed = row.typed
        key = (typed["portfolio_id"], typed["as_of_date"])
        if key in bad_snapshots:
            reason = (
                f"snapshot {key[0]!r} {key[1].isoformat()} is rejected whole: "
                f"line {bad_snapshots[key]} is invalid"
            )
            rejected.append(Rejection(row.record, None, reason))
            continue
        holdings.append(
            Holding(
                portfolio_id=typed["portfolio_id"],
                portfolio_name=typed["portfolio_name"],
                as_of_date=typed["as_of_date"],
                symbol=typed["symbol"],
                quantity=typed.get("quantity"),
                target_weight=typed.get("target_weight"),
                cost_basis=typed.get("cost_basis"),
                base_currency=typed["base_currency"],
                line_number=row.record.line,
            )
        )
    return Validation(file, holdings, rejected, errors, file_errors)
