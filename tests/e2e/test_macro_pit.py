"""Point-in-time macro on the demo build, checked against the sample's ALFRED JSON itself:
an independent as-of computed in pandas from the vintages' real-time periods, hand-checked
rows before and after releases (no look-ahead), CPI YoY as known at month ends, and the
NYSE calendar from exchange_calendars."""

from __future__ import annotations

import json
from datetime import date

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest

from tests.conftest import SAMPLE
from tests.sample_warehouses import Demo, query

VINTAGES = SAMPLE / "fred" / "vintages"
OPEN = date(9999, 12, 31)


def sample_vintages() -> pd.DataFrame:
    frames = []
    for path in sorted(VINTAGES.glob("*.json")):
        frame = pd.DataFrame(json.loads(path.read_text())["observations"])
        frame["indicator_id"] = path.stem
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    frame = frame[frame["value"] != "."].copy()
    frame["value"] = frame["value"].astype(float)
    for column in ("date", "realtime_start", "realtime_end"):
        frame[column] = frame[column].map(date.fromisoformat)
    return frame.rename(columns={"date": "observation_date"})


@pytest.fixture(scope="module")
def vintages() -> pd.DataFrame:
    return sample_vintages()


def asof(demo: Demo, indicator_id: str, day: str) -> tuple[object, ...]:
    return query(
        demo.warehouse,
        "select observation_date, realtime_start, value from marts.fct_macro_asof_daily"
        f" where indicator_id = '{indicator_id}' and trading_date = date '{day}'",
    )[0]


def test_observations_keep_every_vintage(demo_duckdb: Demo, vintages: pd.DataFrame) -> None:
    ours = pd.DataFrame(
        query(
            demo_duckdb.warehouse,
            "select indicator_id, observation_date, realtime_start, realtime_end, value,"
            " is_latest_vintage, is_first_release, is_first_seen_stamp"
            " from marts.fct_macro_observations",
        ),
        columns=[
            "indicator_id",
            "observation_date",
            "realtime_start",
            "realtime_end",
            "value",
            "is_latest_vintage",
            "is_first_release",
            "is_first_seen_stamp",
        ],
    )
    keys = ["indicator_id", "observation_date", "realtime_start"]
    merged = vintages.merge(ours, on=keys, how="outer", validate="one_to_one", indicator=True)
    assert (merged["_merge"] == "both").all() and len(merged) == len(vintages)
    assert (merged["value_x"] == merged["value_y"]).all()
    assert (merged["realtime_end_x"] == merged["realtime_end_y"]).all()
    assert (merged["is_latest_vintage"] == (merged["realtime_end_x"] == OPEN)).all()
    first = merged.groupby(["indicator_id", "observation_date"])["realtime_start"].transform("min")
    assert (merged["is_first_release"] == (merged["realtime_start"] == first)).all()
    assert not merged["is_first_seen_stamp"].any()
    # The latest vintage is what fredgraph.csv serves today: the sample's CSV files.
    for path in (SAMPLE / "fred" / "observations").glob("*.csv"):
        csv = pd.read_csv(path, dtype=str)
        csv = csv[csv.iloc[:, 1] != "."]
        latest = merged[merged["is_latest_vintage"] & (merged["indicator_id"] == path.stem)]
        assert len(latest) == len(csv), path.stem
        assert np.allclose(sorted(latest["value_y"]), sorted(csv.iloc[:, 1].astype(float)))


def test_no_look_ahead_around_a_cpi_release(demo_duckdb: Demo) -> None:
    """January 2018 CPI came out on 2018-02-12 (sample release calendar: the BLS day)."""
    # The Friday before: December is the newest CPI known, as first released on 2018-01-12.
    assert asof(demo_duckdb, "CPIAUCSL", "2018-02-09") == (
        date(2017, 12, 1),
        date(2018, 1, 12),
        248.169,
    )
    # Release day: January as first released, not its 2019 revision (249.181).
    assert asof(demo_duckdb, "CPIAUCSL", "2018-02-12") == (
        date(2018, 1, 1),
        date(2018, 2, 12),
        249.100,
    )


def test_no_look_ahead_when_the_newest_observation_is_revised(demo_duckdb: Demo) -> None:
    """Michigan sentiment for June 2018: preliminary 101.8 on 06-08, final 101.9 on 06-29."""
    assert asof(demo_duckdb, "UMCSENT", "2018-06-28") == (
        date(2018, 6, 1),
        date(2018, 6, 8),
        101.8,
    )
    assert asof(demo_duckdb, "UMCSENT", "2018-06-29") == (
        date(2018, 6, 1),
        date(2018, 6, 29),
        101.9,
    )
    # A daily yield is published the next business day: never known on its own date.
    rows = query(
        demo_duckdb.warehouse,
        "select count(*) from marts.fct_macro_asof_daily"
        " where indicator_id = 'DGS10' and observation_date >= trading_date",
    )
    assert rows == [(0,)]


def reference_asof(vintages: pd.DataFrame, sessions: list[date]) -> pd.DataFrame:
    """Brute force, by definition: on day d, the vintages valid on d (realtime_start <= d <=
    realtime_end); the newest observation date among them; its value."""
    last_known = vintages["realtime_start"].max()
    out = []
    for indicator_id, frame in vintages.groupby("indicator_id"):
        starts = frame["realtime_start"].to_numpy()
        ends = frame["realtime_end"].to_numpy()
        dates = frame["observation_date"].to_numpy()
        values = frame["value"].to_numpy()
        first_known = starts.min()
        for day in sessions:
            if day < first_known or day > last_known:
                continue
            valid = np.flatnonzero((starts <= day) & (ends >= day))
            newest = valid[np.argmax(dates[valid])]
            out.append((day, indicator_id, dates[newest], starts[newest], values[newest]))
    return pd.DataFrame(
        out, columns=["trading_date", "indicator_id", "observation_date", "realtime_start", "value"]
    )


