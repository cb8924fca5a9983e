"""A daily refresh with the stored models gives the rows a full walk-forward gives.

The refresh runs on the sessions up to day k with the state a run up to day k-1 kept (the
fitted models of the latest refit), in mid-period and across a new month's refit."""

from __future__ import annotations

import pandas as pd
import pytest

from marketpulse.forecast import regimes, walkforward
from tests.forecast import synthetic

SETTINGS = walkforward.Settings(min_history=252, train_window=252)
KEY = ["symbol", "as_of_date", "horizon", "target", "model"]


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return synthetic.prices(n=400)


@pytest.mark.parametrize("last_day", [-1, -2], ids=["mid-period", "a new month's first session"])
def test_forecast_refresh_equals_the_full_run(prices: pd.DataFrame, last_day: int) -> None:
    macro = synthetic.macro(prices.index)
    since = prices.index[330].date()
    settings = walkforward.Settings(**{**SETTINGS.__dict__, "since": since})
    refits = walkforward.refit_positions(prices.index, "monthly")
    # day k: the last session, or the first session of the last month (a refit day)
    k = len(prices) - 1 if last_day == -1 else int(refits[-1])
    assert (k in refits) == (last_day == -2)
    full = walkforward.walk_forward(prices.iloc[: k + 1], macro, settings).forecasts
    before = walkforward.walk_forward(prices.iloc[:k], macro, settings)
    refresh = walkforward.walk_forward(
        prices.iloc[: k + 1], macro, settings, after=prices.index[k - 1].date(), state=before.state
    )
    assert refresh.refits == (1 if last_day == -2 else 0)
    new = refresh.forecasts.sort_values(KEY).reset_index(drop=True)
    expected = full[full["as_of_date"] == prices.index[k].date()]
    pd.testing.assert_frame_equal(new, expected.sort_values(KEY).reset_index(drop=True))
    assert len(new) == 3 * 3 * 6


def test_regime_refresh_equals_the_full_run() -> None:
    series = synthetic.prices(("SPY",), n=800, seed=5)["SPY"]
    settings = regimes.Settings(n_states=2, min_history=504)
    full, _ = regimes.walk_forward(series, "SPY", settings)
    for k in (760, 790):  # a refit inside, and none
        head, stored = regimes.walk_forward(series.iloc[:k], "SPY", settings)
        after = pd.Timestamp(head["trading_date"].iloc[-1]) + pd.Timedelta(days=1)
        since = regimes.Settings(n_states=2, min_history=504, since=after)
        tail, _ = regimes.walk_forward(series, "SPY", since, stored)
        expected = full[pd.to_datetime(full["trading_date"]) >= after].reset_index(drop=True)
        pd.testing.assert_frame_equal(
            tail.reset_index(drop=True), expected, check_exact=False, rtol=1e-9
        )


def test_lightgbm_threads_change_no_forecast(prices: pd.DataFrame) -> None:
    """Boosters trained side by side (workers=2, each single-threaded) equal the one-by-one run
    bit for bit: the number of cores never changes a stored forecast."""
    macro = synthetic.macro(prices.index)
    since = prices.index[300].date()
    runs = [
        walkforward.walk_forward(
            prices,
            macro,
            walkforward.Settings(**{**SETTINGS.__dict__, "since": since, "workers": n}),
        ).forecasts
        for n in (1, 2)
    ]
    assert (runs[0]["model"] == "lightgbm").sum() > 0
    pd.testing.assert_frame_equal(runs[0], runs[1], check_exact=True)
