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
import sys
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


def retry_line(
    what: str, attempt: int, attempts: int, wait: float, error: BaseException | None
) -> str:
    """`retry: yahoo AAPL: attempt 1/4 failed (RateLimitedError: ...); next in 1.3s`."""
    message = one_line(error) if error else ""
    for item in what.split()[1:]:  # our errors start with the item: say it once
        message = message.removeprefix(f"{item}: ")
    cause = f"{type(error).__name__}: {message}" if error else "no answer"
    return f"retry: {what}: attempt {attempt}/{attempts} failed ({cause}); next in {wait:.1f}s"


def call_with_retry(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    what: str,
    retry_if: Callable[[BaseException], bool] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    announce: bool = True,
) -> T:
    """Call `fn`; retry when `retry_if(error)` (default: a retryable source error) holds,
    at most `policy.attempts` times in all; the last error is raised as it is.

    Each retry is announced in one line on stderr (`announce`, default on): a minute of
    backoff must not look like a hang. The warehouse's lock wait passes `announce=False`.
    """
    should_retry = retry_if or (lambda exc: isinstance(exc, RETRYABLE))

    def note(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        pause = state.next_action.sleep if state.next_action else 0.0
        line = retry_line(what, state.attempt_number, policy.attempts, pause, error)
        if announce:
            print(line, file=sys.stderr, flush=True)
        else:
            log.info(line)

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(max(policy.attempts, 1)),
        wait=policy.wait(),
        retry=tenacity.retry_if_exception(should_retry),
        sleep=sleep,
        before_sleep=note,
        reraise=True,
    )
    return retrying(fn)
