"""The LSTM forecaster (the optional `deep` extra: Keras 3 on the JAX backend).

Walk-forward like LightGBM (walkforward.py): at each refit date two networks are fitted, one
per target, pooled over symbols, each giving the three horizons at once. A sample is a symbol's
last `lookback` sessions of the same per-symbol feature panel LightGBM reads (features.py),
standardised with the mean and standard deviation of the training window's rows (known at the
refit date); a value not known yet (warm-up, a macro series not published) is the training
mean, 0 after standardisation. Training rows are those whose three targets were all known at
the refit date (the last one 21 sessions before it), over the last `train_window` sessions.

The network itself, its training and its determinism are network.py's; Keras is imported
there, only when the LSTM is asked for (`marketpulse forecast --deep`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from marketpulse.forecast import features, models
from marketpulse.forecast import network as network_module
from marketpulse.forecast.features import HORIZONS
from marketpulse.forecast.walkforward import (
    COLUMNS,
    ForecastError,
    Settings,
    _first_position,
    refit_positions,
)

MODEL = "lstm"
Network = network_module.Network
MISSING_EXTRA = network_module.MISSING_EXTRA
available = network_module.available


@dataclass
class LstmState:
    """The latest refit's networks: what a daily refresh predicts with."""

    refit_date: date
    network: dict[str, Any]
    scale: dict[str, list[float]]  # feature mean / std of the training window
    nets: dict[str, dict[str, Any]]  # target -> weights (base64 npz), target mean / std
    symbols: list[str] = field(default_factory=list)  # the pool they were trained on

    def to_json(self) -> dict[str, Any]:
        return {
            "refit_date": self.refit_date.isoformat(),
            "network": self.network,
            "scale": self.scale,
            "nets": self.nets,
            "symbols": self.symbols,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LstmState:
        return cls(
            date.fromisoformat(data["refit_date"]),
            data["network"],
            data["scale"],
            data["nets"],
            data.get("symbols", []),
        )


@dataclass
class LstmResult:
    forecasts: pd.DataFrame
    state: LstmState | None = None
    refits: int = 0
    notes: list[str] = field(default_factory=list)


def walk_forward(
    prices: pd.DataFrame,
    macro: pd.DataFrame,
    settings: Settings,
    network: Network | None = None,
    after: date | None = None,
    state: LstmState | None = None,
) -> LstmResult:
    """The LSTM's forecasts for every session after `after` (from `settings.since` when None),
    on the calendar and refit dates of walkforward.walk_forward."""
    network = network or Network()
    settings.check()
    if not network_module.available():
        raise ForecastError(network_module.MISSING_EXTRA)
    prices = prices.sort_index()
    dates = pd.DatetimeIndex(pd.to_datetime(prices.index))
    prices = prices.set_axis(dates)
    counts = features.log_returns(prices).notna().cumsum()
    refits = refit_positions(dates, settings.refit)
    empty = pd.DataFrame(columns=COLUMNS)
    if len(refits) == 0:
        return LstmResult(empty, state)
    first = _first_position(dates, counts, refits, settings, after)
    if first is None:
        return LstmResult(empty, state)
    frames = features.price_features(prices)
    macro_frame = features.macro_features(
        macro.set_axis(pd.DatetimeIndex(pd.to_datetime(macro.index))), dates
    )
    cube = _cube(frames, macro_frame)
    labels = features.targets(prices)
    priced = prices.notna().to_numpy()
    ewma_vol = frames["ewma_vol"].to_numpy()
    version_text = network_module.model_version(network)
    period_starts = [int(p) for p in refits if p <= first]
    periods = [period_starts[-1]] + [int(p) for p in refits if p > first]
    out: list[pd.DataFrame] = []
    refitted = 0
    for i, refit_pos in enumerate(periods):
        begin = max(refit_pos, first)
        end = periods[i + 1] if i + 1 < len(periods) else len(dates)
        refit_date = dates[refit_pos].date()
        eligible = np.flatnonzero(counts.iloc[refit_pos].to_numpy() >= settings.min_history)
        if not len(eligible):
            continue
        pool = [str(name) for name in prices.columns[eligible]]
        if (
            state is not None
            and state.refit_date == refit_date
            and state.network == asdict(network)
            and state.symbols == pool  # pooled: another universe is another model
        ):
            fitted = state
        else:
            fitted = _fit(refit_pos, refit_date, eligible, cube, labels, settings, network)
            fitted.symbols = pool
            refitted += 1
        state = fitted
        out.append(
            _predict(
                begin,
                end,
                refit_pos,
                eligible,
                cube,
                priced,
                ewma_vol,
                prices.columns,
                dates,
                fitted,
                network,
                version_text,
            )
        )
    frame = pd.concat(out, ignore_index=True) if out else empty
    return LstmResult(frame[COLUMNS], state, refitted)


def _cube(frames: dict[str, pd.DataFrame], macro_frame: pd.DataFrame) -> np.ndarray:
    """(session, symbol, feature) in features.FEATURES order; the macro columns repeated."""
    sessions, symbols = frames["ret_1"].shape
    cube = np.empty((sessions, symbols, len(features.FEATURES)))
    for k, name in enumerate(features.FEATURES):
        if name in frames:
            cube[:, :, k] = frames[name].to_numpy()
        else:
            cube[:, :, k] = macro_frame[name].to_numpy()[:, None]
    return cube


def _sequences(
    cube: np.ndarray,
    positions: np.ndarray,
    symbols: np.ndarray,
    mean: np.ndarray,
    std: np.ndarray,
    lookback: int,
) -> np.ndarray:
    """(n, lookback, features) float32: each sample's sessions up to its own, standardised;
    unknown values (and sessions before the first) are 0, the training mean."""
    low = max(0, int(positions.min()) - lookback + 1)
    high = int(positions.max()) + 1
    block = (cube[low:high] - mean) / std
    block = np.nan_to_num(block, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)
    pad = np.zeros((lookback - 1, *block.shape[1:]), dtype=np.float32)
    block = np.concatenate([pad, block])
    windows = np.lib.stride_tricks.sliding_window_view(block, lookback, axis=0)
    # windows[p] holds block rows p..p+lookback-1, i.e. cube rows low+p-lookback+1..low+p
    return np.ascontiguousarray(windows[positions - low, symbols].transpose(0, 2, 1))


def _fit(
    refit_pos: int,
    refit_date: date,
    eligible: np.ndarray,
    cube: np.ndarray,
    labels: dict[tuple[str, int], pd.DataFrame],
    settings: Settings,
    network: Network,
) -> LstmState:
    """Both networks on what was known at refit_pos's close."""
    longest = max(HORIZONS)
    start = max(0, refit_pos - longest - settings.train_window + 1)
    last = refit_pos - longest  # the last sample whose 21-session target is known
    window = cube[start : refit_pos + 1][:, eligible].reshape(-1, cube.shape[2])
    with np.errstate(all="ignore"):
        mean = np.nanmean(np.where(np.isfinite(window), window, np.nan), axis=0)
        std = np.nanstd(np.where(np.isfinite(window), window, np.nan), axis=0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
    nets: dict[str, dict[str, Any]] = {}
    if last >= start:
        grid_t, grid_s = np.meshgrid(np.arange(start, last + 1), eligible, indexing="ij")
        positions, symbols = grid_t.ravel(), grid_s.ravel()
        known = np.isfinite(cube[positions, symbols, 0])  # the symbol traded: ret_1 known
        for target in features.TARGETS:
            y = np.column_stack(
                [labels[(target, h)].to_numpy()[positions, symbols] for h in HORIZONS]
            )
            rows = np.flatnonzero(known & np.isfinite(y).all(axis=1))
            if len(rows) < 500:
                continue
            if len(rows) > network.max_train:
                draw = np.random.default_rng(network.seed).choice(
                    len(rows), network.max_train, replace=False
                )
                rows = rows[np.sort(draw)]
            x = _sequences(cube, positions[rows], symbols[rows], mean, std, network.lookback)
            y_rows = y[rows]
            y_mean, y_std = y_rows.mean(axis=0), y_rows.std(axis=0)
            y_std = np.where(y_std > 0, y_std, 1.0)
            weights = network_module.train(
                x, ((y_rows - y_mean) / y_std).astype(np.float32), network
            )
            nets[target] = {
                "weights": network_module.pack(weights),
                "target_mean": y_mean.tolist(),
                "target_std": y_std.tolist(),
                "samples": len(rows),
            }
    scale = {"mean": mean.tolist(), "std": std.tolist()}
    return LstmState(refit_date, asdict(network), scale, nets)


def _predict(
    begin: int,
    end: int,
    refit_pos: int,
    eligible: np.ndarray,
    cube: np.ndarray,
    priced: np.ndarray,
    ewma_vol: np.ndarray,
    columns: pd.Index,
    dates: pd.DatetimeIndex,
    fitted: LstmState,
    network: Network,
    version_text: str,
) -> pd.DataFrame:
    """Rows for the sessions begin..end-1 with the networks fitted at refit_pos."""
    grid_t, grid_s = np.meshgrid(np.arange(begin, end), eligible, indexing="ij")
    positions, symbols = grid_t.ravel(), grid_s.ravel()
    keep = priced[positions, symbols]
    positions, symbols = positions[keep], symbols[keep]
    if not len(positions) or not fitted.nets:
        return pd.DataFrame(columns=COLUMNS)
    mean = np.asarray(fitted.scale["mean"])
    std = np.asarray(fitted.scale["std"])
    x = _sequences(cube, positions, symbols, mean, std, network.lookback)
    vol_now = ewma_vol[positions, symbols]
    as_of = [d.date() for d in dates[positions]]
    names = np.asarray(columns, dtype=object)[symbols]
    out = []
    for target, net in fitted.nets.items():
        raw = network_module.apply(network_module.unpack(net["weights"]), x, network).astype(
            np.float64
        )
        prediction = raw * np.asarray(net["target_std"]) + np.asarray(net["target_mean"])
        for j, h in enumerate(HORIZONS):
            column = prediction[:, j]
            if target == "volatility":
                column = np.clip(column, 1e-6, None)
                lower, upper = models.volatility_interval(column, h)
            else:
                lower, upper = models.return_interval(column, vol_now, h)
            out.append(
                pd.DataFrame(
                    {
                        "symbol": names,
                        "as_of_date": as_of,
                        "horizon": h,
                        "target": target,
                        "model": MODEL,
                        "model_version": version_text,
                        "prediction": column,
                        "lower": lower,
                        "upper": upper,
                        "fitted_through_date": dates[refit_pos].date(),
                    }
                )
            )
    return pd.concat(out, ignore_index=True)
