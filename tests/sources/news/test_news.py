"""News: yfinance news dicts and RSS XML in their real shapes (including malformed and empty
answers), dedupe by canonical URL, scoring at ingest, and the finance layer's measured gain."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest
import requests
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from marketpulse.errors import PayloadError
from marketpulse.ingest import runner
from marketpulse.ingest.report import Progress
from marketpulse.retry import RetryPolicy
from marketpulse.sources.fred.client import ReplayFredClient
from marketpulse.sources.news.client import ReplayNewsClient
from marketpulse.sources.news.evaluation import accuracy, evaluate, macro_f1
from marketpulse.sources.news.parsing import article_id, canonical_url, parse_rss, parse_ticker_news
from marketpulse.sources.news.sentiment import HeadlineScorer, label
from marketpulse.sources.trends.client import ReplayTrendsClient
from marketpulse.sources.yahoo.client import ReplayYahooClient
from marketpulse.warehouse import Warehouse
from tests.conftest import FIXTURES, fixture_config

NEWS = FIXTURES / "news"
FAST = RetryPolicy(attempts=2, base_delay=0.0, max_delay=0.0)


def test_canonical_url_strips_tracking_and_fragment_only() -> None:
    assert canonical_url(
        "HTTP://Finance.Yahoo.com/news/a-b.html?.tsrc=rss&utm_source=x&id=7&b=2#top"
    ) == ("https://finance.yahoo.com/news/a-b.html?b=2&id=7")
    assert canonical_url("https://example.com/x/") == "https://example.com/x"
    with pytest.raises(ValueError, match="not an http"):
        canonical_url("javascript:alert(1)")


def test_yfinance_items_parse_and_malformed_ones_are_rejected_with_reason() -> None:
    items = json.loads((NEWS / "yfinance" / "AAPL.json").read_text())
    headlines, rejected = parse_ticker_news("AAPL", items)
    assert [(h.title, h.publisher, h.published_at) for h in headlines] == [
        (
            "Apple beats quarterly revenue estimates on strong iPhone demand",
            "Reuters",
            datetime(2018, 11, 1, 20, 35, 12, tzinfo=UTC),
        ),
        (
            "Apple shares slump as iPhone suppliers cut forecasts",
            "Bloomberg",
            datetime(2018, 11, 12, 16, 2, tzinfo=UTC),
        ),
    ]
    # canonicalUrl is null on the second item: clickThroughUrl is used, cleaned.
    assert headlines[1].url == "https://www.bloomberg.com/news/articles/2018-11-12/apple-slumps"
    assert [r.reason for r in rejected] == [
        "'no `content` object (not the yfinance 1.x news shape)'",
        "Invalid isoformat string: 'yesterday'",
    ]
    assert json.loads(rejected[0].payload) == {"id": "ad-placeholder-01", "content": None}


def test_rss_items_parse_to_utc_and_bad_dates_are_rejected() -> None:
    headlines, rejected = parse_rss("AAPL", (NEWS / "rss" / "AAPL.xml").read_text())
    assert [(h.title, h.published_at, h.url) for h in headlines] == [
        (
            "Apple beats quarterly revenue estimates on strong iPhone demand",
            datetime(2018, 11, 1, 20, 35, 12, tzinfo=UTC),
            "https://finance.yahoo.com/news/apple-beats-quarterly-revenue-203512123.html",
        ),
        (
            "Analysts weigh Apple & its services business",
            datetime(2018, 11, 2, 15, 15, tzinfo=UTC),  # -0400 -> UTC
            "https://finance.yahoo.com/news/apple-services-analysts-151500789.html",
        ),
    ]
    assert len(rejected) == 1
    assert "is not an RFC 822 date" in rejected[0].reason
    assert '<guid isPermaLink="false">bad-date-0001</guid>' in rejected[0].payload


@pytest.mark.parametrize("text", ["", "   \n"])
def test_empty_rss_is_an_empty_feed(text: str) -> None:
    assert parse_rss("AAPL", text) == ([], [])


def test_empty_and_missing_yfinance_news_are_empty() -> None:
    assert parse_ticker_news("AAPL", []) == ([], [])
    assert parse_ticker_news("AAPL", None) == ([], [])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('<?xml version="1.0"?>\n<rss version="2.0"><channel><item><title>Cut', "not well-formed"),
        ("<html><body>Will be right back</body></html>", "not an RSS 2.0 document"),
        (
            '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss><channel/></rss>',
            "DOCTYPE/ENTITY; refused",
        ),
    ],
)
def test_malformed_rss_is_a_payload_error(text: str, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        parse_rss("AAPL", text)


def test_yfinance_news_that_is_not_a_list_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="not a list"):
        parse_ticker_news("AAPL", {"not": "a list"})


def test_pipeline_dedupes_scores_and_quarantines(duckdb_warehouse: Warehouse) -> None:
    reports = _run(duckdb_warehouse, NEWS, ("AAPL",))
    assert reports[0].ok, reports[0]
    assert reports[0].rows == {"headlines": 3, "headlines_quarantine": 3}
    rows = _query(
        duckdb_warehouse,
        "select article_id, feed, publisher, url, title, vader_compound, vader_pos, vader_neu,"
        " vader_neg, finance_compound, scorer, scorer_version"
        " from raw_news.headlines order by published_at",
    )
    # The Reuters story came through both feeds: one row, the yfinance one (it has the publisher).
    assert [(r[1], r[2]) for r in rows] == [
        ("yfinance", "Reuters"),
        ("yahoo_rss", None),
        ("yfinance", "Bloomberg"),
    ]
    assert rows[0][0] == article_id(rows[0][3])
    analyzer = SentimentIntensityAnalyzer()  # the reference: VADER itself, unmodified
    for row in rows:
        expected = analyzer.polarity_scores(row[4])
        assert row[5:9] == (expected["compound"], expected["pos"], expected["neu"], expected["neg"])
        assert row[10] == "vaderSentiment"
        assert row[11].startswith("vaderSentiment 3.3.2 + finance-lexicon ")
    # Plain VADER reads "beats" and "slump" as nothing (only "strong" / "shares" / "cut" count);
    # the finance layer reads the beat as more positive and the slump as negative.
    assert rows[0][9] > rows[0][5] > 0
    assert rows[2][5] > 0 > -0.3 > rows[2][9]
    quarantined = _query(
        duckdb_warehouse,
        "select feed, reason from raw_news.headlines_quarantine order by feed, reason",
    )
    assert quarantined == [
        ("yahoo_rss", "pubDate 'sometime in November' is not an RFC 822 date"),
        ("yfinance", "'no `content` object (not the yfinance 1.x news shape)'"),
        ("yfinance", "Invalid isoformat string: 'yesterday'"),
    ]
    # A second run replaces, never duplicates.
    _run(duckdb_warehouse, NEWS, ("AAPL",))
    assert _query(duckdb_warehouse, "select count(*) from raw_news.headlines")[0][0] == 3
    assert _query(duckdb_warehouse, "select count(*) from raw_news.headlines_quarantine")[0][0] == 3


def test_one_broken_feed_fails_the_symbol_both_broken_or_unknown_too(
    duckdb_warehouse: Warehouse,
) -> None:
    reports = _run(duckdb_warehouse, FIXTURES / "news_broken", ("MSFT", "JPM", "NOPE"))
    failed = reports[0].failed
    assert failed["MSFT"].startswith("yahoo_rss: RSS feed is not well-formed XML")
    assert failed["JPM"] == (
        "yfinance: Yahoo news is a dict, not a list; yahoo_rss: not an RSS 2.0 document (root <html>)"
    )
    assert failed["NOPE"].startswith("yfinance: no news recorded for this symbol")
    assert reports[0].loaded == ["MSFT"]  # its yfinance answer (empty) was read


def test_metrics_match_hand_counts() -> None:
    truth = ["positive", "positive", "negative", "neutral", "neutral", "negative"]
    predicted = ["positive", "neutral", "negative", "neutral", "positive", "positive"]
    assert accuracy(truth, predicted) == pytest.approx(3 / 6)
    # positive: tp1 fp2 fn1 -> P 1/3 R 1/2 F1 0.4; negative: tp1 fp0 fn1 -> F1 2/3;
    # neutral: tp1 fp1 fn1 -> F1 0.5
    assert macro_f1(truth, predicted) == pytest.approx((0.4 + 2 / 3 + 0.5) / 3)


def test_finance_layer_is_not_worse_than_plain_vader_on_the_labelled_set() -> None:
    results = evaluate()
    assert results[("vader", "all")][2] >= 200
    for split in ("dev", "hold", "all"):
        vader_acc, vader_f1, _ = results[("vader", split)]
        finance_acc, finance_f1, _ = results[("finance", split)]
        assert finance_acc >= vader_acc, split
        assert finance_f1 >= vader_f1, split


def test_label_uses_vaders_thresholds() -> None:
    assert [label(x) for x in (0.05, 0.0499, -0.0499, -0.05)] == [
        "positive",
        "neutral",
        "neutral",
        "negative",
    ]
    assert HeadlineScorer({}).score("Stocks rally").finance_compound == 0.0  # no layer: VADER


def _run(warehouse: Warehouse, directory, symbols):  # type: ignore[no-untyped-def]
    clients = (
        ReplayYahooClient(FIXTURES / "yahoo", origin="recorded"),
        ReplayFredClient(FIXTURES / "fred", origin="recorded"),
        ReplayTrendsClient(FIXTURES / "trends", origin="recorded"),
        ReplayNewsClient(directory, origin="recorded"),
    )
    return runner.run(
        fixture_config(news_symbols=symbols),
        warehouse,
        clients,
        sources=("news",),
        progress=Progress(quiet=True),
        retry=FAST,
    )


def _query(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


class RecordedNewsTicker:
    """Answers like `yfinance.Ticker(symbol).get_news()` from the recorded list."""

    asked: list[tuple[str, dict[str, Any]]] = []  # noqa: RUF012

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol

    def get_news(self, **kwargs: Any) -> list[dict[str, Any]]:
        RecordedNewsTicker.asked.append((self.symbol, kwargs))
        return json.loads((NEWS / "yfinance" / f"{self.symbol}.json").read_text())


class RecordedRssSession:
    """A `requests.Session` answering the RSS feed URL with the recorded XML."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.asked: list[tuple[str, dict[str, str]]] = []

    def get(self, url: str, params: dict[str, str], timeout: float) -> Any:
        self.asked.append((url, params))
        response = requests.Response()
        response.status_code = 200
        response._content = (NEWS / "rss" / f"{params['s']}.xml").read_bytes()
        response.encoding = "utf-8"
        return response


