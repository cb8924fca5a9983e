"""Spreadsheet formula injection (CSV injection): no exported text cell starts a formula.

A spreadsheet reads a cell that starts with `=`, `+`, `-` or `@` as a formula (and a leading
tab or carriage return can hide one), so a portfolio named `=cmd|' /C calc'!A0` would run
when the CSV or workbook is opened. OWASP's remedy: prefix such a text cell with a single
quote. Only text is escaped: a number stays a number (a negative number is no formula),
while the text "-1+2" is escaped. Why the quote is also written into Excel cells:
docs/decisions/0023-spreadsheet-formula-injection.md.
"""

from __future__ import annotations

from marketpulse.portfolio.export.document import Cell

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: Cell) -> Cell:
    """A text cell that a spreadsheet would read as a formula, prefixed with `'`; any other
    value unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
