"""The LSTM's network (the optional `deep` extra: Keras 3 on the JAX backend): its settings,
training and prediction, and the weights as text for the stored state.

Keras is imported on first use only (`marketpulse forecast --deep`), with KERAS_BACKEND=jax
unless set. One network, optimizer, compiled training step and compiled prediction per
architecture and process (a new Keras model per refit would recompile each time, ~5 s); each
fit starts from the same seeded initial weights and a fresh optimizer state, through Keras'
stateless API, so one refit never depends on another. Every training batch has the same shape
(the last one padded with rows of weight 0) and prediction runs on fixed-size padded chunks,
so a row's forecast does not depend on which rows share its batch.
"""

from __future__ import annotations

import base64
import io
import os
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from typing import Any

import numpy as np

from marketpulse.forecast import features, models
from marketpulse.forecast.features import HORIZONS
from marketpulse.forecast.walkforward import ForecastError

MISSING_EXTRA = "the LSTM needs the deep extra: pip install 'marketpulse[deep]'"
CHUNK = 1024  # rows per compiled prediction call (the last chunk padded)


@dataclass(frozen=True)
class Network:
    """The architecture and training settings; recorded in model_version and the state."""

    lookback: int = 20  # sessions per sample
    units: int = 32  # LSTM units
    epochs: int = 6
    batch_size: int = 256
    learning_rate: float = 1e-3
    max_train: int = 60_000  # training samples per network; a seeded draw beyond
    seed: int = models.SEED

    def describe(self) -> str:
        return (
            f"LSTM({self.units}) on {self.lookback} sessions x {len(features.FEATURES)} features"
            f" -> Dense({len(HORIZONS)}), pooled over symbols, {self.epochs} epochs, batch"
            f" {self.batch_size}, Adam {self.learning_rate:g}, <= {self.max_train} samples,"
            f" seed {self.seed}"
        )


def available() -> bool:
    """Whether the deep extra is installed (looked up without importing it)."""
    try:
        return find_spec("keras") is not None and find_spec("jax") is not None
    except (ImportError, ValueError):  # an import blocked with sys.modules[name] = None
        return False


def model_version(network: Network) -> str:
    try:
        keras_version, jax_version = version("keras"), version("jax")
    except PackageNotFoundError as exc:
        raise ForecastError(MISSING_EXTRA) from exc
    return f"{network.describe()}; keras {keras_version}, jax {jax_version}"


def keras_module() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        import keras
    except ImportError as exc:
        raise ForecastError(MISSING_EXTRA) from exc
    if keras.backend.backend() != "jax":
        raise ForecastError(
            f"the LSTM runs on Keras' JAX backend, not {keras.backend.backend()}: unset"
            " KERAS_BACKEND or set it to jax"
        )
    return keras


@cache
def _compiled(lookback: int, units: int, n_features: int, learning_rate: float, seed: int) -> Any:
    """One network, optimizer, and compiled training step and prediction per architecture
    (compiled once per process: a new Keras model per refit would recompile each time)."""
    keras = keras_module()
    import jax
    import jax.numpy as jnp

    model = keras.Sequential(
        [
            keras.Input((lookback, n_features)),
            keras.layers.LSTM(
                units,
                kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
                recurrent_initializer=keras.initializers.Orthogonal(seed=seed + 1),
            ),
            keras.layers.Dense(
                len(HORIZONS), kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 2)
            ),
        ]
    )
    optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
    optimizer.build(model.trainable_variables)
    initial = [np.array(v.value) for v in model.trainable_variables]
    initial_optimizer = [np.array(v.value) for v in optimizer.variables]
    fixed = [v.value for v in model.non_trainable_variables]

    def loss(trainable: list, x: Any, y: Any, w: Any) -> Any:
        predicted, _ = model.stateless_call(trainable, fixed, x, training=True)
        return jnp.sum(w[:, None] * (predicted - y) ** 2) / (jnp.sum(w) * y.shape[1])

    gradient = jax.value_and_grad(loss)

    @jax.jit
    def step(trainable: list, optimizer_state: list, x: Any, y: Any, w: Any) -> tuple:
        value, grads = gradient(trainable, x, y, w)
        trainable, optimizer_state = optimizer.stateless_apply(optimizer_state, grads, trainable)
        return value, trainable, optimizer_state

    @jax.jit
    def predict(trainable: list, x: Any) -> Any:
        predicted, _ = model.stateless_call(trainable, fixed, x, training=False)
        return predicted

    return step, predict, initial, initial_optimizer


def train(x: np.ndarray, y: np.ndarray, network: Network) -> list[np.ndarray]:
    """Mini-batch Adam from the seeded initial weights; every batch the same shape (the last
    one padded with rows of weight 0), shuffled by a generator seeded per fit."""
    step, _, initial, initial_optimizer = _compiled(
        network.lookback, network.units, x.shape[2], network.learning_rate, network.seed
    )
    import jax.numpy as jnp

    batch = network.batch_size
    n = len(x)
    batches = -(-n // batch)
    size = batches * batch
    w = np.zeros(size, dtype=np.float32)
    w[:n] = 1.0
    rng = np.random.default_rng(network.seed)
    trainable = [jnp.array(v) for v in initial]
    optimizer_state = [jnp.array(v) for v in initial_optimizer]
    for _ in range(network.epochs):
        # new arrays each epoch: JAX may read a NumPy buffer without copying it, after the
        # (asynchronous) call returns, so a buffer handed to it is never written again
        order = rng.permutation(n)
        x_pad = np.zeros((size, *x.shape[1:]), dtype=np.float32)
        y_pad = np.zeros((size, y.shape[1]), dtype=np.float32)
        x_pad[:n], y_pad[:n] = x[order], y[order]
        for b in range(batches):
            rows = slice(b * batch, (b + 1) * batch)
            _, trainable, optimizer_state = step(
                trainable, optimizer_state, x_pad[rows], y_pad[rows], w[rows]
            )
    return [np.asarray(v) for v in trainable]


def apply(weights: list[np.ndarray], x: np.ndarray, network: Network) -> np.ndarray:
    """The network's outputs for x, in fixed-size chunks (the last one padded with zeros)."""
    _, predict, _, _ = _compiled(
        network.lookback, network.units, x.shape[2], network.learning_rate, network.seed
    )
    import jax.numpy as jnp

    trainable = [jnp.asarray(w) for w in weights]
    out = np.empty((len(x), len(HORIZONS)), dtype=np.float32)
    for low in range(0, len(x), CHUNK):
        part = x[low : low + CHUNK]
        if len(part) < CHUNK:
            part = np.concatenate([part, np.zeros((CHUNK - len(part), *x.shape[1:]), np.float32)])
        out[low : low + CHUNK] = np.asarray(predict(trainable, part))[: min(CHUNK, len(x) - low)]
    return out


def pack(weights: list[np.ndarray]) -> str:
    buffer = io.BytesIO()
    np.savez(buffer, *weights)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def unpack(text: str) -> list[np.ndarray]:
    with np.load(io.BytesIO(base64.b64decode(text))) as stored:
        return [stored[f"arr_{i}"] for i in range(len(stored.files))]
