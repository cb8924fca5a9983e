"""The LSTM (the `deep` extra): no look-ahead, deterministic, a refresh from the stored networks
equals the full run, its version recorded. A small network (8 units, 2 epochs) on the synthetic
inputs of the other forecast tests; one compiled architecture for the whole module."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from marketpulse.forecast import features, lstm, walkforward
from tests.forecast import synthetic
from tests.forecast.test_no_leakage import peeking, perturbed, split

pytestmark = pytest.mark.usefixtures("deep_available")

SETTINGS = walkforward.Settings(refit="monthly", min_history=252, train_window=252)
NETWORK = lstm.Network(units=8, epochs=2)
KEY = ["symbol", "as_of_date", "horizon", "target", "model"]


def run(prices: pd.DataFrame, macro: pd.DataFrame, since: pd.Timestamp) -> pd.DataFrame:
    settings = walkforward.Settings(**{**SETTINGS.__dict__, "since": since.date()})
    frame = lstm.walk_forward(prices, macro, settings, NETWORK).forecasts
    return frame.sort_values(KEY).reset_index(drop=True)


@pytest.fixture(scope="module")
def inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    prices = synthetic.prices(n=460)
    return prices, synthetic.macro(prices.index)


def first_refits(prices: pd.DataFrame) -> list[int]:
    refits = walkforward.refit_positions(prices.index, "monthly")
    return [int(p) for p in refits if p >= SETTINGS.min_history + 1]


@pytest.mark.parametrize("offset", [0, 7], ids=["cut-on-a-refit-date", "cut-mid-period"])
def test_lstm_forecasts_ignore_everything_after_their_date(inputs, offset: int) -> None:
    prices, macro = inputs
    ready = first_refits(prices)
    since, cut = prices.index[ready[0]], prices.index[ready[2] + offset]
    base = run(prices, macro, since)
    moved = run(
        perturbed(prices, cut, 3, relative=True), perturbed(macro, cut, 4, relative=False), since
    )
    before, after = split(base, cut)
    moved_before, moved_after = split(moved, cut)
    assert len(before) > 500 and set(before["model"]) == {"lstm"}
    assert set(before["target"]) == {"return", "volatility"}
    pd.testing.assert_frame_equal(before, moved_before, check_exact=True)
    assert len(after) == len(moved_after) > 0
    assert (after["prediction"] != moved_after["prediction"]).mean() > 0.9  # the noise reaches them


def test_a_peeking_lstm_fails_the_same_check(inputs, monkeypatch: pytest.MonkeyPatch) -> None:
    """The control: the same check catches one feature that peeks at the next session."""
    monkeypatch.setattr(features, "price_features", peeking(features.price_features))
    prices, macro = inputs
    ready = first_refits(prices)
    since, cut = prices.index[ready[0]], prices.index[ready[2] + 3]
    before, _ = split(run(prices, macro, since), cut)
    moved_before, _ = split(run(perturbed(prices, cut, 3, True), macro, since), cut)
    with pytest.raises(AssertionError):
        pd.testing.assert_frame_equal(before, moved_before, check_exact=True)


def test_two_runs_are_equal_and_the_version_is_recorded(inputs) -> None:
    prices, macro = inputs
    since = prices.index[first_refits(prices)[-2]]
    first, second = run(prices, macro, since), run(prices, macro, since)
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    assert len(first) == 3 * 3 * 2 * len(set(first["as_of_date"]))  # 3 symbols x 3 h x 2 targets
    versions = set(first["model_version"])
    assert len(versions) == 1
    (text,) = versions
    from importlib.metadata import version

    assert f"keras {version('keras')}" in text and f"jax {version('jax')}" in text
    assert "LSTM(8) on 20 sessions x 14 features" in text and "2 epochs" in text
    assert "seed 7" in text
    vol = first[first["target"] == "volatility"]
    assert (vol["prediction"] > 0).all() and (vol["lower"] < vol["prediction"]).all()
    ret = first[first["target"] == "return"]
    assert (ret["lower"] < ret["prediction"]).all() and (ret["prediction"] < ret["upper"]).all()


@pytest.mark.parametrize("last_day", [-1, -2], ids=["mid-period", "a new month's first session"])
def test_lstm_refresh_from_the_stored_state_equals_the_full_run(last_day: int) -> None:
    prices = synthetic.prices(n=400)
    macro = synthetic.macro(prices.index)
    settings = walkforward.Settings(**{**SETTINGS.__dict__, "since": prices.index[330].date()})
    refits = walkforward.refit_positions(prices.index, "monthly")
    k = len(prices) - 1 if last_day == -1 else int(refits[-1])
    assert (k in refits) == (last_day == -2)
    full = lstm.walk_forward(prices.iloc[: k + 1], macro, settings, NETWORK).forecasts
    before = lstm.walk_forward(prices.iloc[:k], macro, settings, NETWORK)
    stored = lstm.LstmState.from_json(json.loads(json.dumps(before.state.to_json())))
    refresh = lstm.walk_forward(
        prices.iloc[: k + 1], macro, settings, NETWORK, prices.index[k - 1].date(), stored
    )
    assert refresh.refits == (1 if last_day == -2 else 0)
    new = refresh.forecasts.sort_values(KEY).reset_index(drop=True)
    expected = full[full["as_of_date"] == prices.index[k].date()]
    assert len(new) == 3 * 3 * 2
    pd.testing.assert_frame_equal(
        new, expected.sort_values(KEY).reset_index(drop=True), check_exact=True
    )


def test_stored_networks_of_another_architecture_or_universe_are_refitted(inputs) -> None:
    prices, macro = inputs
    settings = walkforward.Settings(**{**SETTINGS.__dict__, "since": prices.index[-30].date()})
    first = lstm.walk_forward(prices.iloc[:-1], macro, settings, NETWORK)
    other = lstm.Network(units=8, epochs=3)
    again = lstm.walk_forward(prices, macro, settings, other, prices.index[-2].date(), first.state)
    assert again.refits == 1 and again.state.network["epochs"] == 3
    assert np.isfinite(again.forecasts["prediction"]).all()
    # networks pooled over another universe (a --symbols run) are refitted too
    fewer = lstm.walk_forward(
        prices.drop(columns="BBB"), macro, settings, NETWORK, prices.index[-2].date(), first.state
    )
    assert fewer.refits == 1 and fewer.state.symbols == ["AAA", "SPY"]
    assert first.state.symbols == ["AAA", "BBB", "SPY"]
