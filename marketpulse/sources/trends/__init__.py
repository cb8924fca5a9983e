"""Google Trends: search interest over time for configured keywords in one geo.

Keywords are requested in batches of at most five (Google's limit); scores (0..100) are
relative to the peak within one request, so keywords of one batch are comparable with each
other. Rows merge on (keyword, geo, observed_date): every run replaces the overlapping
points with Google's current answer, including the flag for the period still in progress.
A batch that fails (after retries; Google rate limits pytrends hard) marks the trends source
failed for the run; the other sources are separate pipelines and never see it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import dlt
import numpy as np
import pandas as pd
from dlt.sources import DltResource

from marketpulse.errors import NoNetworkError, PayloadError, SourceError
from marketpulse.ingest.loading import MERGE, SCHEMA_CONTRACT, to_arrow
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
# Points Google sent with a score outside 0..100 (or none) or an isPartial that is not a
# boolean: kept with the reason and the raw values, never loaded as a score.
REJECTED_TABLE = "interest_over_time_rejected"
REJECTED_HINTS = {
    "keyword": {"data_type": "text"},
    "geo": {"data_type": "text"},
    "observed_date": {"data_type": "date", "nullable": True},
    "reason": {"data_type": "text"},
    "raw_values": {"data_type": "text"},
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
    # Two tables (the points and their quarantine): every item carries its table's hints.
    interest = dlt.resource(
        _interest(keywords, client, report, progress, geo, timeframe, retry or TRENDS_RETRY),
        name=settings.INTEREST_TABLE,
        write_disposition=MERGE,
        schema_contract=SCHEMA_CONTRACT,
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
    interest_hints = dlt.mark.make_hints(
        table_name=settings.INTEREST_TABLE,
        write_disposition=MERGE,
        primary_key=INTEREST_KEY,
        columns=INTEREST_HINTS,
    )
    rejected_hints = dlt.mark.make_hints(
        table_name=REJECTED_TABLE, write_disposition="append", columns=REJECTED_HINTS
    )
    for batch in batches(keywords):
        label = " + ".join(batch)
        try:
            frame = call_with_retry(
                lambda b=batch: client.interest_over_time(b, geo, timeframe),
                retry,
                what=f"trends {label}",
            )
            origin = client.origin_of(batch[0])
            rows = interest_rows(frame, batch, geo, timeframe, origin, loaded_at)
            rejected = rejected_interest_rows(frame, batch, geo, timeframe, origin, loaded_at)
        except NoNetworkError:
            raise
        except SourceError as exc:
            for keyword in batch:
                reason = report.fail(keyword, exc)
            progress("trends", label, f"FAILED: {reason}")
            continue
        if len(rejected):
            report.add_rows(REJECTED_TABLE, len(rejected))
            report.quarantine(REJECTED_TABLE, "invalid_point", len(rejected))
            report.notes.append(
                f"{label}: {len(rejected)} point(s) quarantined into raw_trends.{REJECTED_TABLE}"
                f" ({rejected['reason'].iloc[0]})"
            )
            yield dlt.mark.with_hints(
                to_arrow(rejected, (), REJECTED_HINTS), rejected_hints, create_table_variant=True
            )
        report.add_rows(settings.INTEREST_TABLE, len(rows))
        report.loaded.extend(batch)
        if rows.empty:
            progress("trends", label, f"no data from Google for {geo or 'world'} {timeframe}")
            continue
        first, last = rows["observed_date"].min(), rows["observed_date"].max()
        partial = int(rows["is_partial"].sum())
        progress("trends", label, f"{len(rows):>6,} points {first}..{last}, {partial} partial")
        yield dlt.mark.with_hints(
            to_arrow(rows, INTEREST_KEY, INTEREST_HINTS), interest_hints, create_table_variant=True
        )


def interest_rows(
    frame: pd.DataFrame,
    keywords: Sequence[str],
    geo: str,
    timeframe: str,
    origin: str,
    loaded_at: datetime,
) -> pd.DataFrame:
    """A pytrends interest_over_time frame -> long rows of raw_trends.interest_over_time; the
    points rejected_interest_rows takes are left out."""
    columns = ["keyword", "geo", "observed_date", "interest_score", "is_partial"]
    if frame is None or frame.empty:
        return pd.DataFrame(columns=[*columns, "timeframe", "data_origin", "_loaded_at"])
    points = _Points.read(frame, keywords)
    parts = []
    for keyword in keywords:
        good = points.reasons[keyword] == ""
        parts.append(
            pd.DataFrame(
                {
                    "keyword": keyword,
                    "geo": geo,
                    "observed_date": points.dates[good],
                    "interest_score": points.scores[keyword][good].astype("int64"),
                    "is_partial": points.partial[good].astype(bool),
                }
            )
        )
    rows = pd.concat(parts, ignore_index=True)
    rows = rows.drop_duplicates(subset=["keyword", "observed_date"], keep="last")
    rows["timeframe"] = timeframe
    rows["data_origin"] = origin
    rows["_loaded_at"] = loaded_at
    return rows


def rejected_interest_rows(
    frame: pd.DataFrame,
    keywords: Sequence[str],
    geo: str,
    timeframe: str,
    origin: str,
    loaded_at: datetime,
) -> pd.DataFrame:
    """Points whose score is missing or not in 0..100, or whose isPartial is not a boolean:
    rows of raw_trends.interest_over_time_rejected, each with its reason and raw values."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=list(REJECTED_HINTS))
    points = _Points.read(frame, keywords)
    rows = []
    for keyword in keywords:
        for position in np.flatnonzero(points.reasons[keyword] != ""):
            raw = {
                "date": str(frame.index[position]),
                keyword: _text(frame[keyword].iloc[position]),
                "isPartial": _text(frame["isPartial"].iloc[position]),
            }
            rows.append(
                {
                    "keyword": keyword,
                    "geo": geo,
                    "observed_date": points.dates[position],
                    "reason": points.reasons[keyword][position],
                    "raw_values": json.dumps(raw),
                    "timeframe": timeframe,
                    "data_origin": origin,
                    "_loaded_at": loaded_at,
                }
            )
    return pd.DataFrame(rows, columns=list(REJECTED_HINTS))


