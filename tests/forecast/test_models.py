"""The models against their libraries' own numbers (independent references)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from arch import arch_model

from marketpulse.forecast import features, models, regimes, walkforward
from tests.forecast import synthetic


def test_garch_daily_forecasts_equal_arch_with_the_fitted_parameters() -> None:
    """Our recursion after the refit date (stored parameters, no refit) against arch's own
    multi-step forecasts of the same fixed-parameter model over the longer series."""
    returns = features.log_returns(synthetic.prices(("AAA",), n=900))["AAA"].dropna().to_numpy()
    n, later = 800, 40
    fit = models.fit_garch(returns[:n])
    assert fit is not None and 0 < fit.alpha + fit.beta < 1
    ours = models.garch_forecasts(fit, returns[n : n + later], features.HORIZONS)
    # the percent returns as the model sees them: rounded to GARCH_DECIMALS
    scaled = np.round(returns[: n + later] * models.GARCH_SCALE, models.GARCH_DECIMALS)
    fixed = arch_model(scaled, mean="Constant", vol="GARCH", p=1, q=1, rescale=False).fix(
        [fit.mu, fit.omega, fit.alpha, fit.beta]
    )
    variance = fixed.forecast(horizon=21, start=n - 1, reindex=False).variance.to_numpy()
    for j, h in enumerate(features.HORIZONS):
        reference = np.sqrt(variance[:, :h].mean(axis=1)) / models.GARCH_SCALE
        np.testing.assert_allclose(ours[:, j], reference, rtol=1e-9)


def test_ewma_baseline_is_the_riskmetrics_recursion() -> None:
    r = np.array([0.01, -0.02, 0.005, 0.03])
    frame = features.ewma_variance(pd.DataFrame({"x": r}))["x"].to_numpy()
    expected = [r[0] ** 2]
    for value in r[1:]:
        expected.append(0.94 * expected[-1] + 0.06 * value**2)
    np.testing.assert_allclose(frame, expected, rtol=1e-12)


def test_filtered_probabilities_equal_hmmlearns_posterior_at_the_last_session() -> None:
    """Filtering at t = smoothing with nothing after t: hmmlearn's predict_proba on the
    sessions up to t, its last row, is the reference."""
    series = synthetic.prices(("SPY",), n=700, seed=5)["SPY"]
    x = regimes.observations(series).to_numpy()
    model = regimes.fit_hmm(x[:500], 3)
    ours = regimes.filtered_probabilities(model, x)
    for t in (0, 1, 17, 250, 499, 650, len(x) - 1):
        np.testing.assert_allclose(ours[t], model.predict_proba(x[: t + 1])[-1], atol=1e-9)
    smoothed = model.predict_proba(x)
    assert np.abs(smoothed[:-1] - ours[:-1]).max() > 1e-3  # smoothing differs: not what we store


def test_regime_labels_are_ordered_by_volatility() -> None:
    series = synthetic.prices(("SPY",), n=900, seed=5)["SPY"]
    frame, _ = regimes.walk_forward(series, "SPY", regimes.Settings(n_states=2, min_history=504))
    by_label = frame.groupby("regime_label")["regime_volatility"].mean()
    assert by_label["calm"] < by_label["turbulent"]
    assert frame["filtered_probability"].between(0.5, 1).all()  # the argmax of two states


def test_a_symbol_with_too_little_history_gets_one_line_and_no_forecast() -> None:
    prices = synthetic.prices(n=460)
    prices.loc[prices.index[:300], "BBB"] = np.nan  # listed late: 159 returns at the end
    settings = walkforward.Settings(min_history=252, train_window=252)
    result = walkforward.walk_forward(prices, synthetic.macro(prices.index), settings)
    assert set(result.forecasts["symbol"]) == {"AAA", "SPY"}
    assert list(result.skipped) == ["BBB"]
    line = result.skipped["BBB"]
    assert "\n" not in line and "159 daily returns" in line and "252 needed" in line


def test_too_short_a_history_for_anything_is_an_empty_result_not_a_crash() -> None:
    prices = synthetic.prices(n=120)
    result = walkforward.walk_forward(prices, synthetic.macro(prices.index), walkforward.Settings())
    assert result.forecasts.empty and set(result.skipped) == {"AAA", "BBB", "SPY"}


def test_garch_fits_do_not_move_with_the_last_bits_of_the_prices() -> None:
    """Warehouses' adj_close agree to ~1e-15 relative, not bit for bit; the fit (SLSQP on a
    numerical gradient) must not amplify that: unrounded, this noise moved the parameters."""
    prices = synthetic.prices(("AAA",), n=1100)
    noise = np.random.default_rng(3).standard_normal(prices.shape)
    fits = [
        models.fit_garch(features.log_returns(frame)["AAA"].dropna().to_numpy())
        for frame in (prices, prices * (1 + 2e-15 * noise))
    ]
    assert fits[0] is not None and fits[0] == fits[1]
