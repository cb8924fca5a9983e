"""Builds the point-in-time (vintage) FRED sample: sample_data/fred/vintages/<ID>.json.

Each file is what FRED's `series/observations` endpoint answers with `file_type=json` and the
whole real-time axis (realtime_start=1776-07-04, realtime_end=9999-12-31): one row per
observation date and vintage. The latest vintage of every date equals the existing
`observations/<ID>.csv` (fredgraph.csv, latest values as of the sample's `AS_OF`), so the CSV
files stay valid; earlier vintages are simulated revisions on a realistic release calendar:

- CPI (CPIAUCSL, CPILFESL): first release on the BLS day, the business day on or after the
  12th of the next month; seasonal factors revised with the February release of the next year.
- UNRATE: first Friday of the next month; the annual seasonal revision on the first Friday of
  January revises about half the months of the past year by 0.1.
- PAYEMS: first, second and third estimates on the first Fridays of the next three months.
- GDP, GDPC1: advance, second and third estimates about 1, 2 and 3 months after the quarter.
- INDPRO: the business day on or after the 16th of the next month, revised a month later.
- UMCSENT: preliminary on the second Friday of the month itself, final on its last Friday.
- FEDFUNDS: first business day of the next month; daily yields and spreads: the next business
  day. Never revised.

Vintages dated after AS_OF are dropped, and the last vintage kept carries the latest value.
Deterministic (fixed seed). Run: `python scripts/make_sample_macro.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
FRED = ROOT / "sample_data" / "fred"
AS_OF = date(2019, 3, 1)  # the realtime date of sample_data/fred/series.json
OPEN = "9999-12-31"
SEED = 20190301


def business_day_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def nth_friday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 7 * (n - 1))


def last_friday(year: int, month: int) -> date:
    end = (pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)).date()
    return end - timedelta(days=(end.weekday() - 4) % 7)


def months_after(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


# A schedule maps an observation date to the release dates of its vintages, first to last,
# and a perturbation per earlier vintage: (vintage index, latest value, rng) -> earlier value.
Schedule = Callable[[date], list[date]]


def cpi_schedule(day: date) -> list[date]:
    year, month = months_after(day, 1)
    first = business_day_on_or_after(date(year, month, 12))
    revision = business_day_on_or_after(date(day.year + 1, 2, 12))
    return [first, revision] if revision > first else [first]


def unrate_schedule(day: date) -> list[date]:
    year, month = months_after(day, 1)
    first = nth_friday(year, month, 1)
    revision = nth_friday(day.year + 1, 1, 1)
    return [first, revision] if revision > first else [first]


def payems_schedule(day: date) -> list[date]:
    return [nth_friday(*months_after(day, k), 1) for k in (1, 2, 3)]


def gdp_schedule(day: date) -> list[date]:
    quarter_end = (pd.Timestamp(day) + pd.offsets.QuarterEnd(0)).date()
    return [business_day_on_or_after(quarter_end + timedelta(days=d)) for d in (29, 58, 88)]


def indpro_schedule(day: date) -> list[date]:
    return [business_day_on_or_after(date(*months_after(day, k), 16)) for k in (1, 2)]


def umcsent_schedule(day: date) -> list[date]:
    return [nth_friday(day.year, day.month, 2), last_friday(day.year, day.month)]


def fedfunds_schedule(day: date) -> list[date]:
    return [business_day_on_or_after(date(*months_after(day, 1), 1))]


def daily_schedule(day: date) -> list[date]:
    return [business_day_on_or_after(day + timedelta(days=1))]


def revise(decimals: int, scale: float, relative: bool = False, share: float = 1.0):  # type: ignore[no-untyped-def]
    """Earlier vintages: the latest value plus noise, shrinking towards the latest release."""

    def earlier(step: int, steps: int, latest: float, rng: np.random.Generator) -> float | None:
        if rng.random() > share:
            return None  # this vintage did not change the value: no row in ALFRED
        size = scale * (steps - step) / steps
        shock = rng.normal(0.0, size) * (latest if relative else 1.0)
        minimum = 10.0**-decimals
        if abs(shock) < minimum:
            shock = minimum if shock >= 0 else -minimum
        return round(latest + shock, decimals)

    return earlier


SERIES = {
    "CPIAUCSL": (cpi_schedule, revise(3, 0.12)),
    "CPILFESL": (cpi_schedule, revise(3, 0.10)),
    "UNRATE": (unrate_schedule, revise(1, 0.1, share=0.5)),
    "PAYEMS": (payems_schedule, revise(0, 80.0)),
    "GDP": (gdp_schedule, revise(3, 0.004, relative=True)),
    "GDPC1": (gdp_schedule, revise(3, 0.004, relative=True)),
    "INDPRO": (indpro_schedule, revise(4, 0.3)),
    "UMCSENT": (umcsent_schedule, revise(1, 1.2)),
    "FEDFUNDS": (fedfunds_schedule, revise(2, 0.0)),
    "DGS3MO": (daily_schedule, revise(2, 0.0)),
    "DGS2": (daily_schedule, revise(2, 0.0)),
    "DGS10": (daily_schedule, revise(2, 0.0)),
    "T10Y2Y": (daily_schedule, revise(2, 0.0)),
    "T10Y3M": (daily_schedule, revise(2, 0.0)),
}


def fmt(value: float | None, decimals: int) -> str:
    return "." if value is None else f"{value:.{decimals}f}"


def vintages(series_id: str, rng: np.random.Generator) -> list[dict[str, str]]:
    schedule, earlier = SERIES[series_id]
    frame = pd.read_csv(FRED / "observations" / f"{series_id}.csv", dtype=str)
    text = frame.iloc[:, 1]
    decimals = max((len(v.split(".")[1]) for v in text if "." in v and v != "."), default=0)
    rows: list[dict[str, str]] = []
    for day_text, value_text in zip(frame.iloc[:, 0], text, strict=True):
        day = date.fromisoformat(day_text)
        releases = [d for d in schedule(day) if d <= AS_OF]
        if not releases:
            continue  # released after AS_OF: not in the sample (nor in its fredgraph.csv)
        latest = None if value_text == "." else float(value_text)
        values: list[float | None] = []
        for step in range(len(releases) - 1):
            previous = None if latest is None else earlier(step, len(releases) - 1, latest, rng)
            values.append(latest if previous is None else previous)
        values.append(latest)
        # ALFRED only starts a vintage when the value changes.
        kept = [
            (release, value)
            for index, (release, value) in enumerate(zip(releases, values, strict=True))
            if index == 0 or value != values[index - 1]
        ]
        for index, (release, value) in enumerate(kept):
            end = (
                (kept[index + 1][0] - timedelta(days=1)).isoformat()
                if index + 1 < len(kept)
                else OPEN
            )
            rows.append(
                {
                    "realtime_start": release.isoformat(),
                    "realtime_end": end,
                    "date": day_text,
                    "value": value_text if value == latest else fmt(value, decimals),
                }
            )
    return rows


def payload(rows: list[dict[str, str]], start: str) -> dict[str, object]:
    """The envelope FRED wraps around observations (file_type=json)."""
    return {
        "realtime_start": "1776-07-04",
        "realtime_end": OPEN,
        "observation_start": start,
        "observation_end": OPEN,
        "units": "lin",
        "output_type": 1,
        "file_type": "json",
        "order_by": "observation_date",
        "sort_order": "asc",
        "count": len(rows),
        "offset": 0,
        "limit": 100000,
        "observations": rows,
    }


def main() -> None:
    rng = np.random.default_rng(SEED)
    out = FRED / "vintages"
    out.mkdir(exist_ok=True)
    for series_id in SERIES:
        rows = vintages(series_id, rng)
        text = json.dumps(payload(rows, "1776-07-04"), separators=(",", ":"))
        (out / f"{series_id}.json").write_text(text.replace("},{", "},\n{") + "\n")
        dates = {row["date"] for row in rows}
        print(f"{series_id:<9} {len(dates):>5} dates {len(rows):>5} vintages")


if __name__ == "__main__":
    main()
