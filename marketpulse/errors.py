"""Typed errors the source clients raise, so the runner can decide what to retry.

Each client translates its library's exceptions into these at the client boundary;
nothing above the boundary needs to know about curl_cffi, urllib or fredapi.
"""

from __future__ import annotations


class SourceError(Exception):
    """Base class: a fetch for one symbol or series failed."""


class NotFoundError(SourceError):
    """The symbol or series does not exist at the provider. Not retried."""


class RateLimitedError(SourceError):
    """The provider answered HTTP 429. Retried with backoff."""


class TransientError(SourceError):
    """A timeout, 5xx or garbled answer. Retried with backoff."""


class NoNetworkError(SourceError):
    """The provider's host cannot be reached at all (DNS, refused). Ends the source."""


RETRYABLE: tuple[type[SourceError], ...] = (RateLimitedError, TransientError)


class PayloadError(SourceError):
    """The provider answered, but not in the shape we know. Not retried."""


def one_line(exc: BaseException, default: str | None = None) -> str:
    """The first line of an exception's message: what a user sees after `error:`.

    Driver errors (DuckDB, psycopg2, dbt) run over several lines with context and hints; the
    first says what happened. An exception without a message gives `default`, or its type name.
    """
    text = str(exc).strip()
    if text:
        return text.splitlines()[0].strip()
    return default if default is not None else type(exc).__name__
