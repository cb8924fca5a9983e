"""The ingest configuration: `.dlt/config.toml`, overridable by environment variables.

A list setting (the Yahoo universe, FRED series, trends keywords, news symbols) set anywhere
replaces its default whole: `SOURCES__YAHOO__SYMBOLS='["AAPL"]'` is the universe, not one more
symbol. An empty list or a value that is not a list of strings stops the run in one line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date

import dlt
from dlt.common.configuration.exceptions import ConfigValueCannotBeCoercedException

from marketpulse.sources.fred import settings as fred_settings
from marketpulse.sources.news import settings as news_settings
from marketpulse.sources.trends import settings as trends_settings
from marketpulse.sources.yahoo import settings as yahoo_settings
from marketpulse.warehouse import ConfigError

# Yahoo tickers: letters, digits and . - = ^ (indices, share classes, futures, FX).
SYMBOL_PATTERN = re.compile(r"^\^?[A-Z0-9][A-Z0-9.\-=]{0,14}$")
SERIES_PATTERN = re.compile(r"^[A-Z0-9_]{1,40}$")
# The default universe is the union of these groups; `sources.yahoo.symbols`, when set,
# replaces all of them.
YAHOO_GROUPS = ("indices", "benchmarks", "sector_etfs", "large_caps")
# Google Trends search terms: letters (any script), digits, spaces and ' & . - + only.
KEYWORD_PATTERN = re.compile(r"^[\w][\w '&.\-+]{0,99}$")
# ISO 3166-1 alpha-2 country, optionally with a subdivision (US-CA); "" is worldwide.
GEO_PATTERN = re.compile(r"^([A-Z]{2}(-[A-Z0-9]{1,3})?)?$")
# pytrends timeframes: `today 5-y`, `today 12-m`, `now 7-d`, `now 1-H`, `all`, or two dates.
TIMEFRAME_PATTERN = re.compile(
    r"^(all|today [1-9][0-9]?-[ym]|now [1-9][0-9]?-[dH]|\d{4}-\d{2}-\d{2} \d{4}-\d{2}-\d{2})$"
)


@dataclass(frozen=True)
class IngestConfig:
    symbols: tuple[str, ...]
    yahoo_start: date
    yahoo_lag_days: int
    series: tuple[str, ...]
    fred_start: date
    fred_lag_days: int
    fred_api_key: str | None
    trends_keywords: tuple[str, ...] = trends_settings.DEFAULT_KEYWORDS
    trends_geo: str = trends_settings.DEFAULT_GEO
    trends_timeframe: str = trends_settings.DEFAULT_TIMEFRAME
    news_symbols: tuple[str, ...] = news_settings.DEFAULT_SYMBOLS

    @classmethod
    def load(cls) -> IngestConfig:
        symbols = _list("sources.yahoo.symbols", None)
        if symbols is None:
            symbols = []
            for group in YAHOO_GROUPS:
                symbols += _list(f"sources.yahoo.{group}", ()) or []
        series = _list("sources.fred.series", ())
        return cls(
            symbols=validate_symbols(_not_empty(symbols, "sources.yahoo.symbols", "symbol")),
            yahoo_start=_date("sources.yahoo.start_date", yahoo_settings.DEFAULT_START_DATE),
            yahoo_lag_days=_int("sources.yahoo.lag_days", yahoo_settings.DEFAULT_LAG_DAYS),
            series=validate_series(_not_empty(series, "sources.fred.series", "series id")),
            fred_start=_date("sources.fred.start_date", fred_settings.DEFAULT_START_DATE),
            fred_lag_days=_int("sources.fred.lag_days", fred_settings.DEFAULT_LAG_DAYS),
            fred_api_key=os.environ.get("FRED_API_KEY")
            or dlt.secrets.get("sources.fred.api_key", str)
            or None,
            trends_keywords=validate_keywords(
                _not_empty(
                    _list("sources.trends.keywords", trends_settings.DEFAULT_KEYWORDS),
                    "sources.trends.keywords",
                    "search term",
                )
            ),
            trends_geo=validate_geo(_str("sources.trends.geo", trends_settings.DEFAULT_GEO)),
            trends_timeframe=validate_timeframe(
                _str("sources.trends.timeframe", trends_settings.DEFAULT_TIMEFRAME)
            ),
            news_symbols=validate_symbols(
                _not_empty(
                    _list("sources.news.symbols", news_settings.DEFAULT_SYMBOLS),
                    "sources.news.symbols",
                    "symbol",
                )
            ),
        )


def validate_symbols(symbols: list[str]) -> tuple[str, ...]:
    cleaned = [str(symbol).strip().upper() for symbol in symbols]
    bad = [symbol for symbol in cleaned if not SYMBOL_PATTERN.match(symbol)]
    if bad:
        raise ConfigError(f"not a valid Yahoo symbol: {bad[0]!r} (letters, digits, ^ . - = only)")
    return tuple(dict.fromkeys(cleaned))


def validate_series(series: list[str]) -> tuple[str, ...]:
    cleaned = [str(series_id).strip().upper() for series_id in series]
    bad = [series_id for series_id in cleaned if not SERIES_PATTERN.match(series_id)]
    if bad:
        raise ConfigError(f"not a valid FRED series id: {bad[0]!r} (letters, digits, _ only)")
    return tuple(dict.fromkeys(cleaned))


def validate_keywords(keywords: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    cleaned = [" ".join(str(keyword).split()) for keyword in keywords]
    bad = [keyword for keyword in cleaned if not KEYWORD_PATTERN.match(keyword)]
    if bad:
        raise ConfigError(
            f"not a valid Google Trends keyword: {bad[0]!r} "
            "(letters, digits, spaces and ' & . - + only, at most 100 characters)"
        )
    if not cleaned:
        raise ConfigError("sources.trends.keywords is empty; list at least one search term")
    return tuple(dict.fromkeys(cleaned))


def validate_geo(geo: str) -> str:
    cleaned = str(geo).strip().upper()
    if not GEO_PATTERN.match(cleaned):
        raise ConfigError(
            f"not a valid Google Trends geo: {geo!r} (a country code such as US, "
            "a region such as US-CA, or empty for worldwide)"
        )
    return cleaned


def validate_timeframe(timeframe: str) -> str:
    cleaned = " ".join(str(timeframe).split())
    if not TIMEFRAME_PATTERN.match(cleaned):
        raise ConfigError(
            f"not a valid Google Trends timeframe: {timeframe!r} "
            "(e.g. 'today 5-y', 'today 3-m', 'now 7-d', 'all', '2018-01-01 2018-12-31')"
        )
    return cleaned


def env_name(key: str) -> str:
    """The environment variable dlt reads for `key`: sources.yahoo.symbols -> SOURCES__YAHOO__SYMBOLS."""
    return "__".join(part.upper() for part in key.split("."))


def _list(key: str, default: tuple[str, ...] | None) -> list[str] | None:
    """The list at `key`, or `default` (as a list) when it is not set anywhere."""
    example = f'e.g. {env_name(key)}=\'["A", "B"]\''
    try:
        value = dlt.config.get(key, list)
    except ConfigValueCannotBeCoercedException:
        raw = dlt.config.get(key)
        raise ConfigError(
            f"{key} ({env_name(key)}) must be a list of strings, {example}; got {_shown(raw)}"
        ) from None
    if value is None:
        return None if default is None else list(default)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(
            f"{key} ({env_name(key)}) must be a list of strings, {example}; got {_shown(value)}"
        )
    return value


def _not_empty(values: list[str] | None, key: str, what: str) -> list[str]:
    if not values:
        raise ConfigError(
            f"{key} ({env_name(key)}) is empty: list at least one {what} "
            "(an override replaces the configured list, it does not add to it)"
        )
    return values


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _str(key: str, default: str) -> str:
    value = dlt.config.get(key, str)
    return default if value is None else str(value)


def _date(key: str, default: date) -> date:
    value = dlt.config.get(key, str)
    try:
        return date.fromisoformat(str(value)) if value else default
    except ValueError as exc:
        raise ConfigError(f"{key} = {value!r} is not a date (YYYY-MM-DD)") from exc


def _int(key: str, default: int) -> int:
    value = dlt.config.get(key, int)
    return default if value is None else int(value)
