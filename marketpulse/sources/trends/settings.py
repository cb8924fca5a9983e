"""Google Trends source constants. Keywords, geo and timeframe are configuration."""

from __future__ import annotations

DEFAULT_KEYWORDS = ("recession", "inflation", "stock market crash", "buy stocks", "unemployment")
DEFAULT_GEO = "US"
# Google answers weekly points for 5 years, daily points for ranges under ~9 months.
DEFAULT_TIMEFRAME = "today 5-y"
# Google compares at most five terms per request; scores are relative within one request.
MAX_KEYWORDS_PER_REQUEST = 5

INTEREST_TABLE = "interest_over_time"

# pytrends' own retry uses an urllib3 argument removed in urllib3 2, so it stays off and
# marketpulse.retry does the backing off. Trends rate limits hard: start slower than the others.
RETRY_ATTEMPTS = 4
RETRY_BASE_DELAY = 10.0
RETRY_MAX_DELAY = 60.0
