"""The offline sample and live data never share a warehouse (docs/decisions/0003)."""

from __future__ import annotations

from typing import Any


class MixedOriginError(Exception):
    """The warehouse holds data of another origin (sample vs live) for this source."""


def check_origin(state: dict[str, Any], source: str, origin: str) -> None:
    """Record the origin of a source's data in its resource state; refuse to mix another in."""
    previous = state.setdefault("origin", origin)
    if previous != origin:
        raise MixedOriginError(
            f"the warehouse holds {previous} {source} data and this run would add {origin} data"
        )
