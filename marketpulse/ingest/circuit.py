"""A circuit breaker per source and run: stop calling a provider that keeps failing.

Retries (marketpulse/retry.py) handle a blip on one symbol. When `threshold` symbols or series in a
row still fail after their retries with a retryable error (429, 5xx, timeout), the provider is
down or throttling us hard: the rest of the source's items are skipped for this run, each
reported with the reason, instead of spending minutes of backoff per item.
A provider's definite answer (not found, a malformed payload) proves it is up and closes the
count again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from marketpulse.errors import RETRYABLE, SourceError

DEFAULT_THRESHOLD = 3


class CircuitOpenError(SourceError):
    """The source's circuit is open: this item was not fetched."""


@dataclass
class CircuitBreaker:
    source: str
    threshold: int = DEFAULT_THRESHOLD
    consecutive: int = 0
    last_error: str = ""
    calls_refused: int = field(default=0)

    @property
    def is_open(self) -> bool:
        return self.consecutive >= self.threshold

    def check(self, item: str) -> None:
        """Raise CircuitOpenError for `item` when the circuit is open."""
        if self.is_open:
            self.calls_refused += 1
            raise CircuitOpenError(
                f"{item}: skipped, {self.source} circuit open after {self.consecutive} "
                f"consecutive failures (last: {self.last_error})"
            )

    def record(self, error: BaseException | None) -> None:
        """After a fetch: None on success, else the error it ended with."""
        if error is None or not isinstance(error, RETRYABLE):
            self.consecutive = 0
            return
        self.consecutive += 1
        self.last_error = str(error)
