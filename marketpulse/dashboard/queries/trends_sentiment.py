"""Trends & Sentiment: search interest, news sentiment and its divergence flags."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from marketpulse.dashboard.data import CACHE_TTL, Target, in_range, nonempty, require, run_query


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def trends(target: Target, start: date, end: date) -> pd.DataFrame:
    """Weekly mean search interest per keyword (all geos averaged)."""
    require(target, "fct_trends", ("keyword", "observed_date", "interest_score"), "make ingest")
    frame = run_query(
        target,
        """
        select keyword, min(observed_date) as observed_date, avg(interest_score) as interest_score
        from marts.fct_trends
        where observed_date between :start and :end
        group by keyword, date_trunc('week', observed_date)
        order by keyword, observed_date
        """,
        start=start,
        end=end,
    )
    return in_range(
        frame,
        target,
        "`marts.fct_trends`",
        "select min(observed_date) as first, max(observed_date) as last from marts.fct_trends",
        start,
        end,
        "make ingest && make build",
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def daily_closes(target: Target, symbol: str, start: date, end: date) -> pd.DataFrame:
    require(target, "fct_prices_daily")
    return nonempty(
        run_query(
            target,
            """
            select trading_date, adj_close from marts.fct_prices_daily
            where symbol = :symbol and trading_date between :start and :end
            order by trading_date
            """,
            symbol=symbol,
            start=start,
            end=end,
        ),
        f"no {symbol} prices in {start}..{end}",
    )


SENTIMENT_COLUMNS = (
    "symbol",
    "published_date",
    "article_count",
    "mean_vader_compound",
    "positive_share",
    "negative_share",
)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def sentiment_daily(
    target: Target, symbol_list: tuple[str, ...], start: date, end: date
) -> pd.DataFrame:
    require(target, "fct_sentiment_daily", SENTIMENT_COLUMNS, "make ingest && make build")
    frame = run_query(
        target,
        """
        select symbol, published_date as sentiment_date, article_count,
            mean_vader_compound as mean_compound, positive_share, negative_share
        from marts.fct_sentiment_daily
        where symbol in :symbols and published_date between :start and :end
        order by symbol, sentiment_date
        """,
        symbols=list(symbol_list),
        start=start,
        end=end,
    )
    return in_range(
        frame,
        target,
        f"news sentiment for {', '.join(symbol_list)}",
        "select min(published_date) as first, max(published_date) as last"
        " from marts.fct_sentiment_daily where symbol in :symbols",
        start,
        end,
        "make ingest && make build",
        symbols=list(symbol_list),
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def sentiment_divergence(
    target: Target, symbol_list: tuple[str, ...], start: date, end: date
) -> pd.DataFrame:
    """Flagged days (at most 200, latest first): 5-day sentiment against the 5-day return."""
    require(
        target,
        "fct_sentiment_divergence",
        ("symbol", "trading_date", "sentiment_5d", "return_5d", "is_divergent"),
    )
    return run_query(
        target,
        """
        select symbol, trading_date as divergence_date, sentiment_5d, return_5d
        from marts.fct_sentiment_divergence
        where symbol in :symbols and trading_date between :start and :end and is_divergent
        order by trading_date desc, symbol
        limit 200
        """,
        symbols=list(symbol_list),
        start=start,
        end=end,
    )


HEADLINE_COLUMNS = ("symbol", "published_at", "publisher", "title", "url", "vader_compound")


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def headlines(
    target: Target, symbol_list: tuple[str, ...], start: date, end: date, limit: int = 200
) -> pd.DataFrame:
    """The scored headlines behind the sentiment bars, newest first (fct_news_sentiment):
    publication day (UTC), publisher, title, link, plain VADER and finance-lexicon compound."""
    require(target, "fct_news_sentiment", (*HEADLINE_COLUMNS, "finance_compound"))
    # The UTC days as instants, the day taken in pandas: `at time zone` is not Spark SQL.
    frame = run_query(
        target,
        """
        select published_at, symbol, coalesce(publisher, '') as publisher, title, url,
            vader_compound, finance_compound
        from marts.fct_news_sentiment
        where symbol in :symbols and published_at >= :start_at and published_at < :end_at
        order by published_at desc, symbol
        limit :limit
        """,
        symbols=list(symbol_list),
        start_at=datetime.combine(start, time(), tzinfo=UTC),
        end_at=datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC),
        limit=limit,
    )
    frame.insert(0, "published_date", pd.to_datetime(frame.pop("published_at"), utc=True).dt.date)
    return in_range(
        frame,
        target,
        f"headlines for {', '.join(symbol_list)}",
        "select min(published_at) as first, max(published_at) as last"
        " from marts.fct_news_sentiment where symbol in :symbols",
        start,
        end,
        "make ingest && make build",
        symbols=list(symbol_list),
    )
