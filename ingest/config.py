"""The ingest configuration: `.dlt/config.toml`, overridable by environment variables."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date

import dlt

from ingest.fred import settings as fred_settings
from ingest.warehouse import ConfigError
from ingest.yahoo import settings as yahoo_settings

# Yahoo tickers: letters, digits and . - = ^ (indices, share classes, futures, FX).
SYMBOL_PATTERN = re.compile(r"^\^?[A-Z0-9][A-Z0-9.\-=]{0,14}$")
SERIES_PATTERN = re.compile(r"^[A-Z0-9_]{1,40}$")
YAHOO_GROUPS = ("indices", "benchmarks", "sector_etfs", "large_caps", "symbols")


@dataclass(frozen=True)
class IngestConfig:
    symbols: tuple[str, ...]
    yahoo_start: date
    yahoo_lag_days: int
    series: tuple[str, ...]
    fred_start: date
    fred_lag_days: int
    fred_api_key: str | None

    @classmethod
    def load(cls) -> IngestConfig:
        symbols: list[str] = []
        for group in YAHOO_GROUPS:
            symbols += dlt.config.get(f"sources.yahoo.{group}", list) or []
        series = dlt.config.get("sources.fred.series", list) or []
        return cls(
            symbols=validate_symbols(symbols),
            yahoo_start=_date("sources.yahoo.start_date", yahoo_settings.DEFAULT_START_DATE),
            yahoo_lag_days=_int("sources.yahoo.lag_days", yahoo_settings.DEFAULT_LAG_DAYS),
            series=validate_series(series),
            fred_start=_date("sources.fred.start_date", fred_settings.DEFAULT_START_DATE),
            fred_lag_days=_int("sources.fred.lag_days", fred_settings.DEFAULT_LAG_DAYS),
            fred_api_key=os.environ.get("FRED_API_KEY")
            or dlt.secrets.get("sources.fred.api_key", str)
            or None,
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


def _date(key: str, default: date) -> date:
    value = dlt.config.get(key, str)
    try:
        return date.fromisoformat(str(value)) if value else default
    except ValueError as exc:
        raise ConfigError(f"{key} = {value!r} is not a date (YYYY-MM-DD)") from exc


def _int(key: str, default: int) -> int:
    value = dlt.config.get(key, int)
    return default if value is None else int(value)
