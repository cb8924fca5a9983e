"""News source constants. The symbol list itself is configuration: `.dlt/config.toml`."""

from __future__ import annotations

# A subset of the Yahoo universe: headline feeds are per symbol and rate limited.
DEFAULT_SYMBOLS = ("AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "JPM", "XOM", "SPY")
# How many items to ask yfinance for (Yahoo caps the stream at a few dozen).
NEWS_COUNT = 50

RSS_URL = "https://feeds.finance.yahoo.com/rss/2.0/headline"

HEADLINES_TABLE = "headlines"
QUARANTINE_TABLE = "headlines_quarantine"

FEED_YFINANCE = "yfinance"
FEED_RSS = "yahoo_rss"

# Query parameters that only track the click; two links differing in these are one article.
TRACKING_PARAMS = frozenset(
    {
        ".tsrc",
        "tsrc",
        "ncid",
        "soc_src",
        "soc_trk",
        "guccounter",
        "guce_referrer",
        "guce_referrer_sig",
        "fbclid",
        "gclid",
        "mc_cid",
        "mc_eid",
        "cmpid",
        "yptr",
        "sr_share",
        "src",
        "ref",
        "referrer",
        "siteid",
        "yahoo",
        "partner",
    }
)
TRACKING_PREFIXES = ("utm_",)
