"""Walk-forward forecasts: refit on a schedule with what was known then, predict daily.

The calendar is the sessions of the price frame. A refit date is the first session of each
month (or quarter). The models fitted at refit date R see prices up to R's close, the macro
values known on each session up to R, and training targets whose last day is on or before R;
they make every forecast dated R up to the session before the next refit. A forecast dated t
uses those models and the features of t (trailing windows ending at t). Nothing after t
reaches a forecast dated t: tests/forecast/test_no_leakage.py perturbs every later value.

Incremental: the last period's fitted models are kept (State); a refresh after one new
session refits only when that session starts a new period, otherwise it predicts with them.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from marketpulse.forecast import features, models
from marketpulse.forecast.features import HORIZONS


class ForecastError(Exception):
    """Bad input or settings a user can fix; the message is one line."""


@dataclass(frozen=True)
class Settings:
    refit: str = "monthly"  # or "quarterly"
    since: date | None = None  # first as_of_date to forecast (default: as soon as possible)
    min_history: int = 252  # daily returns a symbol needs before its first forecast
    train_window: int = 504  # sessions of training rows per LightGBM refit
    # threads training LightGBM boosters side by side (each single-threaded, so every model is
    # the same whatever the number). None: MARKETPULSE_FORECAST_WORKERS, else the cores this
    # process may use.
    workers: int | None = None

    def check(self) -> None:
        if self.refit not in ("monthly", "quarterly"):
            raise ForecastError(f"refit must be monthly or quarterly, not {self.refit!r}")
        if self.min_history < 63:
            raise ForecastError(f"min_history {self.min_history} is under 63 sessions")
        if self.workers is not None and self.workers < 1:
            raise ForecastError(f"workers must be at least 1, not {self.workers}")

    def worker_count(self) -> int:
        if self.workers is not None:
            return self.workers
        value = os.environ.get("MARKETPULSE_FORECAST_WORKERS", "").strip()
        if value:
            if not value.isdigit() or int(value) < 1:
                raise ForecastError(
                    f"MARKETPULSE_FORECAST_WORKERS must be a whole number of at least 1, not {value!r}"
                )
            return int(value)
        return max(1, len(os.sched_getaffinity(0)))


@dataclass
class State:
    """The fitted models of the latest refit date (what a daily refresh predicts with)."""

    refit_date: date
    garch: dict[str, list[float]]
    lightgbm: dict[str, str]  # "return_5" -> LightGBM model text

    def to_json(self) -> dict:
        return {
            "refit_date": self.refit_date.isoformat(),
            "garch": self.garch,
            "lightgbm": self.lightgbm,
        }

    @classmethod
    def from_json(cls, data: dict) -> State:
        return cls(date.fromisoformat(data["refit_date"]), data["garch"], data["lightgbm"])


@dataclass
class Result:
    forecasts: pd.DataFrame
    skipped: dict[str, str] = field(default_factory=dict)  # symbol -> why it got no forecast
    state: State | None = None
    refits: int = 0  # periods whose models were fitted in this run (not taken from the state)


COLUMNS = [
    "symbol",
    "as_of_date",
    "horizon",
    "target",
    "model",
    "model_version",
    "prediction",
    "lower",
    "upper",
    "fitted_through_date",
]


def refit_positions(dates: pd.DatetimeIndex, refit: str) -> np.ndarray:
    """Positions of the first session of each month (quarter) after the first session."""
    period = dates.to_period("M" if refit == "monthly" else "Q")
    change = np.flatnonzero(period[1:] != period[:-1]) + 1
    return change


def walk_forward(
    prices: pd.DataFrame,
    macro: pd.DataFrame,
    settings: Settings,
    after: date | None = None,
    state: State | None = None,
) -> Result:
    """Forecasts for every session after `after` (all sessions from `settings.since` when None).

    prices: adj_close, index trading_date (sorted, unique), one column per symbol.
    macro: as-of values, index trading_date, one column per FRED series.
    """
    settings.check()
    prices = prices.sort_index()
    dates = pd.DatetimeIndex(pd.to_datetime(prices.index))
    prices = prices.set_axis(dates)
    returns = features.log_returns(prices)
    counts = returns.notna().cumsum()
    refits = refit_positions(dates, settings.refit)
    skipped: dict[str, str] = {}
    if len(refits) == 0:
        raise ForecastError(
            f"{len(dates)} sessions hold no refit date (the first session of a month): "
            "more history is needed"
        )
    first = _first_position(dates, counts, refits, settings, after)
    if first is None:
        return Result(pd.DataFrame(columns=COLUMNS), _skip_reasons(counts, settings, dates), state)
    frames = features.price_features(prices)
    macro_frame = features.macro_features(
        macro.set_axis(pd.DatetimeIndex(pd.to_datetime(macro.index))), dates
    )
    target_frames = features.targets(prices)
    expanding_mean = returns.expanding(min_periods=1).mean()
    ewma_vol = frames["ewma_vol"]
    versions = models.model_versions()
    out: list[pd.DataFrame] = []
    refitted = 0
    previous_garch = dict(state.garch) if state else {}  # each symbol's last fit: a warm start
    period_starts = [int(p) for p in refits if p <= first]
    periods = [period_starts[-1]] + [int(p) for p in refits if p > first]
    universe = {
        refit_pos: [s for s in prices.columns if counts[s].iloc[refit_pos] >= settings.min_history]
        for refit_pos in periods
    }
    to_fit = [
        refit_pos
        for refit_pos in periods
        if universe[refit_pos]
        and not (
            state is not None
            and state.refit_date == dates[refit_pos].date()
            and _covers(state, universe[refit_pos])
        )
    ]
    workers = settings.worker_count()
    garch_fits = _garch_fits(returns, to_fit, universe, previous_garch)
    for i, refit_pos in enumerate(periods):
        begin = max(refit_pos, first)
        end = periods[i + 1] if i + 1 < len(periods) else len(dates)  # exclusive
        refit_date = dates[refit_pos].date()
        eligible = universe[refit_pos]
        if not eligible:
            continue
        if refit_pos not in garch_fits:
            assert state is not None  # to_fit holds every period the state does not cover
            fitted = state
        else:
            fitted = _fit(
                refit_pos,
                refit_date,
                eligible,
                frames,
                macro_frame,
                target_frames,
                settings,
                garch_fits[refit_pos],
                workers,
            )
            refitted += 1
        state = fitted
        out.extend(
            _predict(
                begin,
                end,
                refit_pos,
                eligible,
                prices,
                returns,
                frames,
                macro_frame,
                expanding_mean,
                ewma_vol,
                fitted,
                versions,
                dates,
            )
        )
    forecasts = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=COLUMNS)
    forecasted = set(forecasts["symbol"]) if len(forecasts) else set()
    for symbol, reason in _skip_reasons(counts, settings, dates).items():
        if symbol not in forecasted:
            skipped[symbol] = reason
    return Result(forecasts[COLUMNS], skipped, state, refitted)


def _first_position(
    dates: pd.DatetimeIndex,
    counts: pd.DataFrame,
    refits: np.ndarray,
    settings: Settings,
    after: date | None,
) -> int | None:
    """The first as_of position: not before the first refit date where any symbol has
    min_history returns, nor before `since`, and after `after`."""
    enough = counts.max(axis=1).to_numpy() >= settings.min_history
    ready = [int(p) for p in refits if enough[p]]
    if not ready:
        return None
    first = ready[0]
    if settings.since is not None:
        first = max(first, int(dates.searchsorted(pd.Timestamp(settings.since))))
    if after is not None:
        first = max(first, int(dates.searchsorted(pd.Timestamp(after), side="right")))
    return first if first < len(dates) else None


def _skip_reasons(counts: pd.DataFrame, settings: Settings, dates: pd.DatetimeIndex) -> dict:
    last = counts.iloc[-1]
    return {
        str(symbol): (
            f"{symbol}: no forecast: {int(n)} daily returns up to {dates[-1].date()}, "
            f"at least {settings.min_history} needed before the first refit date"
        )
        for symbol, n in last.items()
        if n < settings.min_history
    }


def _covers(state: State, eligible: list[str]) -> bool:
    return all(symbol in state.garch for symbol in eligible)


def _garch_fits(
    returns: pd.DataFrame,
    to_fit: list[int],
    universe: dict[int, list[str]],
    previous: dict[str, list[float]],
) -> dict[int, dict[str, list[float]]]:
    """refit position -> symbol -> GARCH parameters ([] when the optimiser failed).

    Each symbol's refits run in order, each warm-started from its previous fit (or the state's),
    one chain per symbol. They stay in this process: in worker processes (joblib's loky) the
    same fits came out up to 1.1e-5 apart, and a forecast must not depend on the pool."""
    chains: dict[str, list[int]] = {}
    for refit_pos in to_fit:
        for symbol in universe[refit_pos]:
            chains.setdefault(symbol, []).append(refit_pos)
    tasks = []
    for symbol, positions in chains.items():
        series = returns[symbol]
        windows = [
            series.iloc[max(0, p - models.GARCH_WINDOW + 1) : p + 1].dropna().to_numpy()
            for p in positions
        ]
        tasks.append((windows, previous.get(symbol)))
    results = [_garch_chain(task) for task in tasks]
    out: dict[int, dict[str, list[float]]] = {p: {} for p in to_fit}
    for (symbol, positions), params in zip(chains.items(), results, strict=True):
        for refit_pos, values in zip(positions, params, strict=True):
            out[refit_pos][symbol] = values
    return out


def _garch_chain(task: tuple[list[np.ndarray], list[float] | None]) -> list[list[float]]:
    """One symbol's GARCH fits, oldest refit first, each starting from the one before."""
    windows, start = task
    out = []
    for window in windows:
        fit = models.fit_garch(window, start)
        params = fit.to_list() if fit is not None else []
        out.append(params)
        start = params
    return out


def _fit(
    refit_pos: int,
    refit_date: date,
    eligible: list[str],
    frames: dict[str, pd.DataFrame],
    macro_frame: pd.DataFrame,
    target_frames: dict[tuple[str, int], pd.DataFrame],
    settings: Settings,
    garch: dict[str, list[float]],
    workers: int,
) -> State:
    """Fit every model on what was known at refit_pos's close (the GARCH fits are given)."""
    longest = max(HORIZONS)
    rows = slice(max(0, refit_pos - longest - settings.train_window + 1), refit_pos)
    panel = features.stack(frames, rows, macro_frame)
    matrix = panel.to_numpy()
    positions = np.repeat(np.arange(rows.start, rows.stop), len(frames["ret_1"].columns))
    in_universe = panel.index.get_level_values(1).isin(eligible)
    priced = panel["ret_1"].notna().to_numpy()
    jobs = []
    for target in features.TARGETS:
        for h in HORIZONS:
            label = target_frames[(target, h)].iloc[rows].stack(future_stack=True).to_numpy()
            known = (
                (positions + h <= refit_pos)
                & (positions > refit_pos - h - settings.train_window)
                & in_universe
                & np.isfinite(label)
                & priced
            )
            if known.sum() < 500:
                continue
            jobs.append((f"{target}_{h}", matrix[known], label[known]))

    def train(job: tuple[str, np.ndarray, np.ndarray]) -> str:
        model = models.lightgbm_regressor()
        model.fit(job[1], job[2])
        return model.booster_.model_to_string()

    # LightGBM trains in C with the GIL released: single-threaded boosters side by side
    if workers > 1 and len(jobs) > 1:
        with ThreadPoolExecutor(min(workers, len(jobs))) as pool:
            texts = list(pool.map(train, jobs))
    else:
        texts = [train(job) for job in jobs]
    lightgbm = {job[0]: text for job, text in zip(jobs, texts, strict=True)}
    return State(refit_date, garch, lightgbm)


def _predict(
    begin: int,
    end: int,
    refit_pos: int,
    eligible: list[str],
    prices: pd.DataFrame,
    returns: pd.DataFrame,
    frames: dict[str, pd.DataFrame],
    macro_frame: pd.DataFrame,
    expanding_mean: pd.DataFrame,
    ewma_vol: pd.DataFrame,
    fitted: State,
    versions: dict[str, str],
    dates: pd.DatetimeIndex,
) -> list[pd.DataFrame]:
    """Every model's forecasts for the sessions begin..end-1 with the models of refit_pos."""
    import lightgbm

    rows = slice(begin, end)
    panel = features.stack(frames, rows, macro_frame)
    symbols = panel.index.get_level_values(1)
    keep = symbols.isin(eligible) & prices.iloc[rows].stack(future_stack=True).notna().to_numpy()
    panel = panel[keep]
    as_of = panel.index.get_level_values(0)
    symbol = panel.index.get_level_values(1)
    fitted_through = dates[refit_pos].date()
    vol_now = ewma_vol.iloc[rows].stack(future_stack=True).to_numpy()[keep]
    mean_now = expanding_mean.iloc[rows].stack(future_stack=True).to_numpy()[keep]
    out: list[pd.DataFrame] = []

    def emit(model: str, target: str, h: int, prediction, sym=symbol, day=as_of) -> None:  # type: ignore[no-untyped-def]
        prediction = np.asarray(prediction, dtype="float64")
        if target == "return":
            vol = vol_now if sym is symbol else _align(ewma_vol, sym, day)
            lower, upper = models.return_interval(prediction, vol, h)
        else:
            lower, upper = models.volatility_interval(prediction, h)
        out.append(
            pd.DataFrame(
                {
                    "symbol": np.asarray(sym, dtype=object),
                    "as_of_date": [d.date() for d in day],
                    "horizon": h,
                    "target": target,
                    "model": model,
                    "model_version": versions[model],
                    "prediction": prediction,
                    "lower": lower,
                    "upper": upper,
                    "fitted_through_date": fitted_through,
                }
            )
        )

    for h in HORIZONS:
        emit("zero", "return", h, np.zeros(len(panel)))
        emit("hist_mean", "return", h, mean_now * h)
        emit("ewma", "volatility", h, vol_now)
    matrix = panel.to_numpy()
    for target in features.TARGETS:
        for h in HORIZONS:
            text = fitted.lightgbm.get(f"{target}_{h}")
            if text is None or not len(panel):
                continue
            booster = lightgbm.Booster(model_str=text)
            prediction = booster.predict(matrix, num_threads=1)
            if target == "volatility":
                prediction = np.clip(prediction, 1e-6, None)
            emit("lightgbm", target, h, prediction)
    garch_parts = []
    for name in eligible:
        params = fitted.garch.get(name)
        if not params:
            continue
        after = returns[name].iloc[refit_pos + 1 : end].to_numpy()
        if np.isnan(after).any():
            continue
        table = models.garch_forecasts(models.Garch(*params), after, HORIZONS)
        offset = begin - refit_pos
        table = table[offset:]
        days = dates[begin:end]
        priced = prices[name].iloc[begin:end].notna().to_numpy()
        garch_parts.append((name, days[priced], table[priced]))
    if garch_parts:
        sym = np.concatenate([[name] * len(days) for name, days, _ in garch_parts])
        day = pd.DatetimeIndex(np.concatenate([days.to_numpy() for _, days, _ in garch_parts]))
        table = np.vstack([t for _, _, t in garch_parts])
        for j, h in enumerate(HORIZONS):
            emit("garch", "volatility", h, table[:, j], sym=sym, day=day)
    return out


def _align(frame: pd.DataFrame, symbols: np.ndarray, days: pd.DatetimeIndex) -> np.ndarray:
    rows = frame.index.get_indexer(days)
    cols = frame.columns.get_indexer(symbols)
    return frame.to_numpy()[rows, cols]