def test_live_news_client_loads_recorded_answers(
    monkeypatch: pytest.MonkeyPatch, duckdb_warehouse: Warehouse
) -> None:
    import yfinance

    from marketpulse.sources.news.client import YahooNewsClient

    monkeypatch.setattr(yfinance, "Ticker", RecordedNewsTicker)
    RecordedNewsTicker.asked = []
    session = RecordedRssSession()
    client = YahooNewsClient(session=session)  # type: ignore[arg-type]
    reports = runner.run(
        fixture_config(news_symbols=("AAPL",)),
        duckdb_warehouse,
        (None, None, None, client),  # type: ignore[arg-type]
        sources=("news",),
        progress=Progress(quiet=True),
        retry=FAST,
    )
    assert reports[0].ok, reports[0]
    assert RecordedNewsTicker.asked == [("AAPL", {"count": 50, "tab": "news"})]
    assert session.asked == [
        (
            "https://feeds.finance.yahoo.com/rss/2.0/headline",
            {"s": "AAPL", "region": "US", "lang": "en-US"},
        )
    ]
    assert _query(
        duckdb_warehouse, "select count(*), min(data_origin) from raw_news.headlines"
    ) == [(3, "live")]


def test_live_rss_429_is_rate_limited() -> None:
    from marketpulse.errors import RateLimitedError
    from marketpulse.sources.news.client import YahooNewsClient

    class Refusing(RecordedRssSession):
        def get(self, url: str, params: dict[str, str], timeout: float) -> Any:
            response = requests.Response()
            response.status_code = 429
            return response

    with pytest.raises(RateLimitedError, match="HTTP 429"):
        YahooNewsClient(session=Refusing()).rss_headlines("AAPL")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SOURCES__NEWS__SYMBOLS", '["AAPL", "AAPL; drop table x"]', "not a valid Yahoo symbol"),
        ("SOURCES__TRENDS__KEYWORDS", '["inflation", "x\\" or 1=1"]', "Google Trends keyword"),
        ("SOURCES__TRENDS__TIMEFRAME", "last year", "Google Trends timeframe"),
    ],
)
def test_config_rejects_bad_news_and_trends_settings_at_load(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    from marketpulse.ingest.config import IngestConfig
    from marketpulse.warehouse import ConfigError

    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=message):
        IngestConfig.load()
