"""The one retry policy: bounded attempts with exponential backoff, on tenacity.

Two kinds of failure are worth a second try, and both go through `call_with_retry`:
- a source's transient errors (HTTP 429, 5xx, timeouts: `marketpulse.errors.RETRYABLE`),
  with full jitter so many clients backing off at once do not retry in lockstep;
- a warehouse lock held by another process (DuckDB allows one writer per file), which the
  warehouse adapter recognises (`Warehouse.is_lock_error`): a steady exponential wait, since
  the reader waits for one holder to let go rather than competing with many.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import tenacity

from marketpulse.errors import RETRYABLE, one_line

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one call before giving up on it.

    The wait before attempt n (n >= 2) is at most min(max_delay, base_delay * 2**(n-2)):
    uniform below that ceiling with `jitter` ("full jitter"), exactly the ceiling without.
    """

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    jitter: bool = True

    def wait(self) -> tenacity.wait.wait_base:
        kind = tenacity.wait_random_exponential if self.jitter else tenacity.wait_exponential
        return kind(multiplier=self.base_delay, max=self.max_delay)


# A reader waiting for a writer (ingest, dbt, watch mode) to release a DuckDB file: ~12 s.
LOCK_WAIT = RetryPolicy(attempts=8, base_delay=0.2, max_delay=3.0, jitter=False)


def call_with_retry(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    what: str,
    retry_if: Callable[[BaseException], bool] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call `fn`; retry when `retry_if(error)` (default: a retryable source error) holds,
    at most `policy.attempts` times in all; the last error is raised as it is."""
    should_retry = retry_if or (lambda exc: isinstance(exc, RETRYABLE))

    def note(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        pause = state.next_action.sleep if state.next_action else 0.0
        log.info(
            "%s: %s; retry %d/%d in %.1fs",
            what,
            one_line(error) if error else "failed",
            state.attempt_number,
            policy.attempts - 1,
            pause,
        )

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(max(policy.attempts, 1)),
        wait=policy.wait(),
        retry=tenacity.retry_if_exception(should_retry),
        sleep=sleep,
        before_sleep=note,
        reraise=True,
    )
    return retrying(fn)
