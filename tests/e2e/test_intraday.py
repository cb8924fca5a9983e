"""The 30-minute bars and the intraday snapshot of the demo build, checked against
exchange_calendars (the slots of every session) and pandas on the bundled sample files."""

from __future__ import annotations

import exchange_calendars as xcals
import pandas as pd
import pytest

from marketpulse.ingest.runner import SAMPLE_DIR
from tests.sample_warehouses import Demo, query

FIRST, LAST = "2018-10-01", "2018-12-31"


@pytest.fixture(scope="module")
def xnys() -> xcals.ExchangeCalendar:
    return xcals.get_calendar("XNYS", start="2018-01-01", end="2019-12-31")


def test_one_bar_per_30_minute_slot_of_every_session(demo_duckdb: Demo, xnys) -> None:
    expected = xnys.trading_index(FIRST, LAST, period="30min", intervals=False)
    expected = sorted(ts.to_pydatetime() for ts in expected.tz_convert("UTC"))
    rows = query(
        demo_duckdb.warehouse,
        "select symbol, bar_start_at from marts.fct_prices_intraday order by symbol, bar_start_at",
    )
    by_symbol: dict[str, list] = {}
    for symbol, bar_start_at in rows:
        by_symbol.setdefault(symbol, []).append(pd.Timestamp(bar_start_at).tz_convert("UTC"))
    assert len(by_symbol) == 38
    for symbol, starts in by_symbol.items():
        assert [ts.to_pydatetime() for ts in starts] == expected, symbol
    # The calendar facts the sample was chosen for, spelled out.
    days = {ts.date() for ts in pd.DatetimeIndex(expected).tz_convert("America/New_York")}
    assert pd.Timestamp("2018-12-05").date() not in days  # Bush day of mourning
    half_day = [ts for ts in expected if ts.date() == pd.Timestamp("2018-11-23").date()]
    assert len(half_day) == 7 and half_day[-1].strftime("%H:%M") == "17:30"  # 12:30 EST
    first_edt = next(ts for ts in expected if ts.date() == pd.Timestamp("2018-11-02").date())
    first_est = next(ts for ts in expected if ts.date() == pd.Timestamp("2018-11-05").date())
    assert (first_edt.strftime("%H:%M"), first_est.strftime("%H:%M")) == ("13:30", "14:30")


def test_bars_add_up_to_the_daily_bar(demo_duckdb: Demo) -> None:
    rows = query(
        demo_duckdb.warehouse,
        """
        with sessions as (
            select symbol, session_date, sum(volume) as volume, max(high) as high,
                min(low) as low, max(case when bar_number = 1 then open end) as open,
                max(case when bar_number = bars then close end) as close
            from (
                select *, row_number() over (partition by symbol, session_date
                    order by bar_start_at) as bar_number,
                    count(*) over (partition by symbol, session_date) as bars
                from marts.fct_prices_intraday
            ) as numbered
            group by symbol, session_date
        )
        select count(*),
            sum(case when sessions.volume = daily.volume and abs(sessions.close - daily.close)
                < 1e-6 and abs(sessions.high - daily.high) < 1e-6
                and abs(sessions.low - daily.low) < 1e-6 then 1 else 0 end)
        from sessions join marts.fct_prices_daily as daily
            on sessions.symbol = daily.symbol and sessions.session_date = daily.trading_date
        """,
    )
    assert rows[0][0] == 38 * 63
    assert rows[0][1] == rows[0][0]


def test_snapshot_matches_pandas_on_the_sample_files(demo_duckdb: Demo) -> None:
    symbol = "AAPL"
    bars = pd.read_csv(SAMPLE_DIR / "yahoo_intraday" / f"{symbol}.csv")
    bars["session"] = bars["Datetime"].str[:10]
    daily = pd.read_csv(SAMPLE_DIR / "yahoo" / "history" / f"{symbol}.csv")
    daily["session"] = daily["Date"].str[:10]
    last_session = bars[bars["session"] == "2018-12-31"]
    typical = (last_session["High"] + last_session["Low"] + last_session["Close"]) / 3
    vwap = (typical * last_session["Volume"]).sum() / last_session["Volume"].sum()
    previous_close = daily.loc[daily["session"] == "2018-12-28", "Close"].item()
    last_price = last_session["Close"].iloc[-1]
    # Session volume up to the 13th bar over the 20 sessions before (the 2018-12-24 half day
    # has no 13th bar, so 19 count).
    sessions = sorted(bars["session"].unique())[-21:-1]
    totals = [
        bars.loc[bars["session"] == day, "Volume"].sum()
        for day in sessions
        if (bars["session"] == day).sum() >= 13
    ]
    (row,) = query(
        demo_duckdb.warehouse,
        "select last_price, previous_close, net_change, change_pct, session_vwap, session_volume,"
        " avg_session_volume_same_time, volume_history_sessions, relative_volume, bar_number"
        f" from marts.fct_intraday_snapshot where symbol = '{symbol}'",
    )
    assert row[0] == pytest.approx(last_price)
    assert row[1] == pytest.approx(previous_close)
    assert row[2] == pytest.approx(last_price - previous_close)
    assert row[3] == pytest.approx(last_price / previous_close - 1)
    assert row[4] == pytest.approx(vwap, rel=1e-12)
    assert row[5] == last_session["Volume"].sum()
    assert row[6] == pytest.approx(sum(totals) / len(totals))
    assert row[7] == len(totals) == 19
    assert row[8] == pytest.approx(last_session["Volume"].sum() / (sum(totals) / len(totals)))
    assert row[9] == 13


def test_snapshot_has_no_vwap_without_volume(demo_duckdb: Demo) -> None:
    (row,) = query(
        demo_duckdb.warehouse,
        "select session_vwap, session_volume from marts.fct_intraday_snapshot"
        " where symbol = '^VIX'",
    )
    assert row == (None, 0)  # the sample's ^VIX has Volume 0 on every bar, as Yahoo serves it
