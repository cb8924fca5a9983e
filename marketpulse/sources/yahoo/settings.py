"""Yahoo source constants. The universe itself is configuration: `.dlt/config.toml`."""

from __future__ import annotations

from datetime import date

DEFAULT_START_DATE = date(2010, 1, 1)
# Re-pull this many calendar days before each symbol's cursor: Yahoo corrects recent bars,
# and a bar loaded during the session is the partial one until the close.
DEFAULT_LAG_DAYS = 7

# The exchange timezone of a symbol whose metadata names none: the universe is US-listed.
DEFAULT_EXCHANGE_TIMEZONE = "America/New_York"

PRICE_COLUMNS = {"Open": "open", "High": "high", "Low": "low", "Close": "close"}
REQUIRED_HISTORY_COLUMNS = ("Open", "High", "Low", "Close", "Volume")
NUMERIC_HISTORY_COLUMNS = ("Open", "High", "Low", "Close", "Adj Close", "Volume")
# What yfinance's history frame may hold; anything else is reported as ignored.
KNOWN_HISTORY_COLUMNS = {*NUMERIC_HISTORY_COLUMNS, "Dividends", "Stock Splits", "Capital Gains"}

PRICES_TABLE = "prices_daily"
ACTIONS_TABLE = "corporate_actions"
SYMBOLS_TABLE = "symbols"
PRICES_REJECTED_TABLE = "prices_daily_rejected"

PRICE_HINTS = {
    "symbol": {"data_type": "text"},
    "trading_date": {"data_type": "date"},
    "open": {"data_type": "double"},
    "high": {"data_type": "double"},
    "low": {"data_type": "double"},
    "close": {"data_type": "double"},
    "adj_close": {"data_type": "double"},
    "volume": {"data_type": "bigint"},
    "exchange_timezone": {"data_type": "text"},
    "data_origin": {"data_type": "text"},
    "_loaded_at": {"data_type": "timestamp", "timezone": True},
}
ACTION_HINTS = {
    "symbol": {"data_type": "text"},
    "ex_date": {"data_type": "date"},
    "action_type": {"data_type": "text"},
    "value": {"data_type": "double"},
    "data_origin": {"data_type": "text"},
    "_loaded_at": {"data_type": "timestamp", "timezone": True},
}
REJECTED_HINTS = {
    "symbol": {"data_type": "text"},
    "trading_date": {"data_type": "date", "nullable": True},
    "reason": {"data_type": "text"},
    "raw_values": {"data_type": "text"},
    "data_origin": {"data_type": "text"},
    "_loaded_at": {"data_type": "timestamp", "timezone": True},
}
# The `Ticker.info` fields raw_yahoo.symbols keeps (as text, whatever type Yahoo sends).
SYMBOL_INFO_FIELDS = (
    "longName",
    "shortName",
    "quoteType",
    "sector",
    "industry",
    "currency",
    "exchange",
    "fullExchangeName",
    "exchangeTimezoneName",
)
SYMBOL_HINTS = {
    column: {"data_type": "text"}
    for column in (
        "symbol",
        "name",
        "quote_type",
        "sector",
        "industry",
        "currency",
        "exchange",
        "exchange_name",
        "exchange_timezone",
        "data_origin",
    )
} | {"_loaded_at": {"data_type": "timestamp", "timezone": True}}

# 30-minute bars (marketpulse/sources/yahoo/intraday.py). Yahoo keeps about 60 days of them.
INTRADAY_TABLE = "prices_intraday"
INTRADAY_BAR_MINUTES = 30
INTRADAY_HINTS = {
    "symbol": {"data_type": "text"},
    "bar_start_at": {"data_type": "timestamp", "timezone": True},
    "session_date": {"data_type": "date"},
    "open": {"data_type": "double"},
    "high": {"data_type": "double"},
    "low": {"data_type": "double"},
    "close": {"data_type": "double"},
    "adj_close": {"data_type": "double"},
    "volume": {"data_type": "bigint"},
    "is_complete": {"data_type": "bool"},
    "exchange_timezone": {"data_type": "text"},
    "data_origin": {"data_type": "text"},
    "_loaded_at": {"data_type": "timestamp", "timezone": True},
}
# 30-minute bars left out of prices_intraday: values that are not numbers, no start time, extra
# copies of a slot (duplicate_bar); every raw value kept as text.
INTRADAY_REJECTED_TABLE = "prices_intraday_rejected"
INTRADAY_REJECTED_HINTS = {
    "symbol": {"data_type": "text"},
    "bar_start_at": {"data_type": "timestamp", "timezone": True, "nullable": True},
    "reason": {"data_type": "text"},
    "raw_values": {"data_type": "text"},
    "data_origin": {"data_type": "text"},
    "_loaded_at": {"data_type": "timestamp", "timezone": True},
}
