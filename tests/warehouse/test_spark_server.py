"""MARKETPULSE_SPARK_METHOD=thrift without a server (marketpulse/warehouse/spark_server.py):
the tools say in one line which server they could not reach. The reads through a real Thrift
server are tests/e2e/test_spark_thrift.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from marketpulse.warehouse import Warehouse, spark_server
from tests.conftest import ROOT


def nothing_listening() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again: nothing listens there


def test_an_unreachable_server_is_one_line_naming_it(tmp_path: Path) -> None:
    port = nothing_listening()
    env = {
        **os.environ,
        "WAREHOUSE": "spark",
        "MARKETPULSE_SPARK_DIR": str(tmp_path / "spark"),
        "MARKETPULSE_LAKE_URL": str(tmp_path / "lake"),
        "MARKETPULSE_SPARK_METHOD": "thrift",
        "MARKETPULSE_SPARK_HOST": "127.0.0.1",
        "MARKETPULSE_SPARK_PORT": str(port),
    }
    for command in (["summary"], ["query", "select 1"]):
        result = subprocess.run(
            [sys.executable, "-m", "marketpulse", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 2, result
        assert result.stderr.count("\n") == 1, result.stderr
        assert f"thrift://127.0.0.1:{port} as marketpulse" in result.stderr
        assert "Could not connect" in result.stderr
    assert not (tmp_path / "spark" / "warehouse").exists()  # the files were not looked for


def test_parameters_take_the_connection_style(tmp_path: Path) -> None:
    """PyHive formats `%s` into the statement (a literal `%` doubled, like psycopg2); the
    DuckDB session over the lake keeps `?`."""
    warehouse = Warehouse.from_env({"WAREHOUSE": "spark", "MARKETPULSE_SPARK_DIR": str(tmp_path)})
    sql = "select * from marts.dim_symbol where symbol like 'X%' and symbol in :symbols"
    params = {"symbols": ["XOM", "XLK"]}
    assert warehouse.bind(sql, params, ("%s", True)) == (
        "select * from marts.dim_symbol where symbol like 'X%%' and symbol in (%s, %s)",
        ("XOM", "XLK"),
    )
    assert warehouse.bind(sql, params)[0].endswith("like 'X%' and symbol in (?, ?)")


def test_reset_leaves_a_server_alone_and_says_so(tmp_path: Path) -> None:
    from marketpulse.warehouse import ConfigError, reset

    (tmp_path / "lake").mkdir()
    warehouse = Warehouse.from_env(
        {
            "WAREHOUSE": "spark",
            "MARKETPULSE_SPARK_DIR": str(tmp_path / "spark"),
            "MARKETPULSE_LAKE_URL": str(tmp_path / "lake"),
            "MARKETPULSE_SPARK_METHOD": "thrift",
            "MARKETPULSE_SPARK_HOST": "spark-thrift.internal",
        }
    )
    with pytest.raises(ConfigError, match=r"tables are on thrift://spark-thrift\.internal:10000"):
        reset.reset(warehouse)
    assert (tmp_path / "lake").exists()


def test_databricks_unreachable_is_one_line_within_a_minute(tmp_path: Path) -> None:
    """databricks-sql-connector retries for 900 s by default; the tools stop after 3 attempts.
    (The path through a real workspace is not testable here: docs/spark.md.)"""
    import time

    port = nothing_listening()
    env = {
        **os.environ,
        "WAREHOUSE": "spark",
        "MARKETPULSE_SPARK_DIR": str(tmp_path / "spark"),
        "MARKETPULSE_SPARK_METHOD": "databricks",
        "MARKETPULSE_SPARK_HOST": "127.0.0.1",
        "MARKETPULSE_SPARK_PORT": str(port),
        "MARKETPULSE_SPARK_HTTP_PATH": "sql/protocolv1/o/1234/0123-456789-abcdefgh",
        "DATABRICKS_TOKEN": "dapi-not-a-token",
    }
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "marketpulse", "summary"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(
        f"error: cannot connect to spark, parquet lake {ROOT / 'data' / 'lake'}, tables on"
        f" databricks https://127.0.0.1:{port}/sql/protocolv1/o/1234/0123-456789-abcdefgh:"
    )
    assert "dapi-not-a-token" not in result.stderr
    assert time.monotonic() - started < 60


def test_catalog_names_are_quoted_identifiers() -> None:
    """The catalog's `show tables in` / `describe` take no parameters: a name goes in backquoted,
    a backquote inside it doubled (Spark SQL's identifier rule), so it cannot end the identifier."""
    assert spark_server._quoted("marts") == "`marts`"
    assert spark_server._quoted("x` ; drop table y; --") == "`x`` ; drop table y; --`"
