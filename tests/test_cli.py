"""The command line as a user meets it: one clear line and a non-zero exit on bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def ingest(
    *args: str, env: dict[str, str] | None = None, timeout: int = 180
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "marketpulse", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_live_ingest_without_network_says_so_in_one_line_per_source(tmp_path: Path) -> None:
    # A closed local port as proxy makes "no network" deterministic, even on a machine online.
    offline = {
        "MARKETPULSE_DUCKDB_PATH": str(tmp_path / "wh.duckdb"),
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9",
        "FRED_API_KEY": "",
    }
    result = ingest("ingest", "--symbols", "AAPL", "--series", "UNRATE", "--quiet", env=offline)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    failures = [line for line in result.stderr.splitlines() if "FAILED" in line]
    assert failures == [
        "yahoo: FAILED: no network: cannot reach Yahoo Finance (no network); "
        "run `make demo` to try marketpulse offline with the bundled sample data",
        "fred: FAILED: no network: cannot reach FRED (no network); "
        "run `make demo` to try marketpulse offline with the bundled sample data",
        "trends: FAILED: no network: cannot reach Google Trends (no network); "
        "run `make demo` to try marketpulse offline with the bundled sample data",
        "news: FAILED: no network: cannot reach Yahoo Finance (no network); "
        "run `make demo` to try marketpulse offline with the bundled sample data",
    ]


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ("ingest", "--symbols", "AAPL'; drop table x;--"),
            {},
            'error: not a valid Yahoo symbol: "AAPL\'; DROP TABLE X;--"',
        ),
        (
            ("ingest", "--sources", "bloomberg"),
            {},
            "error: unknown source 'bloomberg'; known: yahoo, fred, trends, news",
        ),
        (
            ("ingest",),
            {"WAREHOUSE": "oracle"},
            "error: WAREHOUSE='oracle' is not supported; use one of: duckdb, postgres",
        ),
        (
            ("summary",),
            {"MARKETPULSE_DUCKDB_PATH": "/nonexistent/marketpulse.duckdb"},
            "error: no marts to summarise in duckdb file /nonexistent/marketpulse.duckdb",
        ),
        (
            ("ingest", "--sample"),
            {"WAREHOUSE": "postgres", "PGHOST": "127.0.0.1", "PGPORT": "1"},
            "error: cannot connect to postgres postgres@127.0.0.1:1/",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    result = ingest(*args, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
