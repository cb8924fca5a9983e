"""Every column of every source resource, with a missing (None, NaN) or unreadable value in one
row: the batch still loads, every good row lands, the column types stay the declared ones, and
the odd row is either kept with a NULL (a value Yahoo or FRED may lack) or quarantined with its
reason and raw values. One item (symbol, series, keyword) per case, all loaded in one run per
source, through the real sources, dlt and the run audit, on DuckDB and on Postgres."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest

from marketpulse.errors import NotFoundError
from marketpulse.ingest import runner
from marketpulse.ingest.report import Progress, SourceReport
from marketpulse.sources.fred import fred_source
from marketpulse.sources.news import news_source
from marketpulse.sources.trends import trends_source
from marketpulse.sources.yahoo import yahoo_source
from marketpulse.sources.yahoo.intraday import yahoo_intraday_source
from marketpulse.warehouse import Warehouse
from tests.conftest import fresh_postgres_database

NAN = np.nan
MISSING = {"none": None, "nan": NAN}
GARBAGE = "n/a"
QUIET = Progress(quiet=True)
NOW = datetime(2024, 1, 5, 12, 0, tzinfo=UTC)

# --- Yahoo daily history: Open..Stock Splits, and the date index ----------------------------

DAYS = ["2024-01-02", "2024-01-03", "2024-01-04"]
HISTORY = {
    "Open": [187.15, 184.22, 182.15],
    "High": [188.44, 185.88, 183.09],
    "Low": [183.89, 183.43, 180.88],
    "Close": [185.64, 184.25, 181.91],
    "Adj Close": [184.73, 183.35, 181.02],
    "Volume": [82488700.0, 58414500.0, 71983600.0],
    "Dividends": [0.0, 0.0, 0.24],  # a dividend on the last bar: corporate_actions per case
    "Stock Splits": [0.0, 0.0, 0.0],
}
HISTORY_COLUMNS = list(HISTORY)
RAW_PRICE = {"Open": "open", "High": "high", "Low": "low", "Close": "close"}
RAW_PRICE |= {"Adj Close": "adj_close", "Volume": "volume"}
INTRADAY_TIMES = ["2024-01-03 09:30", "2024-01-03 10:00", "2024-01-03 10:30"]
INTRADAY_COLUMNS = HISTORY_COLUMNS[:6]


def symbol_of(column: str, kind: str) -> str:
    return f"{column.replace(' ', '').upper()}_{kind.upper()}"


def history_frame(column: str | None, value: Any, times: list[str], name: str) -> pd.DataFrame:
    """Three bars; the middle one has `value` in `column` (None: the index stamp)."""
    columns = HISTORY if name == "Date" else {c: HISTORY[c] for c in INTRADAY_COLUMNS}
    frame = pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in columns.items()})
    stamps: list[Any] = list(times)
    if column is None:
        stamps[1] = None
    else:
        frame.loc[1, column] = value
        frame[column] = frame[column] if isinstance(value, str) else frame[column].astype(float)
    for other in frame.columns:
        if other != column:
            frame[other] = frame[other].astype(float)
    index = pd.DatetimeIndex(pd.to_datetime(stamps), name=name).tz_localize("America/New_York")
    frame.index = index
    return frame


INFO = {
    "longName": "Apple Inc.",
    "shortName": "Apple",
    "quoteType": "EQUITY",
    "sector": "Technology",
    "industry": "Consumer Electronics",
    "currency": "USD",
    "exchange": "NMS",
    "fullExchangeName": "NasdaqGS",
    "exchangeTimezoneName": "America/New_York",
}
INFO_COLUMN = {
    "quoteType": "quote_type",
    "sector": "sector",
    "industry": "industry",
    "currency": "currency",
    "exchange": "exchange",
    "fullExchangeName": "exchange_name",
}


class YahooCases:
    """The Yahoo boundary: one symbol per case; GOOD has no odd value at all."""

    origin = "recorded"

    def __init__(self) -> None:
        self.daily: dict[str, pd.DataFrame] = {"GOOD": history_frame("Open", 187.15, DAYS, "Date")}
        self.intraday_frames = {"GOOD": history_frame("Open", 187.15, INTRADAY_TIMES, "Datetime")}
        self.infos: dict[str, dict[str, Any]] = {"GOOD": dict(INFO)}
        for column in HISTORY_COLUMNS:
            for kind, value in (*MISSING.items(), ("garbage", GARBAGE)):
                symbol = symbol_of(column, kind)
                self.daily[symbol] = history_frame(column, value, DAYS, "Date")
                self.infos[symbol] = dict(INFO)
                if column in INTRADAY_COLUMNS:
                    frame = history_frame(column, value, INTRADAY_TIMES, "Datetime")
                    self.intraday_frames[symbol] = frame
        for name, times in (("Date", DAYS), ("Datetime", INTRADAY_TIMES)):
            frame = history_frame(None, None, times, name)
            (self.daily if name == "Date" else self.intraday_frames)["NODATE"] = frame
        self.infos["NODATE"] = dict(INFO)
        for field in INFO:
            for kind, value in (*MISSING.items(), ("number", 7)):
                symbol = f"INFO_{field.upper()}_{kind.upper()}"
                self.daily[symbol] = self.daily["GOOD"]
                self.infos[symbol] = {**INFO, field: value}

    def history(self, symbol: str, start: date, end: date | None = None) -> pd.DataFrame:
        return self.daily[symbol]

    def intraday(self, symbol: str, start: date) -> pd.DataFrame:
        return self.intraday_frames[symbol]

    def info(self, symbol: str) -> dict[str, Any]:
        return dict(self.infos[symbol])

    def origin_of(self, symbol: str) -> str:
        return "recorded"

    def intraday_origin_of(self, symbol: str) -> str:
        return "recorded"


# --- FRED: vintages (observation_date, realtime_start, realtime_end, value), series info ---

OBSERVED = [date(2023, 10, 1), date(2023, 11, 1), date(2023, 12, 1)]
VINTAGE = {
    "observation_date": OBSERVED,
    "realtime_start": [date(2023, 11, 14), date(2023, 12, 12), date(2024, 1, 11)],
    "realtime_end": [date(9999, 12, 31)] * 3,
    "value": [307.7, 308.0, 308.7],
}
SERIES_INFO = {
    "title": "CPI",
    "frequency": "Monthly",
    "frequency_short": "M",
    "units": "Index",
    "units_short": "Index",
    "seasonal_adjustment": "Seasonally Adjusted",
    "seasonal_adjustment_short": "SA",
    "last_updated": "2024-01-11 07:38:02-06",
    "observation_start": "1947-01-01",
    "observation_end": "2023-12-01",
}


class FredCases:
    origin = "recorded"

    def __init__(self) -> None:
        self.frames = {"GOOD": pd.DataFrame(VINTAGE)}
        self.infos = {"GOOD": dict(SERIES_INFO)}
        for column in VINTAGE:
            for kind, value in MISSING.items():
                series = f"{column.upper()}_{kind.upper()}"
                columns = {name: list(values) for name, values in VINTAGE.items()}
                columns[column][1] = value
                self.frames[series] = pd.DataFrame(columns)
                self.infos[series] = dict(SERIES_INFO)
        for field in SERIES_INFO:
            for kind, value in MISSING.items():
                series = f"INFO_{field.upper()}_{kind.upper()}"
                self.frames[series] = self.frames["GOOD"]
                self.infos[series] = {**SERIES_INFO, field: value}

    def observations(self, series_id: str, start: date) -> pd.DataFrame:
        return self.frames[series_id].copy()

    def series_info(self, series_id: str) -> dict[str, Any]:
        return dict(self.infos[series_id])

    def origin_of(self, series_id: str) -> str:
        return "recorded"


# --- Google Trends: one keyword per case, a score column and isPartial ------------------------

WEEKS = ["2023-12-17", "2023-12-24", "2023-12-31"]


class TrendsCases:
    """Google answers one frame per request (the keywords' scores and one isPartial column):
    the score cases share one request, each isPartial and date case is a request of its own."""

    origin = "recorded"
    requests = (
        ("good", "score none", "score nan", "score garbage"),
        ("partial none",),
        ("partial nan",),
        ("date none",),
    )

    def interest_over_time(self, keywords: Any, geo: str, timeframe: str) -> pd.DataFrame:
        weeks: list[Any] = list(WEEKS)
        partial: list[Any] = [False, False, True]
        if keywords == ("date none",):
            weeks[1] = None
        elif keywords[0].startswith("partial"):
            partial[1] = MISSING[keywords[0].split()[1]]
        index = pd.DatetimeIndex(pd.to_datetime(weeks), name="date")
        scores = {keyword: pd.Series([40, 55, 61], dtype=object) for keyword in keywords}
        for keyword in keywords:
            if keyword.startswith("score"):
                kind = keyword.split()[1]
                scores[keyword][1] = GARBAGE if kind == "garbage" else MISSING[kind]
        frame = pd.DataFrame({**scores, "isPartial": pd.Series(partial, dtype=object)})
        frame.index = index
        return frame

    def origin_of(self, keyword: str) -> str:
        return "recorded"


# --- news: yfinance items (fields under content) ---------------------------------------------

ITEM = {
    "title": "Apple beats estimates",
    "summary": "Revenue above forecasts.",
    "pubDate": "2024-01-03T20:35:12Z",
    "provider": {"displayName": "Reuters"},
    "canonicalUrl": {"url": "https://finance.yahoo.com/news/apple-beats-1.html"},
}


class NewsCases:
    origin = "recorded"

    def __init__(self) -> None:
        self.items: dict[str, list[dict[str, Any]]] = {}
        good = {"id": "good-2", "content": {**ITEM, "title": "Apple shares rally"}}
        good["content"]["canonicalUrl"] = {"url": "https://finance.yahoo.com/news/rally-2.html"}
        for field in ITEM:
            for kind, value in MISSING.items():
                symbol = f"{field.upper()}_{kind.upper()}"
                self.items[symbol] = [{"id": "odd-1", "content": {**ITEM, field: value}}, good]

    def ticker_news(self, symbol: str) -> list[dict[str, Any]]:
        return self.items[symbol]

    def rss_headlines(self, symbol: str) -> str:
        return ""

    def origin_of(self, symbol: str) -> str:
        if symbol not in self.items:
            raise NotFoundError(symbol)
        return "recorded"


# --- the load, once per warehouse -------------------------------------------------------------


@dataclass
class Loaded:
    warehouse: Warehouse
    reports: dict[str, SourceReport]
    yahoo: YahooCases
    fred: FredCases

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.warehouse.kind == "duckdb":
            sql = sql.replace("%s", "?")
        with closing(self.warehouse.connect()) as connection:
            cursor = connection.cursor()
            cursor.execute(sql, params)
            return [tuple(row) for row in cursor.fetchall()]


def load_all(warehouse: Warehouse) -> Loaded:
    yahoo, fred, trends, news = YahooCases(), FredCases(), TrendsCases(), NewsCases()
    symbols = list(yahoo.daily)
    runs = {
        "yahoo": lambda report: yahoo_source(
            symbols, yahoo, report, QUIET, start_date=date(2024, 1, 1)
        ),
        "intraday": lambda report: yahoo_intraday_source(
            list(yahoo.intraday_frames), yahoo, report, QUIET, clock=lambda: NOW
        ),
        "fred": lambda report: fred_source(list(fred.frames), fred, report, QUIET),
        "news": lambda report: news_source(list(news.items), news, report, QUIET),
    }
    reports = {name: runner.run_source(name, build, warehouse) for name, build in runs.items()}
    for keywords in trends.requests:
        reports[f"trends {keywords[0]}"] = runner.run_source(
            "trends",
            lambda report, k=keywords: trends_source(k, trends, report, QUIET),  # type: ignore[misc]
            warehouse,
        )
    return Loaded(warehouse, reports, yahoo, fred)


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Loaded]:
    if request.param == "duckdb":
        path = tmp_path_factory.mktemp("missing") / "wh.duckdb"
        yield load_all(
            Warehouse.from_env({"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(path)})
        )
        return
    with fresh_postgres_database(request.getfixturevalue("postgres_admin_db")) as warehouse:
        yield load_all(warehouse)


# --- what every case must show ----------------------------------------------------------------


def test_no_source_failed_and_nothing_failed_as_a_batch(loaded: Loaded) -> None:
    for name, report in loaded.reports.items():
        assert report.fatal is None, (name, report.fatal)
    assert loaded.reports["yahoo"].failed == {}
    assert loaded.reports["intraday"].failed == {}
    for name, report in loaded.reports.items():
        if name.startswith("trends"):
            assert report.failed == {}, name


DECLARED = {
    ("raw_yahoo", "prices_daily"): {
        "open": "double",
        "high": "double",
        "low": "double",
        "close": "double",
        "adj_close": "double",
        "volume": "bigint",
        "trading_date": "date",
    },
    ("raw_yahoo", "prices_intraday"): {
        "open": "double",
        "volume": "bigint",
        "bar_start_at": "timestamptz",
        "session_date": "date",
        "is_complete": "bool",
    },
    ("raw_yahoo", "corporate_actions"): {"value": "double", "ex_date": "date"},
    ("raw_yahoo", "symbols"): {column: "text" for column in INFO_COLUMN.values()},
    ("raw_fred", "observations"): {
        "value": "double",
        "realtime_start": "date",
        "realtime_end": "date",
        "observation_date": "date",
    },
    ("raw_fred", "series"): {
        "title": "text",
        "last_updated_at": "timestamptz",
        "observation_start": "date",
    },
    ("raw_trends", "interest_over_time"): {"interest_score": "bigint", "is_partial": "bool"},
    ("raw_news", "headlines"): {"summary": "text", "publisher": "text"},
}
KINDS = {
    "VARCHAR": "text",
    "character varying": "text",
    "text": "text",
    "DATE": "date",
    "date": "date",
    "DOUBLE": "double",
    "double precision": "double",
    "BIGINT": "bigint",
    "bigint": "bigint",
    "BOOLEAN": "bool",
    "boolean": "bool",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "timestamp with time zone": "timestamptz",
}


@pytest.mark.parametrize(("schema", "table"), list(DECLARED))
def test_columns_keep_their_declared_types_and_no_variant_appears(
    loaded: Loaded, schema: str, table: str
) -> None:
    found = {
        name: KINDS.get(kind, kind)
        for name, kind in loaded.rows(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = %s and table_name = %s",
            (schema, table),
        )
    }
    assert {name: found.get(name) for name in DECLARED[schema, table]} == DECLARED[schema, table]
    assert not [name for name in found if "__v_" in name], found  # dlt's variant columns


def daily_rows(loaded: Loaded, symbol: str, column: str) -> list[tuple[Any, ...]]:
    return loaded.rows(
        f"select trading_date, {column} from raw_yahoo.prices_daily"  # column: a test constant
        " where symbol = %s order by trading_date",
        (symbol,),
    )


def rejected(loaded: Loaded, table: str, key: str, symbol: str) -> list[tuple[Any, ...]]:
    return loaded.rows(
        f"select {key}, reason, raw_values from raw_yahoo.{table} where symbol = %s",  # constants
        (symbol,),
    )


EXPECTED_DAYS = [date.fromisoformat(day) for day in DAYS]


@pytest.mark.parametrize("kind", list(MISSING))
@pytest.mark.parametrize("column", HISTORY_COLUMNS)
def test_a_missing_daily_value_lands_as_null(loaded: Loaded, column: str, kind: str) -> None:
    symbol = symbol_of(column, kind)
    assert symbol in loaded.reports["yahoo"].loaded
    raw = RAW_PRICE.get(column, "close")
    values = [HISTORY[column][0], None, HISTORY[column][2]]
    if column not in RAW_PRICE:  # an action column: the prices are whole
        values = HISTORY["Close"]
    if column == "Volume":
        values = [82488700, None, 71983600]
    assert daily_rows(loaded, symbol, raw) == list(zip(EXPECTED_DAYS, values, strict=True))
    assert rejected(loaded, "prices_daily_rejected", "trading_date", symbol) == []
    # the dividend of Jan 4 lands whatever is missing on Jan 3
    actions = loaded.rows(
        "select ex_date, value from raw_yahoo.corporate_actions where symbol = %s", (symbol,)
    )
    assert actions == [(date(2024, 1, 4), 0.24)]


@pytest.mark.parametrize("column", HISTORY_COLUMNS)
def test_a_daily_value_that_is_not_a_number_is_quarantined(loaded: Loaded, column: str) -> None:
    symbol = symbol_of(column, "garbage")
    assert daily_rows(loaded, symbol, "close") == [
        (EXPECTED_DAYS[0], HISTORY["Close"][0]),
        (EXPECTED_DAYS[2], HISTORY["Close"][2]),
    ]
    ((day, reason, raw),) = rejected(loaded, "prices_daily_rejected", "trading_date", symbol)
    assert (day, reason) == (EXPECTED_DAYS[1], f"not a number in {column}")
    assert json.loads(raw)[column] == GARBAGE


def test_a_daily_bar_without_a_date_is_quarantined(loaded: Loaded) -> None:
    assert [day for day, _ in daily_rows(loaded, "NODATE", "close")] == [
        EXPECTED_DAYS[0],
        EXPECTED_DAYS[2],
    ]
    ((day, reason, raw),) = rejected(loaded, "prices_daily_rejected", "trading_date", "NODATE")
    assert (day, reason) == (None, "no session date")
    assert json.loads(raw)["Close"] == str(HISTORY["Close"][1])


INTRADAY_UTC = [
    datetime(2024, 1, 3, 14, 30, tzinfo=UTC),
    datetime(2024, 1, 3, 15, 0, tzinfo=UTC),
    datetime(2024, 1, 3, 15, 30, tzinfo=UTC),
]


def intraday_rows(loaded: Loaded, symbol: str, column: str) -> list[tuple[Any, ...]]:
    return [
        (start.astimezone(UTC), value)
        for start, value in loaded.rows(
            f"select bar_start_at, {column} from raw_yahoo.prices_intraday"  # a test constant
            " where symbol = %s order by bar_start_at",
            (symbol,),
        )
    ]


@pytest.mark.parametrize("kind", list(MISSING))
@pytest.mark.parametrize("column", INTRADAY_COLUMNS)
def test_a_missing_intraday_value_lands_as_null(loaded: Loaded, column: str, kind: str) -> None:
    symbol = symbol_of(column, kind)
    values: list[Any] = [HISTORY[column][0], None, HISTORY[column][2]]
    if column == "Volume":
        values = [82488700, None, 71983600]
    assert intraday_rows(loaded, symbol, RAW_PRICE[column]) == list(
        zip(INTRADAY_UTC, values, strict=True)
    )
    assert rejected(loaded, "prices_intraday_rejected", "bar_start_at", symbol) == []


@pytest.mark.parametrize("column", INTRADAY_COLUMNS)
def test_an_intraday_value_that_is_not_a_number_is_quarantined(loaded: Loaded, column: str) -> None:
    symbol = symbol_of(column, "garbage")
    assert [start for start, _ in intraday_rows(loaded, symbol, "close")] == [
        INTRADAY_UTC[0],
        INTRADAY_UTC[2],
    ]
    ((start, reason, raw),) = rejected(loaded, "prices_intraday_rejected", "bar_start_at", symbol)
    assert (start.astimezone(UTC), reason) == (INTRADAY_UTC[1], f"not a number in {column}")
    assert json.loads(raw)[column] == GARBAGE


def test_an_intraday_bar_without_a_start_is_quarantined(loaded: Loaded) -> None:
    assert [start for start, _ in intraday_rows(loaded, "NODATE", "close")] == [
        INTRADAY_UTC[0],
        INTRADAY_UTC[2],
    ]
    ((start, reason, _),) = rejected(loaded, "prices_intraday_rejected", "bar_start_at", "NODATE")
    assert (start, reason) == (None, "no bar start time")


@pytest.mark.parametrize("kind", [*MISSING, "number"])
@pytest.mark.parametrize("field", list(INFO))
def test_a_missing_metadata_field_lands_as_null(loaded: Loaded, field: str, kind: str) -> None:
    symbol = f"INFO_{field.upper()}_{kind.upper()}"
    ((name, *columns),) = loaded.rows(
        "select name, quote_type, sector, industry, currency, exchange, exchange_name,"
        " exchange_timezone from raw_yahoo.symbols where symbol = %s",
        (symbol,),
    )
    fields = ["quoteType", "sector", "industry", "currency", "exchange", "fullExchangeName"]
    fields.append("exchangeTimezoneName")
    expected = {f: INFO[f] for f in fields}
    if field in expected:
        expected[field] = "7" if kind == "number" else None
    assert columns == [expected[f] for f in fields]
    if field == "longName":
        assert name == ("7" if kind == "number" else "Apple")  # shortName stands in
    else:
        assert name == "Apple Inc."
    # the prices of a symbol with odd metadata load whole
    assert len(daily_rows(loaded, symbol, "close")) == 3


def observations(loaded: Loaded, series: str) -> list[tuple[Any, ...]]:
    return loaded.rows(
        "select observation_date, realtime_start, realtime_end, value, is_first_seen_stamp"
        " from raw_fred.observations where series_id = %s order by observation_date",
        (series,),
    )


@pytest.mark.parametrize("kind", list(MISSING))
@pytest.mark.parametrize("column", ["value", "realtime_start", "realtime_end"])
def test_a_missing_fred_value_or_vintage_lands(loaded: Loaded, column: str, kind: str) -> None:
    series = f"{column.upper()}_{kind.upper()}"
    assert series in loaded.reports["fred"].loaded
    rows = observations(loaded, series)
    assert [row[0] for row in rows] == OBSERVED
    middle = dict(
        zip(["observation_date", "realtime_start", "realtime_end", "value"], rows[1], strict=False)
    )
    if column == "realtime_start":  # no vintage: stamped as first seen today, never dropped
        assert rows[1][4] is True and middle["realtime_end"] == date(9999, 12, 31)
        assert middle["realtime_start"] == datetime.now(UTC).date()
    else:
        assert middle[column] is None
        assert rows[1][4] is False


@pytest.mark.parametrize("kind", list(MISSING))
def test_a_fred_value_without_an_observation_date_is_quarantined(loaded: Loaded, kind: str) -> None:
    series = f"OBSERVATION_DATE_{kind.upper()}"
    assert [row[0] for row in observations(loaded, series)] == [OBSERVED[0], OBSERVED[2]]
    ((reason, raw),) = loaded.rows(
        "select reason, raw_values from raw_fred.observations_rejected where series_id = %s",
        (series,),
    )
    assert reason == "no observation date"
    assert json.loads(raw) == {
        "observation_date": None,
        "realtime_start": "2023-12-12",
        "realtime_end": "9999-12-31",
        "value": "308.0",
    }


@pytest.mark.parametrize("kind", list(MISSING))
@pytest.mark.parametrize("field", list(SERIES_INFO))
def test_a_missing_series_field_lands_as_null(loaded: Loaded, field: str, kind: str) -> None:
    series = f"INFO_{field.upper()}_{kind.upper()}"
    ((title, updated, start),) = loaded.rows(
        "select title, last_updated_at, observation_start from raw_fred.series"
        " where series_id = %s",
        (series,),
    )
    assert (title is None) == (field == "title")
    assert (updated is None) == (field == "last_updated")
    assert (start is None) == (field == "observation_start")
    assert len(observations(loaded, series)) == 3


def interest(loaded: Loaded, keyword: str) -> list[tuple[Any, ...]]:
    return loaded.rows(
        "select observed_date, interest_score from raw_trends.interest_over_time"
        " where keyword = %s order by observed_date",
        (keyword,),
    )


@pytest.mark.parametrize(
    ("keyword", "reason"),
    [
        ("score none", "no interest score"),
        ("score nan", "no interest score"),
        ("score garbage", "interest score is not a number"),
        ("partial none", "isPartial is not True/False"),
        ("partial nan", "isPartial is not True/False"),
        ("date none", "no date"),
    ],
)
def test_an_unreadable_trends_point_is_quarantined(
    loaded: Loaded, keyword: str, reason: str
) -> None:
    assert any(keyword in report.loaded for report in loaded.reports.values())
    assert interest(loaded, keyword) == [(date(2023, 12, 17), 40), (date(2023, 12, 31), 61)]
    ((observed, found),) = loaded.rows(
        "select observed_date, reason from raw_trends.interest_over_time_rejected"
        " where keyword = %s",
        (keyword,),
    )
    assert found == reason
    assert observed == (None if keyword == "date none" else date(2023, 12, 24))


@pytest.mark.parametrize("kind", list(MISSING))
@pytest.mark.parametrize("field", list(ITEM))
def test_a_news_item_missing_a_field_is_kept_or_quarantined(
    loaded: Loaded, field: str, kind: str
) -> None:
    symbol = f"{field.upper()}_{kind.upper()}"
    headlines = loaded.rows(
        "select title, summary, publisher from raw_news.headlines where symbol = %s order by title",
        (symbol,),
    )
    quarantined = loaded.rows(
        "select reason from raw_news.headlines_quarantine where symbol = %s", (symbol,)
    )
    if field in ("title", "pubDate", "canonicalUrl"):  # no headline without these
        assert [row[0] for row in headlines] == ["Apple shares rally"]
        assert len(quarantined) == 1 and quarantined[0][0]
    else:  # kept, the field NULL
        assert [row[0] for row in headlines] == ["Apple beats estimates", "Apple shares rally"]
        assert quarantined == []
        column = {"summary": 1, "provider": 2}[field]
        assert headlines[0][column] is None


def test_the_audit_counts_the_quarantined_rows(loaded: Loaded) -> None:
    yahoo = loaded.reports["yahoo"].quarantined
    assert yahoo == {("prices_daily_rejected", "invalid_bar"): len(HISTORY_COLUMNS) + 1}
    assert loaded.reports["intraday"].quarantined == {
        ("prices_intraday_rejected", "invalid_bar"): len(INTRADAY_COLUMNS) + 1
    }
    assert loaded.reports["fred"].quarantined == {
        ("observations_rejected", "no_observation_date"): 2
    }
    trends = [r.quarantined for name, r in loaded.reports.items() if name.startswith("trends")]
    assert trends == [
        {("interest_over_time_rejected", "invalid_point"): count} for count in (3, 1, 1, 1)
    ]
