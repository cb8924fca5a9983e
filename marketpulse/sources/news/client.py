"""The news boundary: the one place that talks to Yahoo's headline feeds (or replays them).

Every client returns exactly what the providers return:
- `ticker_news(symbol)`: `yf.Ticker(symbol).get_news(count, tab="news")`, a list of dicts
  whose article fields are nested under `content` (title, pubDate, provider.displayName,
  canonicalUrl.url, clickThroughUrl.url, ...).
- `rss_headlines(symbol)`: the raw XML text of Yahoo Finance's RSS 2.0 headline feed
  (https://feeds.finance.yahoo.com/rss/2.0/headline?s=AAPL&region=US&lang=en-US).
Parsing lives above the boundary (`marketpulse.sources.news.parsing`), so replayed and live answers go
through the same code. Library exceptions become `marketpulse.errors` types here, and nowhere else.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Protocol

import requests

from marketpulse.errors import NoNetworkError, NotFoundError, RateLimitedError, TransientError
from marketpulse.sources.news import settings


class NewsClient(Protocol):
    origin: str

    def ticker_news(self, symbol: str) -> list[dict[str, Any]]: ...

    def rss_headlines(self, symbol: str) -> str: ...

    def origin_of(self, symbol: str) -> str: ...


class YahooNewsClient:
    """Live and keyless: yfinance's news stream and the public RSS headline feed."""

    origin = "live"

    def __init__(self, session: requests.Session | None = None, timeout: float = 30.0) -> None:
        import yfinance as yf

        logging.getLogger("yfinance").setLevel(logging.CRITICAL)
        self._yf = yf
        self._session = session or requests.Session()
        self._session.headers.setdefault("User-Agent", "Mozilla/5.0 (marketpulse news ingest)")
        self._timeout = timeout

    def origin_of(self, symbol: str) -> str:
        return "live"

    def ticker_news(self, symbol: str) -> list[dict[str, Any]]:
        from curl_cffi.requests import exceptions as curl_errors
        from yfinance import exceptions as yf_errors

        try:
            news = self._yf.Ticker(symbol).get_news(count=settings.NEWS_COUNT, tab="news")
        except yf_errors.YFRateLimitError as exc:
            raise RateLimitedError(f"{symbol}: rate limited by Yahoo (HTTP 429)") from exc
        except (curl_errors.DNSError, curl_errors.ProxyError) as exc:
            raise NoNetworkError("cannot reach Yahoo Finance (no network)") from exc
        except curl_errors.Timeout as exc:
            raise TransientError(f"{symbol}: Yahoo news timed out") from exc
        except curl_errors.ConnectionError as exc:
            raise NoNetworkError("cannot reach Yahoo Finance (no network)") from exc
        except curl_errors.HTTPError as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if status == 429:
                raise RateLimitedError(f"{symbol}: rate limited by Yahoo (HTTP 429)") from exc
            raise TransientError(f"{symbol}: Yahoo news answered HTTP {status}") from exc
        except (ValueError, KeyError, TypeError, yf_errors.YFException) as exc:
            raise TransientError(f"{symbol}: unreadable news answer from Yahoo ({exc})") from exc
        return list(news or [])

    def rss_headlines(self, symbol: str) -> str:
        try:
            response = self._session.get(
                settings.RSS_URL,
                params={"s": symbol, "region": "US", "lang": "en-US"},
                timeout=self._timeout,
            )
        except requests.exceptions.Timeout as exc:
            raise TransientError(f"{symbol}: Yahoo RSS timed out") from exc
        except requests.exceptions.ConnectionError as exc:
            raise NoNetworkError("cannot reach Yahoo Finance RSS (no network)") from exc
        if response.status_code == 429:
            raise RateLimitedError(f"{symbol}: rate limited by Yahoo RSS (HTTP 429)")
        if response.status_code == 404:
            raise NotFoundError(f"{symbol}: no RSS headline feed at Yahoo")
        if response.status_code >= 400:
            raise TransientError(f"{symbol}: Yahoo RSS answered HTTP {response.status_code}")
        return response.text


class ReplayNewsClient:
    """Replays recorded answers: `yfinance/<SYMBOL>.json` (the get_news list) and
    `rss/<SYMBOL>.xml` (the feed's XML). A symbol with neither file is unknown."""

    def __init__(self, directory: Path, origin: str = "sample") -> None:
        self.directory = Path(directory)
        self.origin = origin
        manifest = self.directory / "manifest.json"
        self._manifest = json.loads(manifest.read_text()) if manifest.exists() else {}

    def origin_of(self, symbol: str) -> str:
        kind = self._manifest.get("symbols", {}).get(symbol, self._manifest.get("origin", "real"))
        return f"{self.origin}_{kind}"

    def _path(self, kind: str, symbol: str, suffix: str) -> Path:
        return self.directory / kind / f"{symbol.replace('^', '_')}{suffix}"

    def _known(self, symbol: str) -> None:
        if not (
            self._path("yfinance", symbol, ".json").exists()
            or self._path("rss", symbol, ".xml").exists()
        ):
            raise NotFoundError(f"{symbol}: no news recorded for this symbol")

    def ticker_news(self, symbol: str) -> list[dict[str, Any]]:
        self._known(symbol)
        path = self._path("yfinance", symbol, ".json")
        if not path.exists():
            return []
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise TransientError(f"{symbol}: unreadable news answer from Yahoo ({exc})") from exc

    def rss_headlines(self, symbol: str) -> str:
        self._known(symbol)
        path = self._path("rss", symbol, ".xml")
        return path.read_text() if path.exists() else ""
