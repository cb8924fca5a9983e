"""Retention: `prune` reports first (dry run), deletes only with --apply, only rows older than
each domain's period (the intraday bars with the prices), on DuckDB and Postgres; missing domains
are "nothing to prune"; a prune that would empty a table asks first (--yes)."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest

from marketpulse.cli import main
from marketpulse.ops.retention import DEFAULT_RETENTION, RETENTION_TABLES, cutoff_date, prune
from marketpulse.warehouse import ConfigError, Warehouse
from tests.sample_warehouses import execute

# Prices (daily and intraday) and macro only: the trends and news domains then have no raw
# tables here.
SLICE_SOURCES = ("yahoo", "fred", "intraday")
AS_OF = date(2020, 11, 15)
PERIODS = {"prices": "2 years", "macro": "2 years", "trends": "1 year", "news": "3 months"}
DATED = [(f"{schema}.{table}", column) for schema, table, column in RETENTION_TABLES["prices"]]
DATED += [(f"{schema}.{table}", column) for schema, table, column in RETENTION_TABLES["macro"]]


@pytest.mark.parametrize(
    ("today", "period", "offset"),
    [
        (date(2026, 11, 22), "2 years", pd.DateOffset(years=2)),
        (date(2024, 2, 29), "1 year", pd.DateOffset(years=1)),
        (date(2026, 5, 31), "3 months", pd.DateOffset(months=3)),
        (date(2026, 3, 31), "1 month", pd.DateOffset(months=1)),
        (date(2026, 1, 10), "90 days", pd.DateOffset(days=90)),
        (date(2026, 1, 10), "2 weeks", pd.DateOffset(weeks=2)),
    ],
)
def test_cutoff_matches_pandas_calendar_arithmetic(
    today: date, period: str, offset: pd.DateOffset
) -> None:
    assert cutoff_date(period, today) == (pd.Timestamp(today) - offset).date()


def test_forever_keeps_everything_and_nonsense_is_refused() -> None:
    assert cutoff_date("forever", date(2026, 1, 1)) is None
    with pytest.raises(ConfigError, match=r"retention\.prices = '2 lightyears' is not a period"):
        cutoff_date("2 lightyears", date(2026, 1, 1), "prices")


def test_defaults_are_the_design_documents() -> None:
    assert DEFAULT_RETENTION == {
        "prices": "2 years",
        "macro": "5 years",
        "trends": "1 year",
        "news": "3 months",
    }


def dated_rows(warehouse: Warehouse) -> dict[str, list[tuple[object, ...]]]:
    return {
        table: sorted(execute(warehouse, f"select * from {table}"), key=str) for table, _ in DATED
    }


def test_prune_reports_first_then_deletes_only_expired_rows(slice_warehouse: Warehouse) -> None:
    cutoff = date(2018, 11, 15)  # AS_OF minus 2 years
    expected = {
        table: execute(
            slice_warehouse, f"select count(*) from {table} where {column} < %s", (cutoff,)
        )[0][0]
        for table, column in DATED
    }
    assert expected["raw_yahoo.prices_daily"] > 0 and expected["raw_fred.observations"] > 0
    assert expected["raw_yahoo.prices_intraday"] > 0
    totals = {
        table: execute(slice_warehouse, f"select count(*) from {table}")[0][0] for table, _ in DATED
    }
    assert all(totals[table] > expected[table] for table in totals)  # none is emptied
    before = dated_rows(slice_warehouse)

    dry = prune(slice_warehouse, PERIODS, AS_OF).lines
    assert {line.table: line.rows for line in dry if line.rows is not None} == expected
    assert {line.table: line.total for line in dry if line.rows is not None} == totals
    assert all(not line.applied for line in dry)
    assert dated_rows(slice_warehouse) == before  # a dry run deletes nothing
    missing = {line.domain for line in dry if line.rows is None}
    assert missing == {"trends", "news"}  # their raw tables are not in this warehouse
    assert all("nothing to prune" in line.describe() for line in dry if line.rows is None)

    applied = prune(slice_warehouse, PERIODS, AS_OF, apply=True).lines
    assert {line.table: line.rows for line in applied if line.rows is not None} == expected
    after = dated_rows(slice_warehouse)
    for table, column in DATED:
        (expired,) = execute(
            slice_warehouse, f"select count(*) from {table} where {column} < %s", (cutoff,)
        )[0]
        assert expired == 0, table
        # Exactly the expired rows went; every other row is untouched.
        assert len(before[table]) - len(after[table]) == expected[table]
        assert set(after[table]) <= set(before[table])

    again = prune(slice_warehouse, PERIODS, AS_OF, apply=True).lines
    assert all(line.rows in (0, None) for line in again)


def test_cli_prune_is_a_dry_run_with_config_overrides(
    slice_warehouse: Warehouse,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in slice_warehouse.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("RETENTION__MACRO", "forever")
    before = dated_rows(slice_warehouse)
    assert main(["prune", "--as-of", "2030-01-01"]) == 0
    out = capsys.readouterr().out
    assert "raw_fred.observations" in out and "kept forever" in out
    assert "would delete" in out and "dry run: nothing deleted" in out
    assert "raw_trends.interest_over_time    nothing to prune" in out
    assert dated_rows(slice_warehouse) == before

    monkeypatch.setenv("RETENTION__PRICES", "two years")
    assert main(["prune", "--as-of", "2030-01-01"]) == 2
    assert capsys.readouterr().err == (
        "error: retention.prices = 'two years' is not a period"
        " (e.g. '2 years', '3 months', '90 days', or 'forever')\n"
    )


class Terminal(io.StringIO):
    """Standard input that is a terminal (the prompt's case)."""

    def isatty(self) -> bool:
        return True


def test_cli_prune_that_empties_a_table_needs_yes(
    slice_warehouse: Warehouse,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """As of 2030 with 2-year periods every sample row is expired: --apply alone (stdin not a
    terminal) deletes nothing and says why in one line; on a terminal it asks, and only "yes"
    empties every table, each listed with what it lost. (--yes: test_retention_propagates.)"""
    for name, value in slice_warehouse.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("RETENTION__MACRO", "2 years")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    totals = {
        table: execute(slice_warehouse, f"select count(*) from {table}")[0][0] for table, _ in DATED
    }
    before = dated_rows(slice_warehouse)

    assert main(["prune", "--as-of", "2030-01-01", "--apply"]) == 2
    captured = capsys.readouterr()
    domains = {
        f"{schema}.{table}": domain
        for domain, tables in RETENTION_TABLES.items()
        for schema, table, _ in tables
    }
    emptied = ", ".join(f"{domains[table]} ({table})" for table, total in totals.items() if total)
    assert "prices (raw_yahoo.prices_intraday)" in emptied and "macro" in emptied
    assert captured.err == (
        f"error: the prune would delete every row of {emptied}; nothing deleted;"
        " run again with --yes (make prune APPLY=1 YES=1) to confirm\n"
    )
    for table, total in totals.items():  # what it would delete, per table, before refusing
        assert f"{table:<32} would delete {total:,} of {total:,} rows" in captured.out
    assert dated_rows(slice_warehouse) == before

    # On a terminal it asks: anything but "yes" deletes nothing (exit 1); "yes" goes on.
    prompts: list[str] = []
    monkeypatch.setattr("sys.stdin", Terminal(""))
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or "no")
    assert main(["prune", "--as-of", "2030-01-01", "--apply"]) == 1
    assert prompts == [f"this deletes every row of {emptied}; type yes to go on: "]
    assert capsys.readouterr().out.endswith("nothing deleted\n")
    assert dated_rows(slice_warehouse) == before
    monkeypatch.setattr("builtins.input", lambda prompt: " YES ")
    assert main(["prune", "--as-of", "2030-01-01", "--apply"]) == 0
    out = capsys.readouterr().out
    for table, total in totals.items():
        assert f"{table:<32} deleted {total:,} of {total:,} rows" in out
        assert execute(slice_warehouse, f"select count(*) from {table}")[0][0] == 0
