"""Bounded retries with exponential backoff and full jitter."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from marketpulse.errors import RETRYABLE

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one call before giving up on it.

    The delay before attempt n (n >= 2) is uniform in [0, min(max_delay, base_delay * 2**(n-2))]
    ("full jitter"), so many clients backing off at once do not retry in lockstep.
    """

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 2))
        return rng.uniform(0, ceiling)


def call_with_retry(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """Call `fn`, retrying only the retryable source errors, at most `policy.attempts` times."""
    rng = rng or random.Random()  # noqa: S311 (jitter, not cryptography)
    for attempt in range(1, policy.attempts + 1):
        try:
            return fn()
        except RETRYABLE as exc:
            if attempt == policy.attempts:
                raise
            pause = policy.delay(attempt + 1, rng)
            log.info("%s: %s; retry %d/%d in %.1fs", what, exc, attempt, policy.attempts - 1, pause)
            sleep(pause)
    raise AssertionError("unreachable")
