"""`make bench-forecast` end to end on a small universe, so its code path cannot rot (no timing
assertions): the daily refresh it judges is the forecasts plus the dbt build of the forecast
marts, and that build reads a whole walk-forward's history, not only the month the bench ran."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.forecast import main

SYMBOLS, YEARS = 10, 3
# (zero, hist_mean, lightgbm) x return + (ewma, garch, lightgbm) x volatility, x 3 horizons
PER_SESSION = 18


@pytest.mark.usefixtures("runs_dbt")
def test_the_daily_refresh_is_the_forecasts_and_the_marts_build_over_the_history(
    tmp_path: Path,
) -> None:
    out = tmp_path / "forecast.json"
    assert main(["--symbols", str(SYMBOLS), "--years", str(YEARS), "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    refresh, build = result["refresh"]["seconds"], result["marts_build"]["seconds"]
    assert result["daily_refresh_seconds"] == pytest.approx(refresh + build, abs=0.011)
    assert result["met"] == (result["daily_refresh_seconds"] <= result["target_seconds"])
    # the new session's forecasts: every symbol and SPY, every model, target and horizon
    assert result["refresh"]["rows"] == (SYMBOLS + 1) * PER_SESSION
    # the history: the same shape on every session from the second year to the refit date
    sessions = result["sessions"]
    history = result["marts_build"]["forecast_rows"]
    assert history % ((SYMBOLS + 1) * PER_SESSION) == 0
    assert (YEARS - 1) * 240 < history // ((SYMBOLS + 1) * PER_SESSION) < sessions
