"""One bar per session (or 30-minute slot) when Yahoo sends a key twice: which copy is kept is
a rule, not the order of arrival, and every other copy is quarantined as `duplicate_bar`.

The rule (docs/decisions/0025-duplicate-bars.md): keep the copy whose close is nearest to the
close of the key before it (for the first key, the key after it), as a bogus copy is the one
out of line with its neighbours; on a tie, or when no neighbour has a close, keep the first
copy as received.
"""

from __future__ import annotations

import numpy as np

DUPLICATE_BAR = "duplicate_bar"


def duplicate_copies(keys: np.ndarray, closes: np.ndarray) -> np.ndarray:
    """True for every row that is a copy not kept under the rule above; all False when the
    keys are unique (the usual case, one vectorised check)."""
    count = len(keys)
    dropped = np.zeros(count, dtype=bool)
    if count < 2:
        return dropped
    order = np.argsort(keys, kind="stable")  # stable: arrival order within a key
    ordered = keys[order]
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return dropped
    starts = np.flatnonzero(np.r_[True, ~same])
    groups = np.split(order, starts[1:])
    kept = [group[0] for group in groups]  # provisional: the first copy as received
    for position, group in enumerate(groups):
        if len(group) == 1:
            continue
        reference = _neighbour_close(groups, kept, position, closes)
        if not np.isnan(reference):
            distance = np.abs(closes[group] - reference)
            distance[np.isnan(distance)] = np.inf
            kept[position] = group[int(np.argmin(distance))]  # argmin: first of a tie
        dropped[group] = True
        dropped[kept[position]] = False
    return dropped


def _neighbour_close(
    groups: list[np.ndarray], kept: list[int], position: int, closes: np.ndarray
) -> float:
    """The close of the kept copy of the key before, else of the key after; NaN if neither."""
    for neighbour in (position - 1, position + 1):
        if 0 <= neighbour < len(groups):
            close = closes[kept[neighbour]]
            if not np.isnan(close):
                return float(close)
    return float("nan")
