"""Overrides of the list settings (issue 17, item 8): an override replaces the configured list,
an empty list and a value that is not a list of strings each stop the run in one line."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pytest

from marketpulse.cli import main
from marketpulse.ingest.config import IngestConfig
from marketpulse.warehouse import Warehouse

LIST_SETTINGS = (
    ("SOURCES__YAHOO__SYMBOLS", "sources.yahoo.symbols", "symbol"),
    ("SOURCES__YAHOO__LARGE_CAPS", "sources.yahoo.large_caps", None),
    ("SOURCES__FRED__SERIES", "sources.fred.series", "series id"),
    ("SOURCES__TRENDS__KEYWORDS", "sources.trends.keywords", "search term"),
    ("SOURCES__NEWS__SYMBOLS", "sources.news.symbols", "symbol"),
)


def test_symbols_override_replaces_the_universe(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOURCES__YAHOO__SYMBOLS", '["MSFT", "aapl"]')
    assert IngestConfig.load().symbols == ("MSFT", "AAPL")
    # and a real run loads those two and nothing else of the 38-symbol default universe
    path = tmp_path / "wh.duckdb"
    monkeypatch.setenv("MARKETPULSE_DUCKDB_PATH", str(path))
    monkeypatch.setenv("WAREHOUSE", "duckdb")
    assert main(["ingest", "--sample", "--sources", "yahoo", "--quiet"]) == 0
    capsys.readouterr()
    warehouse = Warehouse.from_env({"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(path)})
    with closing(warehouse.connect(read_only=True)) as connection:
        rows = connection.execute(
            "select distinct symbol from raw_yahoo.prices_daily order by symbol"
        ).fetchall()
    assert [row[0] for row in rows] == ["AAPL", "MSFT"]


def test_other_list_overrides_replace_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCES__FRED__SERIES", '["unrate"]')
    monkeypatch.setenv("SOURCES__TRENDS__KEYWORDS", '["inflation"]')
    monkeypatch.setenv("SOURCES__NEWS__SYMBOLS", '["XOM"]')
    monkeypatch.setenv("SOURCES__YAHOO__LARGE_CAPS", '["AAPL"]')  # one group: the others stay
    config = IngestConfig.load()
    assert config.series == ("UNRATE",)
    assert config.trends_keywords == ("inflation",)
    assert config.news_symbols == ("XOM",)
    assert len(config.symbols) == 5 + 1 + 11 + 1 and config.symbols[-1] == "AAPL"


@pytest.mark.parametrize(("variable", "key", "what"), LIST_SETTINGS)
@pytest.mark.parametrize("value", ["AAPL", '["AAPL"', "[1, 2]", '{"a": 1}', "[]"])
def test_empty_or_malformed_list_is_one_line_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    key: str,
    what: str | None,
    value: str,
) -> None:
    monkeypatch.setenv(variable, value)
    if value == "[]" and what is None:  # one empty group: the others still make a universe
        assert len(IngestConfig.load().symbols) == 5 + 1 + 11
        return
    path = tmp_path / "wh.duckdb"
    monkeypatch.setenv("MARKETPULSE_DUCKDB_PATH", str(path))
    code = main(["ingest", "--sample"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1, err
    if value == "[]":
        assert err == (
            f"error: {key} ({variable}) is empty: list at least one {what} "
            "(an override replaces the configured list, it does not add to it)\n"
        )
    else:
        shown = {"[1, 2]": "[1, 2]"}.get(value, repr(value))
        assert err.startswith(f"error: {key} ({variable}) must be a list of strings, e.g. ")
        assert err.endswith(f"; got {shown}\n"), err
    assert not path.exists()  # stopped before the warehouse was touched
