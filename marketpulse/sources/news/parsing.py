"""Provider answers -> headline records, defensively: a malformed item is quarantined with its
reason, never dropped silently and never allowed to stop the other items."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from marketpulse.errors import PayloadError
from marketpulse.sources.news import settings


@dataclass(frozen=True)
class Headline:
    symbol: str
    feed: str
    provider_id: str | None
    title: str
    published_at: datetime
    publisher: str | None
    url: str  # canonical
    summary: str | None

    @property
    def article_id(self) -> str:
        return article_id(self.url)


@dataclass(frozen=True)
class Rejected:
    symbol: str
    feed: str
    reason: str
    payload: str  # the item as received, JSON or XML text


def canonical_url(url: str) -> str:
    """One spelling per article: https, lower-case host, no fragment, no tracking parameters,
    the remaining parameters sorted, no trailing slash."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url[:80]!r}")
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in settings.TRACKING_PARAMS
        and not key.lower().startswith(settings.TRACKING_PREFIXES)
    )
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("https", parts.netloc.lower(), path, urlencode(query), ""))


def article_id(url: str) -> str:
    """Stable key of an article: the first 32 hex digits of the SHA-256 of its canonical URL."""
    return hashlib.sha256(url.encode()).hexdigest()[:32]


def parse_ticker_news(symbol: str, items: Any) -> tuple[list[Headline], list[Rejected]]:
    """yfinance `get_news()` items (fields under `content`) -> headlines and rejects."""
    if items is None:
        return [], []
    if not isinstance(items, list):
        raise PayloadError(f"{symbol}: Yahoo news is a {type(items).__name__}, not a list")
    headlines, rejected = [], []
    for item in items:
        try:
            headlines.append(_ticker_news_item(symbol, item))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            payload = json.dumps(item, default=str, sort_keys=True)[:20000]
            rejected.append(Rejected(symbol, settings.FEED_YFINANCE, str(exc), payload))
    return headlines, rejected


def _ticker_news_item(symbol: str, item: Any) -> Headline:
    if not isinstance(item, dict):
        raise TypeError(f"item is a {type(item).__name__}, not an object")
    content = item.get("content")
    if not isinstance(content, dict):
        raise KeyError("no `content` object (not the yfinance 1.x news shape)")
    title = _text(content.get("title"))
    if not title:
        raise ValueError("no title")
    link = _nested_url(content.get("canonicalUrl")) or _nested_url(content.get("clickThroughUrl"))
    if not link:
        raise ValueError("no canonicalUrl.url or clickThroughUrl.url")
    stamp = content.get("pubDate") or content.get("displayTime")
    if not stamp:
        raise ValueError("no pubDate")
    provider = content.get("provider") if isinstance(content.get("provider"), dict) else {}
    return Headline(
        symbol=symbol,
        feed=settings.FEED_YFINANCE,
        provider_id=_text(item.get("id") or content.get("id")),
        title=title,
        published_at=_iso_utc(str(stamp)),
        publisher=_text(provider.get("displayName")),
        url=canonical_url(link),
        summary=_text(content.get("summary") or content.get("description")),
    )


def parse_rss(symbol: str, text: str) -> tuple[list[Headline], list[Rejected]]:
    """Yahoo Finance RSS 2.0 XML -> headlines and rejects. Empty text is an empty feed."""
    if not text or not text.strip():
        return [], []
    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        # No feed we read declares entities; refusing them rules out entity expansion attacks.
        raise PayloadError(f"{symbol}: RSS feed declares a DOCTYPE/ENTITY; refused")
    try:
        # Safe here: DTDs are refused above and expat never fetches external resources.
        root = ElementTree.fromstring(text)  # noqa: S314
    except ElementTree.ParseError as exc:
        raise PayloadError(f"{symbol}: RSS feed is not well-formed XML ({exc})") from exc
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise PayloadError(f"{symbol}: not an RSS 2.0 document (root <{root.tag}>)")
    headlines, rejected = [], []
    for item in channel.findall("item"):
        try:
            headlines.append(_rss_item(symbol, item))
        except (ValueError, TypeError) as exc:
            payload = ElementTree.tostring(item, encoding="unicode")[:20000]
            rejected.append(Rejected(symbol, settings.FEED_RSS, str(exc), payload))
    return headlines, rejected


def _rss_item(symbol: str, item: ElementTree.Element) -> Headline:
    title = _text(item.findtext("title"))
    if not title:
        raise ValueError("no title")
    link = _text(item.findtext("link"))
    if not link:
        raise ValueError("no link")
    stamp = _text(item.findtext("pubDate"))
    if not stamp:
        raise ValueError("no pubDate")
    try:
        published = parsedate_to_datetime(stamp)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"pubDate {stamp!r} is not an RFC 822 date") from exc
    if published.tzinfo is None:
        raise ValueError(f"pubDate {stamp!r} has no timezone")
    return Headline(
        symbol=symbol,
        feed=settings.FEED_RSS,
        provider_id=_text(item.findtext("guid")),
        title=title,
        published_at=published.astimezone(UTC),
        publisher=_text(item.findtext("source")),
        url=canonical_url(link),
        summary=_text(item.findtext("description")),
    )


def dedupe(headlines: list[Headline]) -> list[Headline]:
    """One headline per (symbol, canonical URL); the first seen wins, so list the richer
    feed (yfinance: it names the publisher) first."""
    seen: dict[tuple[str, str], Headline] = {}
    for headline in headlines:
        seen.setdefault((headline.symbol, headline.url), headline)
    return list(seen.values())


def _nested_url(value: Any) -> str | None:
    if isinstance(value, dict):
        return _text(value.get("url"))
    return None


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        return None
    text = " ".join(str(value).split())
    return text or None


def _iso_utc(stamp: str) -> datetime:
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"pubDate {stamp!r} has no timezone")
    return parsed.astimezone(UTC)
