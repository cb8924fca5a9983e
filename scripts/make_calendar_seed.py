"""Write ``dbt_project/seeds/nyse_calendar.csv``: NYSE holidays and early closes.

One row per weekday that is not an XNYS session (holiday or ad-hoc closure) and
per early-close session, so dbt can tell a missing price from a closed market
without shipping a Python calendar. Source: ``exchange_calendars`` XNYS.

Generation-time requirement: ``exchange-calendars``.
Run: ``python scripts/make_calendar_seed.py``
"""

from __future__ import annotations

from pathlib import Path

import exchange_calendars as xcals
import pandas as pd

START, END = "1990-01-01", "2035-12-31"
OUT = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "nyse_calendar.csv"


def main() -> None:
    cal = xcals.get_calendar("XNYS", start=START, end=END)
    sessions = cal.sessions
    weekdays = pd.bdate_range(START, END)
    holidays = weekdays.difference(sessions)

    early = cal.early_closes
    early = early[(early >= START) & (early <= END)]
    close_local = cal.schedule.loc[early, "close"].dt.tz_convert(cal.tz).dt.strftime("%H:%M")

    rows = pd.concat(
        [
            pd.DataFrame(
                {"calendar_date": holidays, "event_type": "holiday", "close_time_local": ""}
            ),
            pd.DataFrame(
                {
                    "calendar_date": early,
                    "event_type": "early_close",
                    "close_time_local": close_local.to_numpy(),
                }
            ),
        ]
    ).sort_values("calendar_date")
    rows["calendar_date"] = rows["calendar_date"].dt.strftime("%Y-%m-%d")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    rows.to_csv(OUT, index=False)
    counts = rows["event_type"].value_counts().to_dict()
    print(f"wrote {len(rows)} rows ({counts}) for {START}..{END} to {OUT}")


if __name__ == "__main__":
    main()
