"""News: headlines per symbol from yfinance's news stream and Yahoo's RSS feed, scored at ingest.

Both feeds are parsed defensively (bad items go to `headlines_quarantine` with the reason),
deduplicated by canonical URL, and every headline is scored with plain VADER and with the
finance layer (`marketpulse.sources.news.sentiment`). Rows merge on (symbol, article_id): a headline seen
again in a later run replaces its earlier row instead of adding one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import dlt
from dlt.sources import DltResource

from marketpulse.errors import NoNetworkError, SourceError
from marketpulse.ingest.loading import MERGE, SCHEMA_CONTRACT
from marketpulse.ingest.origin import check_origin
from marketpulse.ingest.report import Progress, SourceReport
from marketpulse.retry import RetryPolicy, call_with_retry
from marketpulse.sources.news import settings
from marketpulse.sources.news.client import NewsClient
from marketpulse.sources.news.parsing import (
    Headline,
    Rejected,
    dedupe,
    parse_rss,
    parse_ticker_news,
)
from marketpulse.sources.news.sentiment import SCORER, HeadlineScorer

HEADLINE_KEY = ("symbol", "article_id")
HEADLINE_HINTS = {
    "article_id": {"data_type": "text"},
    "symbol": {"data_type": "text"},
    "feed": {"data_type": "text"},
    "provider_id": {"data_type": "text", "nullable": True},
    "title": {"data_type": "text"},
    "summary": {"data_type": "text", "nullable": True},
    "url": {"data_type": "text"},
    "publisher": {"data_type": "text", "nullable": True},
    "published_at": {"data_type": "timestamp", "timezone": True},
    "vader_compound": {"data_type": "double"},
    "vader_pos": {"data_type": "double"},
    "vader_neu": {"data_type": "double"},
    "vader_neg": {"data_type": "double"},
    "finance_compound": {"data_type": "double"},
    "scorer": {"data_type": "text"},
    "scorer_version": {"data_type": "text"},
    "data_origin": {"data_type": "text"},
    "_loaded_at": {"data_type": "timestamp", "timezone": True},
}
QUARANTINE_HINTS = {
    "reject_id": {"data_type": "text"},
    "symbol": {"data_type": "text"},
    "feed": {"data_type": "text"},
    "reason": {"data_type": "text"},
    "payload": {"data_type": "text"},
    "data_origin": {"data_type": "text"},
    "_loaded_at": {"data_type": "timestamp", "timezone": True},
}


def news_source(
    symbols: Sequence[str],
    client: NewsClient,
    report: SourceReport,
    progress: Progress,
    retry: RetryPolicy | None = None,
    scorer: HeadlineScorer | None = None,
) -> list[DltResource]:
    fetch = _Fetch(symbols, client, report, progress, retry or RetryPolicy(), scorer)
    headlines = dlt.resource(
        _headlines(fetch),
        name=settings.HEADLINES_TABLE,
        write_disposition=MERGE,
        schema_contract=SCHEMA_CONTRACT,
        primary_key=HEADLINE_KEY,
        columns=HEADLINE_HINTS,
    )
    quarantine = dlt.resource(
        _quarantine(fetch),
        name=settings.QUARANTINE_TABLE,
        write_disposition=MERGE,
        schema_contract=SCHEMA_CONTRACT,
        primary_key="reject_id",
        columns=QUARANTINE_HINTS,
    )
    return [headlines, quarantine]


def _headlines(fetch: _Fetch) -> Iterator[list[dict[str, Any]]]:
    check_origin(dlt.current.resource_state(), "news", fetch.client.origin)
    rows, _ = fetch()
    if rows:
        yield rows


def _quarantine(fetch: _Fetch) -> Iterator[list[dict[str, Any]]]:
    check_origin(dlt.current.resource_state(), "news", fetch.client.origin)
    _, rejects = fetch()
    if rejects:
        yield rejects


class _Fetch:
    """Reads every symbol's feeds once, whichever of the two resources dlt extracts first.
    News is small (tens of headlines per symbol), so holding one run in memory is fine."""

    def __init__(
        self,
        symbols: Sequence[str],
        client: NewsClient,
        report: SourceReport,
        progress: Progress,
        retry: RetryPolicy,
        scorer: HeadlineScorer | None,
    ) -> None:
        self.client = client
        self._symbols, self._report, self._progress = symbols, report, progress
        self._retry, self._scorer = retry, scorer
        self._result: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None

    def __call__(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        if self._result is None:
            self._result = self._fetch_all()
        return self._result

    def _fetch_all(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        client, report, progress = self.client, self._report, self._progress
        scorer = self._scorer or HeadlineScorer()
        loaded_at = datetime.now(UTC)
        rows: list[dict[str, Any]] = []
        rejects: list[Rejected] = []
        for symbol in self._symbols:
            found: list[Headline] = []
            errors: list[str] = []
            feeds: list[tuple[str, Callable[[], Any], Callable[[str, Any], Any]]] = [
                (settings.FEED_YFINANCE, lambda s=symbol: client.ticker_news(s), parse_ticker_news),
                (settings.FEED_RSS, lambda s=symbol: client.rss_headlines(s), parse_rss),
            ]
            bad_before = len(rejects)
            for feed, fetch, parse in feeds:
                try:
                    answer = call_with_retry(fetch, self._retry, what=f"news {symbol} {feed}")
                    parsed, rejected = parse(symbol, answer)
                except NoNetworkError:
                    raise
                except SourceError as exc:
                    errors.append(f"{feed}: {str(exc).removeprefix(f'{symbol}: ')}")
                    continue
                found += parsed
                rejects += rejected
            if len(errors) == len(feeds):
                reason = report.fail(symbol, SourceError("; ".join(errors)))
                progress("news", symbol, f"FAILED: {reason}")
                continue
            for error in errors:  # one feed failed: the other one's headlines still load
                report.fail(symbol, SourceError(error))
            origin = client.origin_of(symbol)
            symbol_rows = [_row(h, scorer, origin, loaded_at) for h in dedupe(found)]
            rows += symbol_rows
            report.loaded.append(symbol)
            quarantined = len(rejects) - bad_before
            progress("news", symbol, f"{len(symbol_rows):>4} headlines, {quarantined} quarantined")
        report.add_rows(settings.HEADLINES_TABLE, len(rows))
        report.add_rows(settings.QUARANTINE_TABLE, len(rejects))
        return rows, [_reject_row(r, client.origin_of(r.symbol), loaded_at) for r in rejects]


def _reject_row(reject: Rejected, origin: str, loaded_at: datetime) -> dict[str, Any]:
    key = f"{reject.symbol}|{reject.feed}|{reject.payload}".encode()
    return {
        "reject_id": hashlib.sha256(key).hexdigest()[:32],
        "symbol": reject.symbol,
        "feed": reject.feed,
        "reason": reject.reason,
        "payload": reject.payload,
        "data_origin": origin,
        "_loaded_at": loaded_at,
    }


def _row(
    headline: Headline, scorer: HeadlineScorer, origin: str, loaded_at: datetime
) -> dict[str, Any]:
    scores = scorer.score(headline.title)
    return {
        "article_id": headline.article_id,
        "symbol": headline.symbol,
        "feed": headline.feed,
        "provider_id": headline.provider_id,
        "title": headline.title,
        "summary": headline.summary,
        "url": headline.url,
        "publisher": headline.publisher,
        "published_at": headline.published_at,
        "vader_compound": scores.vader_compound,
        "vader_pos": scores.vader_pos,
        "vader_neu": scores.vader_neu,
        "vader_neg": scores.vader_neg,
        "finance_compound": scores.finance_compound,
        "scorer": SCORER,
        "scorer_version": scorer.version,
        "data_origin": origin,
        "_loaded_at": loaded_at,
    }
