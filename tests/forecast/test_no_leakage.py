"""No look-ahead: perturbing every value after a forecast's date leaves that forecast unchanged.

The walk-forward is run twice on the same calendar: once on the inputs, once with every price
and macro value after a cut date replaced by noise. Every forecast (and regime) dated on or
before the cut must be bit-for-bit equal; those after it must change (the perturbation
reaches the models). A deliberately leaky feature fails the same check (the control).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marketpulse.forecast import features, regimes, walkforward
from tests.forecast import synthetic

SETTINGS = walkforward.Settings(refit="monthly", min_history=252, train_window=252)


def perturbed(frame: pd.DataFrame, cut: pd.Timestamp, seed: int, relative: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = frame.copy()
    later = out.index > cut
    noise = rng.normal(0, 0.05, size=(int(later.sum()), out.shape[1]))
    out.loc[later] = out.loc[later].to_numpy() * (np.exp(noise) if relative else 1) + (
        0 if relative else noise
    )
    return out


def run(prices: pd.DataFrame, macro: pd.DataFrame, since: pd.Timestamp) -> pd.DataFrame:
    settings = walkforward.Settings(**{**SETTINGS.__dict__, "since": since.date()})
    frame = walkforward.walk_forward(prices, macro, settings).forecasts
    return frame.sort_values(["symbol", "as_of_date", "horizon", "target", "model"]).reset_index(
        drop=True
    )


@pytest.fixture(scope="module")
def inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    prices = synthetic.prices(n=460)
    return prices, synthetic.macro(prices.index)


def split(frame: pd.DataFrame, cut: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    dates = pd.to_datetime(frame["as_of_date"])
    return frame[dates <= cut].reset_index(drop=True), frame[dates > cut].reset_index(drop=True)


@pytest.mark.parametrize("offset", [0, 7], ids=["cut-on-a-refit-date", "cut-mid-period"])
def test_forecasts_ignore_everything_after_their_date(inputs, offset: int) -> None:
    prices, macro = inputs
    refits = walkforward.refit_positions(prices.index, "monthly")
    first_ready = [p for p in refits if p >= SETTINGS.min_history + 1]
    since = prices.index[first_ready[0]]
    cut = prices.index[first_ready[2] + offset]  # two periods in, so earlier refits are covered
    base = run(prices, macro, since)
    moved = run(
        perturbed(prices, cut, 3, relative=True), perturbed(macro, cut, 4, relative=False), since
    )
    before, after = split(base, cut)
    moved_before, moved_after = split(moved, cut)
    assert len(before) > 1000 and set(before["model"]) == {
        "zero",
        "hist_mean",
        "ewma",
        "garch",
        "lightgbm",
    }
    pd.testing.assert_frame_equal(before, moved_before, check_exact=True)
    # the perturbation reaches later forecasts of every model but the zero baseline
    changed = after.merge(moved_after, on=["symbol", "as_of_date", "horizon", "target", "model"])
    differs = changed[changed["prediction_x"] != changed["prediction_y"]]
    assert set(differs["model"]) == {"hist_mean", "ewma", "garch", "lightgbm"}


def peeking(honest):  # type: ignore[no-untyped-def]
    """price_features with one feature that peeks at the next session's return."""

    def leaky(prices: pd.DataFrame) -> dict[str, pd.DataFrame]:
        frames = honest(prices)
        frames["ret_5"] = features.log_returns(prices).shift(-1)
        return frames

    return leaky


def test_a_leaky_feature_fails_the_same_check(inputs, monkeypatch: pytest.MonkeyPatch) -> None:
    """The control: one feature that peeks at the next session's return is caught."""
    monkeypatch.setattr(features, "price_features", peeking(features.price_features))
    prices, macro = inputs
    refits = walkforward.refit_positions(prices.index, "monthly")
    first_ready = [p for p in refits if p >= SETTINGS.min_history + 1]
    since, cut = prices.index[first_ready[0]], prices.index[first_ready[2] + 3]
    before, _ = split(run(prices, macro, since), cut)
    moved_before, _ = split(run(perturbed(prices, cut, 3, True), macro, since), cut)
    with pytest.raises(AssertionError):
        pd.testing.assert_frame_equal(before, moved_before, check_exact=True)


def test_regimes_ignore_everything_after_their_date() -> None:
    series = synthetic.prices(("SPY",), n=900, seed=5)["SPY"]
    settings = regimes.Settings(n_states=2, min_history=504)
    base, _ = regimes.walk_forward(series, "SPY", settings)
    cut = pd.Timestamp(base["trading_date"].iloc[30])
    moved, _ = regimes.walk_forward(
        perturbed(series.to_frame(), cut, 6, relative=True)["SPY"], "SPY", settings
    )
    dates = pd.to_datetime(base["trading_date"])
    pd.testing.assert_frame_equal(
        base[dates <= cut].reset_index(drop=True),
        moved[pd.to_datetime(moved["trading_date"]) <= cut].reset_index(drop=True),
        check_exact=True,
    )
    later = base[dates > cut]["filtered_probability"].to_numpy()
    assert not np.array_equal(later, moved[dates > cut]["filtered_probability"].to_numpy())
