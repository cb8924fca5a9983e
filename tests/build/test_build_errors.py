"""`marketpulse build` when the world is hostile (issue 17, item 9): a DuckDB file another
process holds, and marts that cannot be read after a green dbt build. One line, exit 2."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import cli


def test_build_while_another_process_holds_the_duckdb_file(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    holder = duckdb.connect(str(path))  # this test process is the other writer
    try:
        result = cli("build", env={"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(path)})
    finally:
        holder.close()
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        f"error: cannot open duckdb file {path}: IO Error: Could not set lock"
    )
    assert "Conflicting lock" in lines[0] and "Traceback" not in result.stderr


@pytest.mark.usefixtures("runs_dbt")
def test_build_green_but_marts_unreadable_is_one_line(tmp_path: Path) -> None:
    """The quality mart is a view over a parquet file that has since gone (a lake's marts are
    such views); dbt builds the FRED staging models green, then the post-build quality read
    fails."""
    path = tmp_path / "wh.duckdb"
    env = {"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(path)}
    loaded = cli("ingest", "--sample", "--sources", "fred", "--quiet", env=env)
    assert loaded.returncode == 0, loaded.stderr
    gone = tmp_path / "quality.parquet"
    with duckdb.connect(str(path)) as connection:
        connection.execute(f"copy (select 'symbol' as entity_type) to '{gone}' (format parquet)")
        connection.execute("create schema if not exists marts")
        connection.execute(
            f"create view marts.fct_data_quality as select * from read_parquet('{gone}')"
        )
    gone.unlink()
    result = cli("build", "--select", "staging.fred", env=env)
    assert result.returncode == 2, result.stdout[-3000:] + result.stderr
    assert "Completed successfully" in result.stdout  # dbt itself was green
    lines = result.stderr.splitlines()
    assert lines == [
        f"error: dbt build passed, but the marts in duckdb file {path} cannot be read: "
        f'IO Error: No files found that match the pattern "{gone}"'
    ], result.stderr
