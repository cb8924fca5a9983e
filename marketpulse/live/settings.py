"""The live service's limits: `[live]` in .dlt/config.toml, each overridable by an environment
variable (LIVE__MAX_CONNECTIONS, LIVE__MAX_CONNECTIONS_PER_ADDRESS), like every dlt setting."""

from __future__ import annotations

from dataclasses import dataclass

import dlt

from marketpulse.warehouse import ConfigError

DEFAULT_MAX_CONNECTIONS = 1000
DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 50


@dataclass(frozen=True)
class ConnectionLimits:
    """At most `total` WebSocket clients at once, at most `per_address` from one IP address."""

    total: int = DEFAULT_MAX_CONNECTIONS
    per_address: int = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS

    def __post_init__(self) -> None:
        if self.total < 1 or self.per_address < 1:
            raise ConfigError(
                f"live connection limits must be at least 1 (max_connections = {self.total}, "
                f"max_connections_per_address = {self.per_address})"
            )


def _positive_int(key: str, default: int) -> int:
    value = dlt.config.get(f"live.{key}")
    if value is None:
        return default
    text = str(value).strip()
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(
            f"live.{key} (LIVE__{key.upper()}) = {text!r} must be a whole number of at least 1"
        )
    return int(text)


def connection_limits() -> ConnectionLimits:
    return ConnectionLimits(
        total=_positive_int("max_connections", DEFAULT_MAX_CONNECTIONS),
        per_address=_positive_int(
            "max_connections_per_address", DEFAULT_MAX_CONNECTIONS_PER_ADDRESS
        ),
    )