def test_asof_equals_a_brute_force_reference(demo_duckdb: Demo, vintages: pd.DataFrame) -> None:
    nyse = xcals.get_calendar("XNYS", start="2011-01-03", end="2019-12-31")
    sessions = [ts.date() for ts in nyse.sessions]
    expected = reference_asof(vintages, sessions)
    ours = pd.DataFrame(
        query(
            demo_duckdb.warehouse,
            "select trading_date, indicator_id, observation_date, realtime_start, value"
            " from marts.fct_macro_asof_daily",
        ),
        columns=expected.columns,
    )
    keys = ["indicator_id", "trading_date"]
    merged = expected.merge(ours, on=keys, how="outer", validate="one_to_one", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    assert len(ours) == len(expected) > 20_000
    for column in ("observation_date", "realtime_start", "value"):
        assert (merged[f"{column}_x"] == merged[f"{column}_y"]).all(), column


def test_lens_cpi_yoy_as_known_at_each_month_end(demo_duckdb: Demo, vintages: pd.DataFrame) -> None:
    lens = pd.DataFrame(
        query(
            demo_duckdb.warehouse,
            "select month_end_date, cpi_yoy_pct, cpi_observation_date, core_cpi_yoy_pct,"
            " unemployment_rate, spread_10y3m, is_curve_inverted, sp500_close"
            " from marts.fct_macro_lens_monthly order by 1",
        ),
        columns=[
            "month_end_date",
            "cpi_yoy_pct",
            "cpi_observation_date",
            "core_cpi_yoy_pct",
            "unemployment_rate",
            "spread_10y3m",
            "is_curve_inverted",
            "sp500_close",
        ],
    ).set_index("month_end_date")
    nyse = xcals.get_calendar("XNYS", start="2013-01-02", end="2018-12-31")
    month_ends = pd.Series(nyse.sessions).groupby(nyse.sessions.to_period("M")).max()
    assert list(lens.index) == [ts.date() for ts in month_ends]  # 72 months of ^GSPC

    # Hand-checked: on 2018-02-28 the newest CPI is January 2018 (249.100, out 2018-02-12);
    # January 2017 as current then is its 2018-02-12 revision 243.877, not 243.955.
    row = lens.loc[date(2018, 2, 28)]
    assert row["cpi_observation_date"] == date(2018, 1, 1)
    assert row["cpi_yoy_pct"] == pytest.approx(100 * (249.100 / 243.877 - 1), rel=1e-12)

    def valid_on(indicator_id: str, observation: date, day: date) -> float:
        frame = vintages[
            (vintages["indicator_id"] == indicator_id)
            & (vintages["observation_date"] == observation)
            & (vintages["realtime_start"] <= day)
            & (vintages["realtime_end"] >= day)
        ]
        assert len(frame) == 1
        return float(frame["value"].iloc[0])

    for day, row in lens.iterrows():
        for indicator_id, column in (("CPIAUCSL", "cpi_yoy_pct"), ("CPILFESL", "core_cpi_yoy_pct")):
            known = vintages[
                (vintages["indicator_id"] == indicator_id) & (vintages["realtime_start"] <= day)
            ]
            newest = known["observation_date"].max()
            year_ago = date(newest.year - 1, newest.month, newest.day)
            if not (known["observation_date"] == year_ago).any():
                assert pd.isna(row[column]), (day, indicator_id)
                continue
            expected = 100 * (
                valid_on(indicator_id, newest, day) / valid_on(indicator_id, year_ago, day) - 1
            )
            assert row[column] == pytest.approx(expected, rel=1e-12), (day, indicator_id)
    assert lens["cpi_yoy_pct"].notna().sum() >= 60
    assert lens["unemployment_rate"].notna().all() and lens["spread_10y3m"].notna().all()
    assert not lens["is_curve_inverted"].any()  # the sample's curve never inverts


def test_yield_curve_spreads_and_flags(demo_duckdb: Demo) -> None:
    rows = query(
        demo_duckdb.warehouse,
        "select count(*), sum(case when abs(spread_10y3m - (yield_10y - yield_3m)) < 1e-12"
        " and abs(spread_10y2y - (yield_10y - yield_2y)) < 1e-12 then 1 else 0 end),"
        " min(trading_date), max(trading_date) from marts.fct_yield_curve_daily",
    )[0]
    files = {
        name: pd.read_csv(SAMPLE / "fred" / "observations" / f"{name}.csv", dtype=str)
        for name in ("DGS3MO", "DGS2", "DGS10")
    }
    quoted = set.intersection(
        *(
            {d for d, v in zip(f.iloc[:, 0], f.iloc[:, 1], strict=True) if v != "."}
            for f in files.values()
        )
    )
    nyse = xcals.get_calendar("XNYS", start="2012-01-03", end="2018-12-31")
    sessions = {ts.date().isoformat() for ts in nyse.sessions}
    expected_days = sorted(quoted & sessions)
    assert rows == (
        len(expected_days),
        len(expected_days),
        date.fromisoformat(expected_days[0]),
        date.fromisoformat(expected_days[-1]),
    )
