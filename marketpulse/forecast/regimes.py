"""Market regimes: a Gaussian HMM (hmmlearn) on the benchmark's daily log return and its
21-session realised volatility, walk-forward and filtered.

At each refit date (first session of a month) the HMM is fitted on the sessions up to that
date. For every session t of the period, the probability of each state is the forward
algorithm's filtered probability P(state_t | x_1..x_t) under those parameters: data up to t
only, never smoothed with later sessions (hmmlearn's predict_proba smooths; its last row is
the filtered probability, which tests/forecast/test_regimes.py checks against). States are
ordered by their return volatility: 0 calm ... n-1 turbulent.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from importlib.metadata import version

import numpy as np
import pandas as pd

from marketpulse.forecast.features import log_returns
from marketpulse.forecast.walkforward import ForecastError, refit_positions

SEED = 7
VOL_WINDOW = 21
LABELS = {2: ("calm", "turbulent"), 3: ("calm", "normal", "turbulent")}
COLUMNS = [
    "symbol",
    "trading_date",
    "n_states",
    "regime_index",
    "regime_label",
    "filtered_probability",
    "regime_mean_return",
    "regime_volatility",
    "fitted_through_date",
    "model_version",
]


@dataclass(frozen=True)
class Settings:
    n_states: int = 3
    min_history: int = 504  # sessions before the first fit
    since: pd.Timestamp | None = None  # first trading_date to label
    refit: str = "monthly"

    def check(self) -> None:
        if self.n_states not in LABELS:
            raise ForecastError(f"regime states must be 2 or 3, not {self.n_states}")


def observations(prices: pd.Series) -> pd.DataFrame:
    """x_t = (daily log return, log of the trailing 21-session realised volatility), both known
    at t's close; in percent so the HMM's variances are of order 1."""
    returns = log_returns(prices.to_frame()).iloc[:, 0]
    vol = np.sqrt((returns**2).rolling(VOL_WINDOW).mean())
    frame = pd.DataFrame({"ret": returns * 100, "log_vol": np.log(vol * 100)})
    return frame.dropna()


def fit_hmm(x: np.ndarray, n_states: int, previous: dict | None = None):  # type: ignore[no-untyped-def]
    """Fit on x (sessions up to the refit date). The first fit starts from k-means (fixed
    seed); later ones from the previous refit's parameters (`previous`, stored between runs in
    raw_forecast.model_state), so a daily refresh continues the chain a full run builds."""
    from hmmlearn.hmm import GaussianHMM

    model = GaussianHMM(
        n_components=n_states, covariance_type="diag", n_iter=100, tol=1e-4, random_state=SEED
    )
    if previous is not None and len(previous["means"]) == n_states:
        model.init_params = ""
        _set_parameters(model, previous)
    quiet = logging.getLogger("hmmlearn.base")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # "not converging" by 1e-4 of a log-likelihood: not news
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(x)
    finally:
        quiet.setLevel(level)
    return model


def _set_parameters(model, stored: dict) -> None:  # type: ignore[no-untyped-def]
    model.startprob_ = np.array(stored["startprob"])
    model.transmat_ = np.array(stored["transmat"])
    model.means_ = np.array(stored["means"])
    model.covars_ = np.array(stored["covars"])


def stored_parameters(model, refit_date) -> dict:  # type: ignore[no-untyped-def]
    """The fitted parameters as JSON-ready lists (diagonal variances), with their refit date."""
    return {
        "refit_date": refit_date.isoformat(),
        "startprob": model.startprob_.tolist(),
        "transmat": model.transmat_.tolist(),
        "means": model.means_.tolist(),
        "covars": [np.diag(c).tolist() for c in model.covars_],
    }


def model_from(stored: dict):  # type: ignore[no-untyped-def]
    from hmmlearn.hmm import GaussianHMM

    model = GaussianHMM(n_components=len(stored["means"]), covariance_type="diag")
    model.n_features = len(stored["means"][0])
    _set_parameters(model, stored)
    return model


def filtered_probabilities(model, x: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """P(state_t | x_1..x_t) for every t: the normalised forward recursion."""
    means = model.means_
    variances = np.array([np.diag(c) for c in model.covars_])
    log_emission = -0.5 * (
        np.log(2 * np.pi * variances)[None, :, :]
        + (x[:, None, :] - means[None, :, :]) ** 2 / variances[None, :, :]
    ).sum(axis=2)
    # scaled (not log) recursion: each row's emissions divided by its largest, which the
    # normalisation removes again
    emission = np.exp(log_emission - log_emission.max(axis=1, keepdims=True))
    transmat = model.transmat_
    out = np.empty((len(x), model.n_components))
    alpha = model.startprob_ * emission[0]
    out[0] = alpha = alpha / alpha.sum()
    for t in range(1, len(x)):
        alpha = (alpha @ transmat) * emission[t]
        out[t] = alpha = alpha / alpha.sum()
    return out


def walk_forward(
    prices: pd.Series, symbol: str, settings: Settings, stored: dict | None = None
) -> tuple[pd.DataFrame, dict | None]:
    """One row per session from the first refit with min_history observations onwards (from
    settings.since when set), and the last refit's parameters to store. `stored`: the
    parameters a previous run kept; a refit date equal to theirs is not fitted again."""
    settings.check()
    obs = observations(prices.sort_index())
    dates = pd.DatetimeIndex(pd.to_datetime(obs.index))
    x = obs.to_numpy()
    refits = [int(p) for p in refit_positions(dates, settings.refit) if p >= settings.min_history]
    if settings.since is not None:
        start = int(dates.searchsorted(pd.Timestamp(settings.since)))
        earlier = [p for p in refits if p <= start]
        refits = ([earlier[-1]] if earlier else []) + [p for p in refits if p > start]
    else:
        start = refits[0] if refits else len(dates)
    if not refits:
        raise ForecastError(
            f"{symbol}: no regimes: {len(x)} sessions of returns, at least "
            f"{settings.min_history + 1} needed"
        )
    model_version = (
        f"GaussianHMM {settings.n_states} states diag, seed {SEED}; hmmlearn {version('hmmlearn')}"
    )
    parts = []
    for i, refit_pos in enumerate(refits):
        end = refits[i + 1] if i + 1 < len(refits) else len(x)
        refit_date = dates[refit_pos].date()
        if stored is not None and stored["refit_date"] == refit_date.isoformat():
            model = model_from(stored)
        else:
            model = fit_hmm(x[: refit_pos + 1], settings.n_states, stored)
            stored = stored_parameters(model, refit_date)
        # the forward pass from the first session; its values up to `end` see nothing later
        probabilities = filtered_probabilities(model, x[:end])
        order = np.argsort(np.sqrt(model.covars_[:, 0, 0]))
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        begin = max(refit_pos, start)
        period = probabilities[begin:end]
        state = period.argmax(axis=1)
        parts.append(
            pd.DataFrame(
                {
                    "symbol": symbol,
                    "trading_date": [d.date() for d in dates[begin:end]],
                    "n_states": settings.n_states,
                    "regime_index": rank[state],
                    "regime_label": [LABELS[settings.n_states][r] for r in rank[state]],
                    "filtered_probability": period.max(axis=1),
                    "regime_mean_return": model.means_[state, 0] / 100,
                    "regime_volatility": np.sqrt(model.covars_[state, 0, 0]) / 100,
                    "fitted_through_date": dates[refit_pos].date(),
                    "model_version": model_version,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)[COLUMNS], stored
