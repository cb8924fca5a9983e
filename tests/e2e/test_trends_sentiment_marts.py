"""The trends and sentiment marts of the demo build against independent pandas computations
from the bundled sample files and the raw tables."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree

import numpy as np
import pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from marketpulse.ingest.runner import SAMPLE_DIR
from marketpulse.sources.news.parsing import canonical_url
from tests.sample_warehouses import Demo, query


def frame(demo: Demo, sql: str, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(query(demo.warehouse, sql), columns=columns)


def test_fct_trends_equals_the_recorded_pytrends_frame(demo_duckdb: Demo) -> None:
    recorded = pd.read_csv(SAMPLE_DIR / "trends" / "interest_over_time" / "US.csv")
    expected = recorded.melt(id_vars=["date", "isPartial"], var_name="keyword", value_name="score")
    mart = frame(
        demo_duckdb,
        "select keyword, geo, observed_date, interest_score, is_partial from marts.fct_trends",
        ["keyword", "geo", "date", "score", "is_partial"],
    )
    assert len(mart) == len(expected) == 184 * 5
    assert set(mart["geo"]) == {"US"}
    merged = expected.assign(date=pd.to_datetime(expected["date"]).dt.date).merge(
        mart, on=["keyword", "date"], validate="one_to_one"
    )
    assert (merged["score_x"] == merged["score_y"]).all()
    assert (merged["isPartial"] == merged["is_partial"]).all()
    loaded = query(demo_duckdb.warehouse, "select count(distinct loaded_at) from marts.fct_trends")
    assert loaded == [(1,)]


def test_fct_news_sentiment_dedupes_both_feeds_and_scores_with_vader(demo_duckdb: Demo) -> None:
    # Independent count: distinct (symbol, canonical URL) over both recorded feeds, valid items.
    urls: set[tuple[str, str]] = set()
    for path in (SAMPLE_DIR / "news" / "yfinance").glob("*.json"):
        for item in json.loads(path.read_text()):
            content = item.get("content") or {}
            if content.get("title"):
                urls.add((path.stem, canonical_url(content["canonicalUrl"]["url"])))
    for path in (SAMPLE_DIR / "news" / "rss").glob("*.xml"):
        for link in ElementTree.parse(path).getroot().iterfind("channel/item/link"):
            urls.add((path.stem, canonical_url(link.text or "")))
    mart = frame(
        demo_duckdb,
        "select symbol, url, title, vader_compound, vader_pos, vader_neu, vader_neg"
        " from marts.fct_news_sentiment",
        ["symbol", "url", "title", "compound", "pos", "neu", "neg"],
    )
    assert set(zip(mart["symbol"], mart["url"], strict=True)) == urls
    assert len(mart) == len(urls)
    analyzer = SentimentIntensityAnalyzer()
    for row in mart.sample(40, random_state=1).itertuples():
        expected = analyzer.polarity_scores(row.title)
        assert (row.compound, row.pos, row.neu, row.neg) == (
            expected["compound"],
            expected["pos"],
            expected["neu"],
            expected["neg"],
        )


def test_fct_sentiment_daily_equals_pandas(demo_duckdb: Demo) -> None:
    news = frame(
        demo_duckdb,
        "select symbol, published_at, vader_compound, finance_compound from raw_news.headlines",
        ["symbol", "published_at", "vader", "finance"],
    )
    news["date"] = pd.to_datetime(news["published_at"], utc=True).dt.date
    expected = (
        news.groupby(["symbol", "date"])
        .agg(
            count=("finance", "size"),
            vader=("vader", "mean"),
            finance=("finance", "mean"),
            positive=("finance", lambda s: (s >= 0.05).mean()),
            negative=("finance", lambda s: (s <= -0.05).mean()),
        )
        .reset_index()
        .sort_values(["symbol", "date"], ignore_index=True)
    )
    mart = frame(
        demo_duckdb,
        "select * from marts.fct_sentiment_daily order by symbol, published_date",
        ["symbol", "date", "count", "vader", "finance", "positive", "negative"],
    )
    pd.testing.assert_frame_equal(mart, expected, check_dtype=False, rtol=1e-12)


def test_fct_sentiment_divergence_equals_pandas(demo_duckdb: Demo) -> None:
    news = frame(
        demo_duckdb,
        "select symbol, published_at, finance_compound from raw_news.headlines",
        ["symbol", "published_at", "finance"],
    )
    prices = frame(
        demo_duckdb,
        "select symbol, trading_date, adj_close from marts.fct_prices_daily"
        " where symbol in (select distinct symbol from raw_news.headlines)"
        " order by symbol, trading_date",
        ["symbol", "trading_date", "adj_close"],
    )
    rows = []
    for symbol, history in prices.groupby("symbol"):
        sessions = pd.to_datetime(history["trading_date"]).to_numpy()
        mine = news[news["symbol"] == symbol]
        dates = pd.to_datetime(mine["published_at"], utc=True).dt.tz_localize(None).dt.normalize()
        # First session on or after the UTC publication date.
        position = np.searchsorted(sessions, dates.to_numpy(), side="left")
        keep = position < len(sessions)
        per_session = (
            pd.DataFrame({"position": position[keep], "finance": mine["finance"].to_numpy()[keep]})
            .groupby("position")["finance"]
            .agg(["size", "sum"])
            .reindex(range(len(sessions)), fill_value=0)
        )
        count_5d = per_session["size"].rolling(5, min_periods=1).sum()
        sum_5d = per_session["sum"].rolling(5, min_periods=1).sum()
        closes = history["adj_close"].to_numpy()
        for i in range(5, len(sessions)):
            if count_5d[i] > 0:
                sentiment, ret = sum_5d[i] / count_5d[i], closes[i] / closes[i - 5] - 1
                divergent = (sentiment >= 0.05 and ret <= -0.01) or (
                    sentiment <= -0.05 and ret >= 0.01
                )
                rows.append((symbol, int(count_5d[i]), sentiment, ret, divergent))
    mart = query(
        demo_duckdb.warehouse,
        "select symbol, article_count_5d, sentiment_5d, return_5d, is_divergent"
        " from marts.fct_sentiment_divergence order by symbol, trading_date",
    )
    assert len(mart) == len(rows) > 400
    for got, want in zip(mart, rows, strict=True):
        assert got[:2] == want[:2] and got[4] == want[4], (got, want)
        assert np.isclose(got[2], want[2], rtol=1e-12) and np.isclose(got[3], want[3], rtol=1e-12)
    assert 0 < sum(row[4] for row in rows) < len(rows)  # some windows diverge, most do not
