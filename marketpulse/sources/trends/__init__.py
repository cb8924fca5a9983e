"""Google Trends: search interest over time for configured keywords in one geo.

Keywords are requested in batches of at most five (Google's limit); scores (0..100) are
relative to the peak within one request, so keywords of one batch are comparable with each
other. Rows merge on (keyword, geo, observed_date): every run replaces the overlapping
points with Google's current answer, including the flag for the period still in progress.
A batch that fails (after retries; Google rate limits pytrends hard) marks the trends source
failed for the run; the other sources are separate pipelines and never see it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import dlt
import pandas as pd
from dlt.sources import DltResource

from marketpulse.errors import NoNetworkError, PayloadError, SourceError
from marketpulse.ingest.loading import MERGE, to_arrow
from marketpulse.ingest.origin import check_origin
from marketpulse.ingest.report import Progress, SourceReport
from marketpulse.retry import RetryPolicy, call_with_retry
from marketpulse.sources.trends import settings
from marketpulse.sources.trends.client import TrendsClient

INTEREST_KEY = ("keyword", "geo", "observed_date")
INTEREST_HINTS = {
    "keyword": {"data_type": "text"},
    "geo": {"data_type": "text"},
    "observed_date": {"data_type": "date"},
    "interest_score": {"data_type": "bigint"},
    "is_partial": {"data_type": "bool"},
    "timeframe": {"data_type": "text"},
    "data_origin": {"data_type": "text"},
    "_loaded_at": {"data_type": "timestamp", "timezone": True},
}
TRENDS_RETRY = RetryPolicy(
    attempts=settings.RETRY_ATTEMPTS,
    base_delay=settings.RETRY_BASE_DELAY,
    max_delay=settings.RETRY_MAX_DELAY,
)


def trends_source(
    keywords: Sequence[str],
    client: TrendsClient,
    report: SourceReport,
    progress: Progress,
    geo: str = settings.DEFAULT_GEO,
    timeframe: str = settings.DEFAULT_TIMEFRAME,
    retry: RetryPolicy | None = None,
) -> list[DltResource]:
    interest = dlt.resource(
        _interest(keywords, client, report, progress, geo, timeframe, retry or TRENDS_RETRY),
        name=settings.INTEREST_TABLE,
        write_disposition=MERGE,
        primary_key=INTEREST_KEY,
        columns=INTEREST_HINTS,
    )
    return [interest]


def batches(keywords: Sequence[str], size: int = settings.MAX_KEYWORDS_PER_REQUEST):
    return [tuple(keywords[i : i + size]) for i in range(0, len(keywords), size)]


def _interest(
    keywords: Sequence[str],
    client: TrendsClient,
    report: SourceReport,
    progress: Progress,
    geo: str,
    timeframe: str,
    retry: RetryPolicy,
) -> Iterator[object]:
    check_origin(dlt.current.resource_state(), "Google Trends", client.origin)
    loaded_at = datetime.now(UTC)
    for batch in batches(keywords):
        label = " + ".join(batch)
        try:
            frame = call_with_retry(
                lambda b=batch: client.interest_over_time(b, geo, timeframe),
                retry,
                what=f"trends {label}",
            )
            rows = interest_rows(
                frame, batch, geo, timeframe, client.origin_of(batch[0]), loaded_at
            )
        except NoNetworkError:
            raise
        except SourceError as exc:
            for keyword in batch:
                reason = report.fail(keyword, exc)
            progress("trends", label, f"FAILED: {reason}")
            continue
        report.add_rows(settings.INTEREST_TABLE, len(rows))
        report.loaded.extend(batch)
        if rows.empty:
            progress("trends", label, f"no data from Google for {geo or 'world'} {timeframe}")
            continue
        first, last = rows["observed_date"].min(), rows["observed_date"].max()
        partial = int(rows["is_partial"].sum())
        progress("trends", label, f"{len(rows):>6,} points {first}..{last}, {partial} partial")
        yield to_arrow(rows, INTEREST_KEY)


def interest_rows(
    frame: pd.DataFrame,
    keywords: Sequence[str],
    geo: str,
    timeframe: str,
    origin: str,
    loaded_at: datetime,
) -> pd.DataFrame:
    """A pytrends interest_over_time frame -> long rows of raw_trends.interest_over_time."""
    columns = ["keyword", "geo", "observed_date", "interest_score", "is_partial"]
    if frame is None or frame.empty:
        return pd.DataFrame(columns=[*columns, "timeframe", "data_origin", "_loaded_at"])
    missing = [keyword for keyword in keywords if keyword not in frame.columns]
    if missing:
        raise PayloadError(f"{missing[0]}: not a column of Google's answer {list(frame.columns)}")
    if "isPartial" not in frame.columns:
        raise PayloadError(f"{keywords[0]}: Google's answer has no isPartial column")
    try:
        index = pd.DatetimeIndex(frame.index)
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"{keywords[0]}: Google's answer is not indexed by date") from exc
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    partial = frame["isPartial"].astype(str).str.lower().map({"true": True, "false": False})
    if partial.isna().any():
        raise PayloadError(f"{keywords[0]}: isPartial holds values other than True/False")
    parts = []
    for keyword in keywords:
        scores = pd.to_numeric(frame[keyword], errors="coerce")
        bad = scores.isna() | (scores < 0) | (scores > 100)
        if bad.any():
            raise PayloadError(
                f"{keyword}: {int(bad.sum())} interest score(s) not in 0..100 in Google's answer"
            )
        parts.append(
            pd.DataFrame(
                {
                    "keyword": keyword,
                    "geo": geo,
                    "observed_date": index.date,
                    "interest_score": scores.to_numpy(dtype="int64"),
                    "is_partial": partial.to_numpy(dtype=bool),
                }
            )
        )
    rows = pd.concat(parts, ignore_index=True)
    rows = rows.drop_duplicates(subset=["keyword", "observed_date"], keep="last")
    rows["timeframe"] = timeframe
    rows["data_origin"] = origin
    rows["_loaded_at"] = loaded_at
    return rows