class _Points:
    """A pytrends frame read once: dates, scores and isPartial, and per keyword and row the
    reason a point is left out ("" when it is kept). A frame without a keyword's column, an
    isPartial column or a date index is not Google's answer at all: a PayloadError."""

    def __init__(self, frame: pd.DataFrame, keywords: Sequence[str]) -> None:
        missing = [keyword for keyword in keywords if keyword not in frame.columns]
        if missing:
            raise PayloadError(
                f"{missing[0]}: not a column of Google's answer {list(frame.columns)}"
            )
        if "isPartial" not in frame.columns:
            raise PayloadError(f"{keywords[0]}: Google's answer has no isPartial column")
        try:
            index = pd.DatetimeIndex(frame.index)
        except (TypeError, ValueError) as exc:
            raise PayloadError(f"{keywords[0]}: Google's answer is not indexed by date") from exc
        # Google's points are dates; an offset on them does not move the day.
        if index.tz is not None:
            index = index.tz_localize(None)
        self.dates = np.array(
            [None if pd.isna(stamp) else stamp.date() for stamp in index], dtype=object
        )
        partial = frame["isPartial"].astype(str).str.lower().map({"true": True, "false": False})
        self.partial = partial.to_numpy(dtype=object)
        self.scores: dict[str, np.ndarray] = {}
        self.reasons: dict[str, np.ndarray] = {}
        for keyword in keywords:
            scores = pd.to_numeric(frame[keyword], errors="coerce").to_numpy(dtype="float64")
            reasons = np.full(len(frame), "", dtype=object)
            reasons[pd.isna(self.partial)] = "isPartial is not True/False"
            reasons[np.isnan(scores)] = "no interest score"
            reasons[(scores < 0) | (scores > 100)] = "interest score not in 0..100"
            reasons[np.isnan(scores) & frame[keyword].notna().to_numpy()] = (
                "interest score is not a number"
            )
            reasons[self.dates == None] = "no date"  # noqa: E711 (element-wise)
            self.scores[keyword] = np.where(np.isnan(scores), 0, scores)
            self.reasons[keyword] = reasons

    @classmethod
    def read(cls, frame: pd.DataFrame, keywords: Sequence[str]) -> _Points:
        return cls(frame, keywords)


def _text(value: object) -> str | None:
    return None if pd.isna(value) else str(value)  # type: ignore[arg-type]
