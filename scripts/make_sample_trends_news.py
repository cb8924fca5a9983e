"""Generates the offline Google Trends and news samples (sample_data/trends, sample_data/news).

    python scripts/make_sample_trends_news.py

Deterministic (fixed seed) and offline. Both are simulated, in the providers' exact shapes:
- trends: what pytrends' `interest_over_time()` returns for the default keywords, geo US,
  timeframe 2018-07-01..2018-12-31 (daily points), written with `DataFrame.to_csv()`.
  Search interest follows the sample's SPY drawdown ("stock market crash", "recession"
  spike in the Q4 2018 selloff) plus noise, scaled so the batch peak is 100 as Google does.
- news: for each default news symbol, Q4 2018 headlines written from templates whose tone
  follows the symbol's sample daily return with noise (so sentiment and price sometimes
  disagree): `yfinance/<SYMBOL>.json` (the `get_news()` list, fields under `content`) and
  `rss/<SYMBOL>.xml` (the RSS 2.0 headline feed, overlapping yfinance by URL with Yahoo's
  `?.tsrc=rss` tracking parameter, plus one malformed item per feed for the quarantine).
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marketpulse.sources.news.settings import DEFAULT_SYMBOLS  # noqa: E402
from marketpulse.sources.trends.settings import DEFAULT_KEYWORDS  # noqa: E402
from marketpulse.sources.yahoo.client import read_history_csv  # noqa: E402

SAMPLE = ROOT / "sample_data"
SEED = 20181231
TRENDS_START, TRENDS_END = "2018-07-01", "2018-12-31"
NEWS_START, NEWS_END = "2018-10-01", "2018-12-31"

NAMES = {
    "AAPL": "Apple",
    "MSFT": "Microsoft",
    "NVDA": "Nvidia",
    "AMZN": "Amazon",
    "GOOGL": "Alphabet",
    "JPM": "JPMorgan",
    "XOM": "Exxon Mobil",
    "SPY": "S&P 500 ETF",
}
PUBLISHERS = (
    "Reuters",
    "Bloomberg",
    "Barrons.com",
    "Motley Fool",
    "Yahoo Finance",
    "MarketWatch",
    "Investor's Business Daily",
    "Zacks",
    "CNBC",
    "Associated Press Finance",
)
POSITIVE = (
    "{name} shares rally as investors return to big caps",
    "{name} stock climbs after analyst upgrade",
    "{name} jumps as trade worries ease",
    "Why {name} stock soared today",
    "{name} gains on upbeat holiday demand signals",
    "{name} rebounds from selloff, leading the market higher",
    "Analysts see strong upside for {name} after the pullback",
    "{name} posts best day in a month",
    "Bulls pile into {name} as valuation looks attractive",
    "{name} beats the market with solid advance",
)
NEGATIVE = (
    "{name} shares slump as tech selloff deepens",
    "{name} stock falls after downgrade",
    "{name} tumbles amid trade war fears",
    "Why {name} stock plunged today",
    "{name} slides as growth worries mount",
    "{name} drops to lowest level since spring",
    "{name} sinks as investors dump risk assets",
    "Analyst cuts {name} price target, warns of weaker demand",
    "{name} extends losses in volatile session",
    "{name} hit by concerns over slowing economy",
)
NEUTRAL = (
    "{name} to present at investor conference next week",
    "What to watch for {name} this week",
    "{name} announces date of quarterly earnings call",
    "{name} files annual report with the SEC",
    "Options traders position ahead of {name} results",
    "{name} names new board member",
    "How {name} fits in a diversified portfolio",
    "{name} in focus as markets await Fed decision",
)


def make_trends(rng: np.random.Generator) -> pd.DataFrame:
    spy = read_history_csv(SAMPLE / "yahoo" / "history" / "SPY.csv", "America/New_York")
    close = spy["Close"]
    close.index = pd.DatetimeIndex(close.index.date)
    days = pd.date_range(TRENDS_START, TRENDS_END, freq="D")
    close = close.reindex(close.index.union(days)).ffill().reindex(days)
    drawdown = (1 - close / close.cummax()).to_numpy()  # 0 .. ~0.2 in Dec 2018
    weekday = np.array([d.weekday() < 5 for d in days], dtype=float)
    base = {
        "recession": (18, 260, 4),
        "inflation": (30, 40, 5),
        "stock market crash": (6, 420, 4),
        "buy stocks": (12, 120, 3),
        "unemployment": (40, 20, 5),
    }
    raw = {}
    for keyword in DEFAULT_KEYWORDS:
        level, crash_beta, noise = base[keyword]
        series = level + crash_beta * drawdown + 3 * weekday + rng.normal(0, noise, len(days))
        raw[keyword] = np.clip(series, 0, None)
    peak = max(values.max() for values in raw.values())
    frame = pd.DataFrame(
        {keyword: np.rint(values / peak * 100).astype("int64") for keyword, values in raw.items()},
        index=pd.DatetimeIndex(days, name="date"),
    )
    frame["isPartial"] = False  # a closed historical timeframe has no partial period
    return frame


def make_news(rng: np.random.Generator, symbol: str) -> tuple[list[dict], str]:
    name = NAMES[symbol]
    history = read_history_csv(SAMPLE / "yahoo" / "history" / f"{symbol}.csv", "America/New_York")
    returns = history["Adj Close"].pct_change()
    returns = returns[(returns.index >= NEWS_START) & (returns.index <= f"{NEWS_END} 23:59")]
    items, rss_items = [], []
    slug_base = name.lower().replace(" ", "-").replace("&", "and")
    for stamp, daily in returns.items():
        for _ in range(int(rng.poisson(1.3))):
            # Tone follows the day's move 55% of the time, opposes it 20%, neutral 25%.
            draw = rng.random()
            if draw < 0.25:
                templates = NEUTRAL
            elif draw < 0.8:
                templates = POSITIVE if daily > 0 else NEGATIVE
            else:
                templates = NEGATIVE if daily > 0 else POSITIVE
            title = templates[int(rng.integers(len(templates)))].format(name=name)
            # Published during or after the session (US Eastern 8:00..20:00 -> UTC).
            minutes = int(rng.integers(8 * 60, 20 * 60))
            local = pd.Timestamp(stamp.date()).tz_localize("America/New_York")
            published = (local + pd.Timedelta(minutes=minutes)).tz_convert("UTC").to_pydatetime()
            article = uuid.UUID(int=int(rng.integers(0, 2**62)) << 64 | int(rng.integers(0, 2**62)))
            slug = f"{slug_base}-{title.lower().split(' ', 2)[-1][:40]}".replace(" ", "-")
            slug = "".join(ch for ch in slug if ch.isalnum() or ch == "-")
            url = f"https://finance.yahoo.com/news/{slug}-{published:%H%M%S}{str(article)[:6]}.html"
            publisher = PUBLISHERS[int(rng.integers(len(PUBLISHERS)))]
            in_yfinance, in_rss = rng.random() < 0.8, rng.random() < 0.5
            if not (in_yfinance or in_rss):
                in_yfinance = True
            if in_yfinance:
                items.append(_yfinance_item(str(article), title, published, publisher, url))
            if in_rss:
                rss_items.append((str(article), title, published, f"{url}?.tsrc=rss"))
    # Newest first, as both feeds order them.
    items.sort(key=lambda item: item["content"]["pubDate"], reverse=True)
    rss_items.sort(key=lambda item: item[2], reverse=True)
    # One malformed item in each feed: the ingest quarantines it with its reason.
    items.insert(
        3,
        {
            "id": "broken-0001",
            "content": {"id": "broken-0001", "title": "", "pubDate": "2018-12-03T15:00:00Z"},
        },
    )
    return items, _rss(symbol, rss_items)


def _yfinance_item(article: str, title: str, published: datetime, publisher: str, url: str) -> dict:
    stamp = published.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": article,
        "content": {
            "id": article,
            "contentType": "STORY",
            "title": title,
            "description": "",
            "summary": f"{title}.",
            "pubDate": stamp,
            "displayTime": stamp,
            "isHosted": True,
            "bypassModal": False,
            "previewUrl": None,
            "thumbnail": None,
            "provider": {"displayName": publisher, "url": "https://finance.yahoo.com/"},
            "canonicalUrl": {"url": url, "site": "finance", "region": "US", "lang": "en-US"},
            "clickThroughUrl": {"url": url, "site": "finance", "region": "US", "lang": "en-US"},
            "metadata": {"editorsPick": False},
            "finance": {"premiumFinance": {"isPremiumNews": False, "isPremiumFreeNews": False}},
            "storyline": None,
        },
    }


def _rss(symbol: str, items: list[tuple[str, str, datetime, str]]) -> str:
    built = format_datetime(datetime(2018, 12, 31, 23, 0, tzinfo=UTC))
    lines = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        '<rss version="2.0">',
        "<channel>",
        "<copyright>Copyright (c) 2018 Yahoo! Inc. All rights reserved.</copyright>",
        f"<description>Latest Financial News for {escape(symbol)}</description>",
    ]
    for position, (article, title, published, url) in enumerate(items):
        if position == 2:  # malformed: no link
            lines += [
                "<item>",
                "<description>Market update.</description>",
                f'<guid isPermaLink="false">{uuid.uuid5(uuid.NAMESPACE_URL, symbol)}</guid>',
                f"<pubDate>{format_datetime(published)}</pubDate>",
                "<title>Market update without a link</title>",
                "</item>",
            ]
        lines += [
            "<item>",
            f"<description>{escape(title)}.</description>",
            f'<guid isPermaLink="false">{article}</guid>',
            f"<link>{escape(url)}</link>",
            f"<pubDate>{format_datetime(published)}</pubDate>",
            f"<title>{escape(title)}</title>",
            "</item>",
        ]
    lines += [
        "<language>en-US</language>",
        f"<lastBuildDate>{built}</lastBuildDate>",
        f"<link>http://finance.yahoo.com/q/h?s={escape(symbol)}</link>",
        f"<title>Yahoo! Finance: {escape(symbol)} News</title>",
        "</channel>",
        "</rss>",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    rng = np.random.default_rng(SEED)
    trends_dir = SAMPLE / "trends"
    (trends_dir / "interest_over_time").mkdir(parents=True, exist_ok=True)
    make_trends(rng).to_csv(trends_dir / "interest_over_time" / "US.csv")
    manifest = {
        "origin": "simulated",
        "generator": "scripts/make_sample_trends_news.py",
        "source": "daily interest 2018-07-01..2018-12-31 driven by the sample SPY drawdown",
    }
    (trends_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    news_dir = SAMPLE / "news"
    for feed in ("yfinance", "rss"):
        (news_dir / feed).mkdir(parents=True, exist_ok=True)
    for symbol in DEFAULT_SYMBOLS:
        items, rss = make_news(rng, symbol)
        (news_dir / "yfinance" / f"{symbol}.json").write_text(json.dumps(items) + "\n")
        (news_dir / "rss" / f"{symbol}.xml").write_text(rss)
    manifest = {
        "origin": "simulated",
        "generator": "scripts/make_sample_trends_news.py",
        "source": "Q4 2018 template headlines whose tone follows the sample daily returns",
    }
    (news_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {trends_dir.relative_to(ROOT)} and {news_dir.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
