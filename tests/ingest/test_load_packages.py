"""A load package Postgres refuses never poisons later runs (issue 17, item 2), on a real
Postgres: control characters are refused at validation; a package that still fails to load (a
holdings import, a source) is set aside in one line and the next run works."""

from __future__ import annotations

import io
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from marketpulse.ingest import runner
from marketpulse.ingest.packages import QUARANTINE_DIR
from marketpulse.ingest.report import Progress
from marketpulse.portfolio.importing import importing
from marketpulse.portfolio.importing.importing import import_files, parse_file
from marketpulse.sources.yahoo.client import ReplayYahooClient
from marketpulse.warehouse import Warehouse
from tests.conftest import FIXTURES, fixture_config, fresh_postgres_database
from tests.portfolio.importing.test_portfolio_import import (
    HEADER,
    holdings,
    load_market_data,
    query,
)

GOOD = HEADER + "\nGrowth,AAPL,10,,,2024-01-02,USD\nGrowth,MSFT,5,,,2024-01-02,USD\n"


@pytest.fixture
def postgres(postgres_admin_db: str):  # type: ignore[no-untyped-def]
    with fresh_postgres_database(postgres_admin_db) as warehouse:
        try:
            yield warehouse
        finally:
            shutil.rmtree(warehouse.pipelines_dir(), ignore_errors=True)


def run_import(warehouse: Warehouse, *paths: Path) -> tuple[int, list[str], list[str]]:
    out, err = io.StringIO(), io.StringIO()
    code = import_files(warehouse, list(paths), out=out, err=err)
    return code, out.getvalue().splitlines(), err.getvalue().splitlines()


def test_control_characters_are_refused_at_validation(postgres: Warehouse, tmp_path: Path) -> None:
    load_market_data(postgres)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER + "\nGro\x00wth,AAPL,10,,,2024-01-02,USD\nGrowth,MSFT,5,,,2024-01-02,U\x1bSD\n"
    )
    code, out, err = run_import(postgres, bad)
    assert code == 1
    assert out == []
    assert err == [
        f"{bad}:2: portfolio_name: control character U+0000 in 'Gro\\x00wth'",
        f"{bad}:3: base_currency: control character U+001B in 'U\\x1bSD'",
        "error: 2 error(s) in 1 file(s); nothing imported; "
        "fix them, or pass --skip-invalid to import the valid snapshots",
    ]
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    assert run_import(postgres, good)[0] == 0  # nothing was left behind to poison this one
    assert [row[0] for row in holdings(postgres)] == ["growth", "growth"]


def test_a_holdings_package_postgres_refuses_is_set_aside_and_the_next_import_works(
    postgres: Warehouse, tmp_path: Path
) -> None:
    """A package that reaches Postgres with a NUL byte (as one did before validation caught
    them): the holdings load step sends it, Postgres refuses it."""
    load_market_data(postgres)
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    parsed = parse_file(good, {"AAPL": "USD", "MSFT": "USD"}, 10**6, 0.001)
    poisoned = [replace(h, portfolio_name="Gro\x00wth") for h in parsed.validation.holdings]
    parsed.validation.holdings[:] = poisoned
    out, err = io.StringIO(), io.StringIO()
    assert importing._load(postgres, parsed, out, err) == 2
    [line] = err.getvalue().splitlines()
    quarantine = postgres.pipelines_dir() / QUARANTINE_DIR / "marketpulse_portfolio"
    [package] = list(quarantine.iterdir())
    assert line == (
        f"error: loading good.csv into {postgres.describe()} failed: CharacterNotInRepertoire: "
        'invalid byte sequence for encoding "UTF8": 0x00; load package '
        f"{package.name} could not be loaded (CharacterNotInRepertoire: invalid byte sequence "
        f'for encoding "UTF8": 0x00); set aside in {package}; fix the file and import it '
        "again; delete that folder to drop it"
    )
    assert (package / "load_package_state.json").exists()
    assert any(p.name.startswith("holdings.") for p in package.rglob("*"))
    # The next import is not blamed for the old package: it loads.
    code, out_lines, err_lines = run_import(postgres, good)
    assert (code, err_lines) == (0, [])
    assert out_lines == [
        "good.csv: imported 2 holding(s), 1 snapshot(s) of 1 portfolio(s) (growth)"
    ]
    assert [row[3] for row in holdings(postgres)] == ["AAPL", "MSFT"]


def test_a_source_package_postgres_refuses_is_set_aside_and_the_next_run_loads(
    postgres: Warehouse, tmp_path: Path
) -> None:
    """Yahoo answers a company name with a NUL byte in it: the Yahoo load fails in one line
    naming where the package went; the next run, with a clean answer, loads everything."""
    hostile = tmp_path / "yahoo"
    shutil.copytree(FIXTURES / "yahoo", hostile)
    info = json.loads((hostile / "info.json").read_text())
    info["AAPL"]["longName"] = "Apple\x00 Inc."
    (hostile / "info.json").write_text(json.dumps(info))

    def run(directory: Path) -> runner.SourceReport:
        [report] = runner.run(
            fixture_config(),
            postgres,
            (ReplayYahooClient(directory, origin="recorded"), None),  # type: ignore[arg-type]
            sources=("yahoo",),
            progress=Progress(quiet=True),
        )
        return report

    first = run(hostile)
    quarantine = postgres.pipelines_dir() / QUARANTINE_DIR / "marketpulse_yahoo"
    [package] = list(quarantine.iterdir())
    assert first.fatal is not None
    assert first.fatal.startswith("CharacterNotInRepertoire while loading into ")
    assert first.fatal.endswith(
        f"; load package {package.name} could not be loaded (CharacterNotInRepertoire: "
        f'invalid byte sequence for encoding "UTF8": 0x00); set aside in {package}; the next '
        "run fetches its data again; delete that folder to drop it"
    )
    second = run(FIXTURES / "yahoo")
    assert second.ok, second
    assert sorted(second.loaded) == ["AAPL", "SPY"]
    assert query(postgres, "select count(*) from raw_yahoo.prices_daily") == [(12,)]
    assert query(postgres, "select symbol, name from raw_yahoo.symbols order by 1")[0] == (
        "AAPL",
        "Apple Inc.",
    )
