"""The intraday resource: complete vs forming bars, bad payloads, and the incremental merge
into raw_yahoo.prices_intraday, fed by a scripted client (no network)."""

from __future__ import annotations

from contextlib import closing
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from marketpulse.errors import PayloadError
from marketpulse.ingest import runner
from marketpulse.ingest.report import Progress, SourceReport
from marketpulse.sources.yahoo.intraday import (
    intraday_rows,
    rejected_intraday_rows,
    yahoo_intraday_source,
)
from marketpulse.sources.yahoo.scripted import ScriptedYahooClient
from marketpulse.warehouse import Warehouse

BAR = {"Open": 10.0, "High": 11.0, "Low": 9.5, "Close": 10.5, "Volume": 1200}


def frame(*starts: str) -> pd.DataFrame:
    index = pd.DatetimeIndex(pd.to_datetime(list(starts), utc=True), name="Datetime")
    rows = pd.DataFrame([{**BAR, "Adj Close": BAR["Close"]} for _ in starts], index=index)
    return rows.tz_convert("America/New_York")


@pytest.mark.parametrize(
    ("now", "complete"),
    [
        (datetime(2019, 1, 2, 15, 59, 59, tzinfo=UTC), [True, True, False]),
        (datetime(2019, 1, 2, 16, 0, 0, tzinfo=UTC), [True, True, True]),
        (datetime(2019, 1, 2, 15, 0, 0, tzinfo=UTC), [True, False, False]),
    ],
)
def test_a_bar_is_complete_once_its_30_minutes_have_passed(now: datetime, complete: list) -> None:
    bars = frame("2019-01-02T14:30Z", "2019-01-02T15:00Z", "2019-01-02T15:30Z")
    rows = intraday_rows("AAPL", bars, "live", now)
    assert rows["is_complete"].to_pylist() == complete
    assert rows["session_date"].to_pylist() == [date(2019, 1, 2)] * 3
    assert set(rows["exchange_timezone"].to_pylist()) == {"America/New_York"}
    assert [ts.isoformat() for ts in rows["bar_start_at"].to_pylist()] == [
        "2019-01-02T14:30:00+00:00",
        "2019-01-02T15:00:00+00:00",
        "2019-01-02T15:30:00+00:00",
    ]


def test_session_date_is_the_new_york_date_not_the_utc_one() -> None:
    # 01:00Z on 2019-01-03 is 20:00 on 2019-01-02 in New York (an extended-hours stamp).
    rows = intraday_rows(
        "AAPL", frame("2019-01-03T01:00Z"), "live", datetime(2019, 1, 4, tzinfo=UTC)
    )
    assert rows["session_date"].to_pylist() == [date(2019, 1, 2)]  # 20:00 New York, Jan 2


def test_unusable_payloads_are_one_clear_error() -> None:
    bars = frame("2019-01-02T14:30Z")
    with pytest.raises(PayloadError, match="lacks columns"):
        intraday_rows("AAPL", bars.drop(columns=["Close"]), "live", datetime.now(UTC))
    with pytest.raises(PayloadError, match="timezone"):
        intraday_rows("AAPL", bars.tz_localize(None), "live", datetime.now(UTC))


def load(warehouse: Warehouse, client: ScriptedYahooClient, now: datetime) -> SourceReport:
    return runner.run_source(
        "intraday",
        lambda report: yahoo_intraday_source(
            ["AAPL"], client, report, Progress(quiet=True), clock=lambda: now
        ),
        warehouse,
    )


def test_the_forming_bar_is_replaced_and_fetches_resume_from_the_last_session(
    duckdb_warehouse: Warehouse,
) -> None:
    starts: list[date] = []
    client = ScriptedYahooClient(origin="recorded")
    original = client.intraday
    client.intraday = lambda symbol, start: starts.append(start) or original(symbol, start)  # type: ignore[method-assign]
    client.push("AAPL", pd.Timestamp("2019-01-02T14:30Z"), BAR)
    client.push("AAPL", pd.Timestamp("2019-01-02T15:00Z"), BAR)
    first = load(duckdb_warehouse, client, datetime(2019, 1, 2, 15, 10, tzinfo=UTC))
    assert first.ok and first.rows == {"prices_intraday": 2}
    later = {**BAR, "Close": 10.9, "High": 11.2}
    client._pushed["AAPL"][-1] = (client._pushed["AAPL"][-1][0], {**later, "Adj Close": 10.9})
    second = load(duckdb_warehouse, client, datetime(2019, 1, 2, 15, 31, tzinfo=UTC))
    assert second.ok
    with closing(duckdb_warehouse.connect()) as connection:
        rows = connection.execute(
            "select bar_start_at, close, is_complete from raw_yahoo.prices_intraday"
            " order by bar_start_at"
        ).fetchall()
    assert [(close, done) for _, close, done in rows] == [(10.5, True), (10.9, True)]
    # First fetch from the configured start; then from the session of the last complete bar.
    assert starts == [date(2010, 1, 1), date(2019, 1, 2)]


def test_a_repeated_slot_keeps_the_copy_nearest_the_previous_close() -> None:
    bars = frame("2019-01-02T14:30Z", "2019-01-02T15:00Z", "2019-01-02T15:00Z")
    bars.loc[bars.index[1], "Close"] = [1.05, 10.6]  # a bogus copy first, the real one second
    now = datetime(2019, 1, 3, tzinfo=UTC)
    rows = intraday_rows("AAPL", bars, "live", now)
    assert rows["close"].to_pylist() == [10.5, 10.6]
    rejected = rejected_intraday_rows("AAPL", bars, "live", now)
    assert rejected[["reason"]].values.tolist() == [["duplicate_bar"]]
    assert rejected["bar_start_at"].tolist() == [pd.Timestamp("2019-01-02T15:00Z")]
    assert '"Close": "1.05"' in rejected["raw_values"].iloc[0]
