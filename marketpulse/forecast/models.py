"""The models, each from a kept library, and the versions fct_forecasts records.

return     zero (baseline), hist_mean (expanding mean x h), lightgbm
volatility ewma (baseline, RiskMetrics 0.94), garch (GARCH(1,1), arch), lightgbm

Intervals are 90 %: for returns prediction +- 1.645 * ewma_vol * sqrt(h) (normal); for
volatility the chi-square band of a realised volatility of h normal returns around the
prediction, prediction * sqrt(chi2_h(0.05 | 0.95) / h). Both ignore fat tails: fct_forecast_accuracy
reports how often the realised value fell inside.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from importlib.metadata import version

import lightgbm
import numpy as np
from scipy import stats

SEED = 7
Z_90 = float(stats.norm.ppf(0.95))
BASELINES = {"return": "zero", "volatility": "ewma"}
MODELS = {"return": ("zero", "hist_mean", "lightgbm"), "volatility": ("ewma", "garch", "lightgbm")}
GARCH_WINDOW = 1000  # returns before the refit date the GARCH is fitted on
GARCH_SCALE = 100.0  # arch's optimiser works best on percent returns
# The percent returns GARCH is fitted on are rounded to this many decimals (1e-8 in daily log
# return units, far below a price's precision). The likelihood's maximum (SLSQP, numerical
# gradients) moves with the last bits of its inputs: DuckDB's, Postgres' and Spark's adj_close
# agree to ~1e-15, and unrounded such noise moved every demo GARCH forecast, by up to 2.6 %, and
# could flip a fit's acceptance (a symbol-quarter present on one warehouse only). Rounded, the
# warehouses fit the same numbers unless a return sits within ~1e-15 of a rounding boundary.
GARCH_DECIMALS = 6
LIGHTGBM_PARAMS = {
    "n_estimators": 60,
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_child_samples": 200,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "max_bin": 63,
    "random_state": SEED,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,
    "verbose": -1,
}


def model_versions() -> dict[str, str]:
    """model -> what made it: the library and its version, the settings that matter."""
    arch_version = version("arch")
    lgbm = version("lightgbm")
    return {
        "zero": "baseline: 0",
        "hist_mean": f"expanding mean of daily log returns x h; numpy {np.__version__}",
        "ewma": f"baseline: RiskMetrics EWMA lambda 0.94; pandas {_pandas_version()}",
        "garch": f"GARCH(1,1) constant mean, normal, {GARCH_WINDOW} returns; arch {arch_version}",
        "lightgbm": f"LGBMRegressor 60 trees seed {SEED}, pooled over symbols; lightgbm {lgbm}",
    }


def _pandas_version() -> str:
    import pandas

    return pandas.__version__


def return_interval(prediction: np.ndarray, ewma_vol: np.ndarray, h: int) -> tuple:
    half = Z_90 * ewma_vol * np.sqrt(h)
    return prediction - half, prediction + half


def volatility_interval(prediction: np.ndarray, h: int) -> tuple:
    low, high = stats.chi2.ppf([0.05, 0.95], h)
    return prediction * np.sqrt(low / h), prediction * np.sqrt(high / h)


@dataclass(frozen=True)
class Garch:
    """GARCH(1,1) parameters on percent returns, and the refit date's sigma^2 and residual."""

    mu: float
    omega: float
    alpha: float
    beta: float
    last_variance: float
    last_residual: float

    def to_list(self) -> list[float]:
        return [self.mu, self.omega, self.alpha, self.beta, self.last_variance, self.last_residual]


def fit_garch(returns: np.ndarray, start: list[float] | None = None) -> Garch | None:
    """Fit on `returns` (daily log returns up to the refit date, oldest first); None when the
    optimiser fails (the symbol gets no garch forecast for that period)."""
    from arch import arch_model

    scaled = np.round(returns * GARCH_SCALE, GARCH_DECIMALS)
    model = arch_model(scaled, mean="Constant", vol="GARCH", p=1, q=1, dist="normal", rescale=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = model.fit(
                disp="off",
                starting_values=np.array(start[:4]) if start else None,
                options={"maxiter": 200},
            )
        except (ValueError, np.linalg.LinAlgError):
            return None
    mu, omega, alpha, beta = (float(x) for x in result.params.to_numpy())
    last_variance = float(np.asarray(result.conditional_volatility)[-1]) ** 2
    last_residual = float(scaled[-1] - mu)
    values = [mu, omega, alpha, beta, last_variance, last_residual]
    if not np.isfinite(values).all() or alpha + beta >= 1 or omega <= 0:
        return None
    return Garch(*values)


def garch_forecasts(fit: Garch, returns_after: np.ndarray, horizons: tuple[int, ...]) -> np.ndarray:
    """Volatility forecasts (daily units) made at the refit date and at each later date.

    `returns_after` are the daily log returns of the sessions after the refit date. Row i is
    the forecast made i sessions after the refit date, one column per horizon: the square root
    of the mean of E[sigma^2_{t+k} | t] over k = 1..h (arch's analytic multi-step forecast).
    """
    persistence = fit.alpha + fit.beta
    unconditional = fit.omega / (1 - persistence)
    scaled = np.round(returns_after * GARCH_SCALE, GARCH_DECIMALS)  # as the fit saw them
    residuals = np.concatenate([[fit.last_residual], scaled - fit.mu])
    next_variance = np.empty(len(residuals))
    variance = fit.last_variance
    for i, residual in enumerate(residuals):
        variance = fit.omega + fit.alpha * residual**2 + fit.beta * variance
        next_variance[i] = variance
    out = np.empty((len(residuals), len(horizons)))
    for j, h in enumerate(horizons):
        decay = persistence ** np.arange(h)
        mean_variance = unconditional + np.outer(next_variance - unconditional, decay).mean(axis=1)
        out[:, j] = np.sqrt(mean_variance) / GARCH_SCALE
    return out


def lightgbm_regressor() -> lightgbm.LGBMRegressor:
    return lightgbm.LGBMRegressor(**LIGHTGBM_PARAMS)
