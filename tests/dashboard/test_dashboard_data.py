"""The data-access module's own mechanics: bound values, waiting for a writer, inversion runs.

The binding itself is the warehouse adapters' (tests/warehouse/test_adapters.py)."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from marketpulse.dashboard import data
from marketpulse.dashboard.views.macro_lens import inversion_periods


def test_a_quote_in_a_symbol_stays_a_value(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create table t (s varchar)")
        connection.execute("insert into t values ('AAPL'), ('x'' or 1=1 --')")
    monkeypatch.setenv("WAREHOUSE", "duckdb")
    monkeypatch.setenv("MARKETPULSE_DUCKDB_PATH", str(path))
    target = data.Target.from_env()
    frame = data.run_query(target, "select s from t where s in :s", s=["x' or 1=1 --"])
    assert frame["s"].tolist() == ["x' or 1=1 --"]


def test_a_reader_waits_for_the_writer_to_let_go(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB allows one writing process per file: readers retry until the lock is released."""
    import subprocess
    import sys
    import time

    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create table t as select 42 as answer")
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True);"
            " time.sleep(1.5)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None and writer.stdout.readline().strip() == "locked"
    monkeypatch.setenv("WAREHOUSE", "duckdb")
    monkeypatch.setenv("MARKETPULSE_DUCKDB_PATH", str(path))
    started = time.monotonic()
    frame = data.run_query(data.Target.from_env(), "select answer from t")
    writer.wait(timeout=30)
    assert frame["answer"].tolist() == [42]
    assert time.monotonic() - started > 0.5  # it did have to wait


def test_inversion_periods_are_contiguous_runs_below_zero() -> None:
    days = pd.date_range("2019-05-20", periods=8, freq="D").date
    frame = pd.DataFrame(
        {"observation_date": days, "spread": [0.1, -0.05, -0.2, 0.0, None, -0.1, -0.3, 0.2]}
    )
    assert inversion_periods(frame, "spread") == [
        (date(2019, 5, 21), date(2019, 5, 22)),
        (date(2019, 5, 25), date(2019, 5, 26)),
    ]
    assert inversion_periods(frame.iloc[:3], "spread") == [(date(2019, 5, 21), date(2019, 5, 22))]


def test_refresh_interval_defaults_to_30_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MARKETPULSE_DASHBOARD_REFRESH_MINUTES", raising=False)
    assert data.refresh_minutes() == 30
    monkeypatch.setenv("MARKETPULSE_DASHBOARD_REFRESH_MINUTES", "5")
    assert data.refresh_minutes() == 5
