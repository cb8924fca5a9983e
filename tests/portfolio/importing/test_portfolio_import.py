"""`import-portfolio` end to end: files -> validation -> dlt -> raw_portfolio, on a real
warehouse holding recorded Yahoo data (tests/fixtures/portfolio/yahoo: AAPL, MSFT, SPY in USD
and SAP.DE in EUR, loaded through the real Yahoo source).

References: the error lines are written out by hand from ADR 0013's format; the holdings
expected in the warehouse are the hand-written rows of test_portfolio_formats.EXPECTED.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from marketpulse.ingest import runner
from marketpulse.ingest.report import Progress
from marketpulse.portfolio.importing.importing import import_files
from marketpulse.sources.yahoo.client import ReplayYahooClient
from marketpulse.warehouse import Warehouse
from tests.conftest import FIXTURES, ROOT, fixture_config, fresh_postgres_database
from tests.portfolio.importing.test_portfolio_formats import (
    EXPECTED,
    expected_xlsx_rows,
    write_xlsx,
)

PORTFOLIO = FIXTURES / "portfolio"
SYMBOLS = ("AAPL", "MSFT", "SPY", "SAP.DE")
HEADER = "portfolio_name,symbol,quantity,target_weight,cost_basis,as_of_date,base_currency"
FIELDS = "portfolio_name, symbol, quantity, target_weight, cost_basis, as_of_date, base_currency"
NOTHING = (
    "error: {n} error(s) in 1 file(s); nothing imported; "
    "fix them, or pass --skip-invalid to import the valid snapshots"
)
NAME_RULE = (
    "a name starts with a letter or digit (then letters, digits, spaces and"
    " & ' . , ( ) - _ / : + # %)"
)
BUSINESS = (
    "portfolio_id, portfolio_name, as_of_date, symbol, quantity, target_weight, cost_basis,"
    " base_currency"
)


def load_market_data(warehouse: Warehouse) -> None:
    client = ReplayYahooClient(PORTFOLIO / "yahoo", origin="recorded")
    reports = runner.run(
        fixture_config(symbols=SYMBOLS),
        warehouse,
        (client, None),  # type: ignore[arg-type]  # only the yahoo source runs
        sources=("yahoo",),
        progress=Progress(quiet=True),
    )
    assert all(report.ok for report in reports), reports


def run_import(
    warehouse: Warehouse, *paths: Path, skip_invalid: bool = False
) -> tuple[int, list[str], list[str]]:
    out, err = io.StringIO(), io.StringIO()
    code = import_files(warehouse, list(paths), skip_invalid=skip_invalid, out=out, err=err)
    return code, out.getvalue().splitlines(), err.getvalue().splitlines()


def query(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    with closing(warehouse.connect()) as connection:
        cursor = connection.cursor()
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]


def holdings(warehouse: Warehouse) -> list[tuple[Any, ...]]:
    return query(
        warehouse,
        f"select {BUSINESS} from raw_portfolio.holdings order by portfolio_id, as_of_date, symbol",
    )


def raw_state(warehouse: Warehouse) -> tuple[Any, ...]:
    """Everything an import could change, including load times and ids."""
    return (
        query(warehouse, "select * from raw_portfolio.holdings order by 1, 3, 4"),
        query(warehouse, "select * from raw_portfolio.imports order by 1"),
        query(warehouse, "select * from raw_portfolio.rejected_holdings order by 1, 2, 4"),
    )


def unordered(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(rows, key=repr)


@pytest.fixture
def warehouse(duckdb_warehouse: Warehouse) -> Warehouse:
    load_market_data(duckdb_warehouse)
    return duckdb_warehouse


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """One warehouse for the bad-input cases: market data plus one good import."""
    path = tmp_path_factory.mktemp("portfolio") / "wh.duckdb"
    warehouse = Warehouse.from_env({"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(path)})
    load_market_data(warehouse)
    assert run_import(warehouse, PORTFOLIO / "holdings.csv")[0] == 0
    return warehouse


def test_import_lands_the_holdings(warehouse: Warehouse) -> None:
    code, out, err = run_import(warehouse, PORTFOLIO / "holdings.csv")
    assert (code, err) == (0, [])
    assert out == [
        "holdings.csv: imported 6 holding(s), 4 snapshot(s) of 3 portfolio(s) "
        "(euro-model, test-growth-income, test-index)"
    ]
    assert unordered(holdings(warehouse)) == unordered(EXPECTED)
    [(import_id, source, fmt, rows, rejected, ids)] = query(
        warehouse,
        "select import_id, source_file, file_format, rows_imported, rows_rejected,"
        " portfolio_ids from raw_portfolio.imports",
    )
    assert (source, fmt, rows, rejected) == (str(PORTFOLIO / "holdings.csv"), "csv", 6, 0)
    assert ids == "euro-model,test-growth-income,test-index"
    lines = query(warehouse, "select symbol, line_number, import_id from raw_portfolio.holdings")
    assert sorted((s, n) for s, n, _ in lines) == sorted(
        [("AAPL", 2), ("MSFT", 3), ("AAPL", 5), ("MSFT", 6), ("SPY", 7), ("SAP.DE", 8)]
    )
    assert {i for _, _, i in lines} == {import_id}
    assert query(warehouse, "select count(*) from raw_portfolio.rejected_holdings") == [(0,)]


def check_idempotent(warehouse: Warehouse, tmp_path: Path) -> None:
    assert run_import(warehouse, PORTFOLIO / "holdings.csv")[0] == 0
    before = raw_state(warehouse)
    for path in (
        PORTFOLIO / "holdings.csv",
        PORTFOLIO / "holdings.json",  # the same holdings in another format: the same import
        PORTFOLIO / "holdings.xml",
        write_xlsx(tmp_path / "holdings.xlsx", expected_xlsx_rows()),
    ):
        code, out, err = run_import(warehouse, path)
        assert (code, err) == (0, [])
        assert len(out) == 1 and out[0].startswith(f"{path.name}: already imported (import ")
    assert raw_state(warehouse) == before
    assert query(warehouse, "select count(*) from raw_portfolio.imports") == [(1,)]
    assert unordered(holdings(warehouse)) == unordered(EXPECTED)


def test_reimport_is_idempotent_on_duckdb(warehouse: Warehouse, tmp_path: Path) -> None:
    check_idempotent(warehouse, tmp_path)


@pytest.mark.postgres
def test_reimport_is_idempotent_on_postgres(postgres_admin_db: str, tmp_path: Path) -> None:
    with fresh_postgres_database(postgres_admin_db) as warehouse:
        load_market_data(warehouse)
        check_idempotent(warehouse, tmp_path)
        types = dict(
            query(
                warehouse,
                "select column_name, data_type from information_schema.columns"
                " where table_schema = 'raw_portfolio' and table_name = 'holdings'",
            )
        )
        assert types["as_of_date"] == "date"
        assert types["quantity"] == types["target_weight"] == "double precision"
        assert types["_loaded_at"] == "timestamp with time zone"


def test_a_changed_snapshot_replaces_the_old_one_whole(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    assert run_import(warehouse, PORTFOLIO / "holdings.csv")[0] == 0
    changed = tmp_path / "changed.csv"
    # 2014-06-05 of test-growth-income: MSFT sold, AAPL now the whole portfolio
    changed.write_text(f"{HEADER}\nTest Growth & Income,AAPL,25,1.0,95,2014-06-05,USD\n")
    code, out, _ = run_import(warehouse, changed)
    assert code == 0 and "imported 1 holding(s), 1 snapshot(s)" in out[0]
    growth = [row for row in holdings(warehouse) if row[0] == "test-growth-income"]
    assert growth == [
        (
            "test-growth-income",
            "Test Growth & Income",
            date(2014, 6, 5),
            "AAPL",
            25.0,
            1.0,
            95.0,
            "USD",
        ),
        EXPECTED[2][:],
        EXPECTED[3][:],
    ]
    assert len(holdings(warehouse)) == 5  # the other portfolios untouched
    # Importing the first file again restores its version of the snapshot: not "already
    # imported", since the warehouse no longer holds what that import loaded.
    code, out, _ = run_import(warehouse, PORTFOLIO / "holdings.csv")
    assert code == 0 and "imported 6 holding(s)" in out[0]
    assert unordered(holdings(warehouse)) == unordered(EXPECTED)
    assert query(warehouse, "select count(*) from raw_portfolio.imports") == [(2,)]


BAD = [
    (
        "unknown_symbol",
        ["P,AAPL,10,,,2014-06-05,USD", "P,ZZZZ,5,,,2014-06-05,USD"],
        [
            "3: symbol: unknown symbol 'ZZZZ': the warehouse has no Yahoo metadata or prices for"
            " it (add it to sources.yahoo in .dlt/config.toml and run `make ingest`)"
        ],
    ),
    (
        "not_a_ticker",
        ["P,AA PL,10,,,2014-06-05,USD"],
        ["2: symbol: 'AA PL' is not a Yahoo ticker (letters, digits, ^ . - = only)"],
    ),
    ("negative_quantity", ["P,AAPL,-5,,,2014-06-05,USD"], ["2: quantity: must be > 0, got -5"]),
    ("zero_quantity", ["P,AAPL,0,,,2014-06-05,USD"], ["2: quantity: must be > 0, got 0"]),
    (
        "weight_over_one",
        ["P,AAPL,,1.5,,2014-06-05,USD"],
        ["2: target_weight: must be in (0, 1], got 1.5"],
    ),
    (
        "weights_do_not_sum_to_one",
        ["P,AAPL,,0.5,,2014-06-05,USD", "P,MSFT,,0.4,,2014-06-05,USD"],
        [
            "2: target_weight: the target weights of snapshot 'p' 2014-06-05 sum to 0.9, not 1"
            " (tolerance 0.001, sources.portfolio.weight_tolerance)"
        ],
    ),
    (
        "weights_just_outside_tolerance",
        ["P,AAPL,,0.5,,2014-06-05,USD", "P,MSFT,,0.4985,,2014-06-05,USD"],
        [
            "2: target_weight: the target weights of snapshot 'p' 2014-06-05 sum to 0.9985, not"
            " 1 (tolerance 0.001, sources.portfolio.weight_tolerance)"
        ],
    ),
    (
        "weights_on_some_rows_only",
        ["P,AAPL,10,1,,2014-06-05,USD", "P,MSFT,5,,,2014-06-05,USD"],
        [
            "3: target_weight: missing, but line 2 of snapshot 'p' 2014-06-05 has one"
            " (give it on every row of a snapshot or on none)"
        ],
    ),
    (
        "quantities_on_some_rows_only",
        ["P,AAPL,,0.5,,2014-06-05,USD", "P,MSFT,5,0.5,,2014-06-05,USD"],
        [
            "2: quantity: missing, but line 3 of snapshot 'p' 2014-06-05 has one"
            " (give it on every row of a snapshot or on none)"
        ],
    ),
    (
        "duplicate_row",
        ["P,AAPL,10,,,2014-06-05,USD", "P,MSFT,1,,,2014-06-05,USD", "P,aapl,10,,,2014-06-05,USD"],
        ["4: symbol: duplicate of line 2: AAPL again in portfolio 'p' on 2014-06-05"],
    ),
    (
        "slug_collision",
        ["My Fund,AAPL,10,,,2014-06-05,USD", "my-fund,MSFT,5,,,2014-06-05,USD"],
        [
            "3: portfolio_name: 'my-fund' has the same id 'my-fund' as 'My Fund' on line 2;"
            " use one spelling or distinct names"
        ],
    ),
    (
        "currency_of_the_symbol",
        ["P,SAP.DE,5,,,2014-06-05,USD"],
        [
            "2: base_currency: USD, but SAP.DE is quoted in EUR (no FX conversion yet: hold it"
            " in a portfolio with that base currency)"
        ],
    ),
    (
        "two_currencies_in_one_portfolio",
        ["P,AAPL,5,,,2014-06-05,USD", "P,SAP.DE,5,,,2014-06-09,EUR"],
        [
            "3: base_currency: EUR, but line 2 gives USD for portfolio 'p'"
            " (one base currency per portfolio)"
        ],
    ),
    (
        "not_a_currency",
        ["P,AAPL,5,,,2014-06-05,DOLLAR"],
        ["2: base_currency: 'DOLLAR' is not an ISO 4217 code such as USD"],
    ),
    (
        "missing_required_fields",
        [",AAPL,5,,,,USD"],
        ["2: portfolio_name: required, but missing", "2: as_of_date: required, but missing"],
    ),
    (
        "not_a_date",
        ["P,AAPL,5,,,2014-13-01,USD", "P,MSFT,5,,,06/05/2014,USD"],
        [
            "2: as_of_date: not an ISO date (YYYY-MM-DD): '2014-13-01'",
            "3: as_of_date: not an ISO date (YYYY-MM-DD): '06/05/2014'",
        ],
    ),
    (
        "neither_quantity_nor_weight",
        ["P,AAPL,,,10,2014-06-05,USD"],
        ["2: quantity: a row needs a quantity or a target_weight (or both)"],
    ),
    ("not_a_number", ["P,AAPL,ten,,,2014-06-05,USD"], ["2: quantity: not a number: 'ten'"]),
    (
        "thousands_separator",
        ['P,AAPL,"1,000",,,2014-06-05,USD'],
        ["2: quantity: not a number: '1,000'"],
    ),
    ("negative_cost", ["P,AAPL,5,,-1,2014-06-05,USD"], ["2: cost_basis: must be >= 0, got -1"]),
    (
        "name_too_long",
        [f"{'N' * 101},AAPL,5,,,2014-06-05,USD"],
        ["2: portfolio_name: longer than 100 characters"],
    ),
    (
        "formula_in_the_name",
        ["=cmd|' /C calc'!A0,AAPL,5,,,2014-06-05,USD", "@SUM(1+1),MSFT,5,,,2014-06-05,USD"],
        [
            f"""2: portfolio_name: "=cmd|' /C calc'!A0" starts with '='; {NAME_RULE}""",
            f"3: portfolio_name: '@SUM(1+1)' starts with '@'; {NAME_RULE}",
        ],
    ),
    (
        "dde_characters_in_the_name",
        ["Calc|Fund!A0,AAPL,5,,,2014-06-05,USD"],
        [
            "2: portfolio_name: 'Calc|Fund!A0' holds '|'; a name holds only letters, digits,"
            " spaces and & ' . , ( ) - _ / : + # %"
        ],
    ),
    (
        "too_many_cells",
        ["P,AAPL,5,,,2014-06-05,USD,extra"],
        ["2: row: has 8 cells, the header names 7 columns"],
    ),
]


@pytest.mark.parametrize(("rows", "expected"), [case[1:] for case in BAD], ids=[c[0] for c in BAD])
def test_bad_input_imports_nothing(
    loaded: Warehouse, tmp_path: Path, rows: list[str], expected: list[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    before = raw_state(loaded)
    code, out, err = run_import(loaded, path)
    assert code == 1
    assert out == []
    assert err == [f"{path}:{line}" for line in expected] + [NOTHING.format(n=len(expected))]
    assert raw_state(loaded) == before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            f"{HEADER},sector\nP,AAPL,5,,,2014-06-05,USD,Tech\n",
            f":1: sector: unknown column; expected {FIELDS}",
        ),
        (f"{HEADER}\n\n", ": no holdings rows; nothing to import"),
        ("", ": no holdings rows; nothing to import"),
    ],
    ids=["unknown_column", "header_only", "empty"],
)
@pytest.mark.parametrize("skip_invalid", [False, True])
def test_file_level_errors_stop_even_skip_invalid(
    loaded: Warehouse, tmp_path: Path, content: str, expected: str, skip_invalid: bool
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    before = raw_state(loaded)
    code, _, err = run_import(loaded, path, skip_invalid=skip_invalid)
    assert code == 1
    assert err[0] == f"{path}{expected}"
    assert err[-1].startswith("error: 1 error(s) in 1 file(s); nothing imported; ")
    assert raw_state(loaded) == before


def test_file_over_the_size_limit(
    loaded: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.csv"
    path.write_text(HEADER + "\n" + "P,AAPL,5,,,2014-06-05,USD\n" * 5)
    size = path.stat().st_size
    assert size == 81 + 5 * 26  # header line, five rows
    monkeypatch.setenv("SOURCES__PORTFOLIO__MAX_FILE_BYTES", str(size - 1))
    before = raw_state(loaded)
    code, _, err = run_import(loaded, path)
    assert code == 1
    assert err == [
        f"{path}: the file is 211 bytes, over the limit of 210 "
        "(sources.portfolio.max_file_bytes); split it or raise the limit",
        NOTHING.format(n=1),
    ]
    assert raw_state(loaded) == before
    monkeypatch.setenv("SOURCES__PORTFOLIO__MAX_FILE_BYTES", str(size))  # at the limit: read
    code, _, err = run_import(loaded, path)
    assert code == 1 and "duplicate of line 2" in err[0]  # now the rows are judged


def test_weight_tolerance_is_configurable(
    loaded: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "loose.csv"
    path.write_text(
        f"{HEADER}\nLoose,AAPL,,0.5,,2014-06-05,USD\nLoose,MSFT,,0.49,,2014-06-05,USD\n"
    )
    assert run_import(loaded, path)[0] == 1
    monkeypatch.setenv("SOURCES__PORTFOLIO__WEIGHT_TOLERANCE", "0.02")
    code, out, _ = run_import(loaded, path)
    assert code == 0 and out[0].startswith("loose.csv: imported 2 holding(s)")


def test_an_error_in_any_file_imports_no_file(loaded: Warehouse, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(f"{HEADER}\nAnother,AAPL,5,,,2014-06-05,USD\n")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"portfolio_name": "X", "symbol": "AAPL", "quantity": -1}]))
    before = raw_state(loaded)
    code, _, err = run_import(loaded, good, bad)
    assert code == 1
    assert err == [
        f"{bad}:1: quantity: must be > 0, got -1",
        f"{bad}:1: as_of_date: required, but missing",
        f"{bad}:1: base_currency: required, but missing",
        NOTHING.format(n=3),
    ]
    assert raw_state(loaded) == before


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "bad.json",
            b"[{]",
            ":1: not valid JSON: Expecting property name enclosed in double quotes",
        ),
        ("bad.xml", b"<portfolio><holding></portfolio>", ":1: not well-formed XML: mismatched tag"),
        ("bad.xlsx", b"not a zip", ": not a readable .xlsx workbook (File is not a zip file)"),
        (
            "bad.csv",
            b"portfolio_name\n\xff\xfe",
            ": not UTF-8 text (byte 0xff at offset 15); save it as UTF-8",
        ),
        ("bad.ods", b"", ": unsupported file type .ods; use .csv, .json, .xlsx or .xml"),
    ],
)
def test_unreadable_file_exit_2_in_one_line(
    loaded: Warehouse, tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    before = raw_state(loaded)
    assert run_import(loaded, path) == (2, [], [f"error: {path}{expected}"])
    assert run_import(loaded, tmp_path / "missing.csv") == (
        2,
        [],
        [f"error: {tmp_path / 'missing.csv'}: no such file"],
    )
    assert raw_state(loaded) == before


def test_skip_invalid_imports_valid_snapshots_and_quarantines_the_rest(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                "Good,AAPL,10,,,2014-06-05,USD",  # 2: valid snapshot (good, 06-05)
                "Good,MSFT,5,,,2014-06-05,USD",  # 3
                "Good,AAPL,10,,,2014-06-09,USD",  # 4: valid, but its snapshot has line 5
                "Good,ZZZZ,5,,,2014-06-09,USD",  # 5: unknown symbol
                "Other,SPY,-1,,,2014-06-05,USD",  # 6: negative: its own snapshot
            ]
        )
        + "\n"
    )
    code, out, err = run_import(warehouse, path, skip_invalid=True)
    assert code == 0
    assert err == [
        f"{path}:5: symbol: unknown symbol 'ZZZZ': the warehouse has no Yahoo metadata or prices"
        " for it (add it to sources.yahoo in .dlt/config.toml and run `make ingest`)",
        f"{path}:6: quantity: must be > 0, got -1",
    ]
    assert out == [
        "mixed.csv: imported 2 holding(s), 1 snapshot(s) of 1 portfolio(s) (good);"
        " 3 row(s) rejected into raw_portfolio.rejected_holdings"
    ]
    assert holdings(warehouse) == [
        ("good", "Good", date(2014, 6, 5), "AAPL", 10.0, None, None, "USD"),
        ("good", "Good", date(2014, 6, 5), "MSFT", 5.0, None, None, "USD"),
    ]
    rejected = query(
        warehouse,
        "select line_number, field, reason, raw_record, import_id"
        " from raw_portfolio.rejected_holdings order by line_number",
    )
    [(import_id, rows_rejected)] = query(
        warehouse, "select import_id, rows_rejected from raw_portfolio.imports"
    )
    assert rows_rejected == 3
    assert [(line, field, reason) for line, field, reason, _, _ in rejected] == [
        (4, None, "snapshot 'good' 2014-06-09 is rejected whole: line 5 is invalid"),
        (
            5,
            "symbol",
            "unknown symbol 'ZZZZ': the warehouse has no Yahoo metadata or prices for it (add it"
            " to sources.yahoo in .dlt/config.toml and run `make ingest`)",
        ),
        (6, "quantity", "must be > 0, got -1"),
    ]
    assert json.loads(rejected[2][3]) == {
        "portfolio_name": "Other",
        "symbol": "SPY",
        "quantity": "-1",
        "target_weight": "",
        "cost_basis": "",
        "as_of_date": "2014-06-05",
        "base_currency": "USD",
    }
    assert {row[4] for row in rejected} == {import_id}
    # Again: already imported, no second copy of the rejected rows.
    code, out, _ = run_import(warehouse, path, skip_invalid=True)
    assert code == 0 and "already imported" in out[0]
    assert query(warehouse, "select count(*) from raw_portfolio.rejected_holdings") == [(3,)]


def test_without_market_data_the_import_says_what_to_load(
    duckdb_warehouse: Warehouse, tmp_path: Path
) -> None:
    hint = "load market data first: `make ingest` (live) or `make demo` (bundled sample)"
    where = duckdb_warehouse.describe()
    code, _, err = run_import(duckdb_warehouse, PORTFOLIO / "holdings.csv")
    assert (code, err) == (2, [f"error: {where} does not exist yet; {hint}"])
    duckdb_warehouse.connect(read_only=False).close()  # an empty warehouse file
    code, _, err = run_import(duckdb_warehouse, PORTFOLIO / "holdings.csv")
    assert (code, err) == (
        2,
        [f"error: {where} has no Yahoo symbols or prices to check holdings against; {hint}"],
    )


@pytest.fixture
def cli_env(warehouse: Warehouse) -> Iterator[dict[str, str]]:
    yield {
        **os.environ,
        "WAREHOUSE": "duckdb",
        "MARKETPULSE_DUCKDB_PATH": str(warehouse.duckdb_path),
    }


def test_cli_exit_codes_and_no_traceback(cli_env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\nP,AAPL,-5,,,2014-06-05,USD\n")
    broken = tmp_path / "broken.xml"
    broken.write_text("<portfolio>")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "marketpulse", "import-portfolio", *args],
            cwd=ROOT,
            env=cli_env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    result = cli(str(bad))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{bad}:2: quantity: must be > 0, got -5",
        NOTHING.format(n=1),
    ]
    result = cli(str(broken), str(PORTFOLIO / "holdings.csv"))
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"error: {broken}:1: not well-formed XML")
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    result = cli(str(PORTFOLIO / "holdings.json"), "--skip-invalid")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("holdings.json: imported 6 holding(s)")
