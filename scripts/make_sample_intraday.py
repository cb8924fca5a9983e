"""Generate the offline 30-minute bars under sample_data/yahoo_intraday/ (simulated, fixed seed).

For every symbol of the daily sample and every XNYS session 2018-10-01..2018-12-31 (exchange
calendar: the 2018-11-23 and 2018-12-24 half days close at 13:00, 2018-12-05 is the Bush day of
mourning closure, US clocks change on 2018-11-04), it writes the bars yfinance returns for
`history(interval="30m", auto_adjust=False, prepost=False, actions=False)`: a tz-aware
`Datetime` index (America/New_York) and Open, High, Low, Close, Adj Close, Volume.

The bars are consistent with the daily sample: the first bar opens at the daily open, the last
bar closes at the daily close, the session high and low are reached in exactly one bar each,
and the bar volumes (a U-shaped intraday profile) add up to the daily volume.

    python scripts/make_sample_intraday.py
"""

from __future__ import annotations

import json
from pathlib import Path

import exchange_calendars as xcals
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DAILY = ROOT / "sample_data" / "yahoo" / "history"
OUT = ROOT / "sample_data" / "yahoo_intraday"
FIRST, LAST = "2018-10-01", "2018-12-31"
TIMEZONE = "America/New_York"
SEED = 20181231


def session_bars(
    rng: np.random.Generator, day: pd.Series, starts: pd.DatetimeIndex
) -> pd.DataFrame:
    """Bars for one session whose open, high, low, close and volume match the daily row."""
    n = len(starts)
    day_open, day_high, day_low, day_close = (day[c] for c in ("Open", "High", "Low", "Close"))
    span = max(day_high - day_low, 1e-9)
    # A Brownian bridge from the open to the close through the n bar closes.
    steps = rng.normal(0.0, span / np.sqrt(4 * n), n)
    walk = np.cumsum(steps)
    bridge = day_open + walk - np.arange(1, n + 1) / n * (walk[-1] - (day_close - day_open))
    closes = np.clip(bridge, day_low, day_high)
    closes[-1] = day_close
    opens = np.concatenate([[day_open], closes[:-1]])
    body_high, body_low = np.maximum(opens, closes), np.minimum(opens, closes)
    wick = rng.uniform(0.0, 0.15, (2, n)) * span / np.sqrt(n)
    highs = np.minimum(body_high + wick[0], day_high)
    lows = np.maximum(body_low - wick[1], day_low)
    # The session's high and low each belong to one bar.
    highs[int(rng.integers(n))] = day_high
    lows[int(rng.integers(n))] = day_low
    highs, lows = np.maximum(highs, body_high), np.minimum(lows, body_low)
    profile = 1.0 + 1.5 * np.linspace(-1, 1, n) ** 2 + rng.uniform(0, 0.3, n)
    volume = int(day["Volume"])
    volumes = np.floor(volume * profile / profile.sum()).astype("int64")
    volumes[-1] += volume - volumes.sum()
    return pd.DataFrame(
        {
            "Open": opens.round(4),
            "High": highs.round(4),
            "Low": lows.round(4),
            "Close": closes.round(4),
            "Adj Close": closes.round(4),
            "Volume": volumes,
        },
        index=pd.DatetimeIndex(starts.tz_convert(TIMEZONE), name="Datetime"),
    )


def main() -> None:
    calendar = xcals.get_calendar("XNYS", start="2018-01-01", end="2019-12-31")
    sessions = calendar.sessions_in_range(FIRST, LAST)
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    symbols = sorted(path.stem for path in DAILY.glob("*.csv"))
    for symbol in symbols:
        daily = pd.read_csv(DAILY / f"{symbol}.csv", index_col="Date")
        daily.index = pd.to_datetime(daily.index.str[:10])
        frames = []
        for session in sessions:
            starts = calendar.trading_index(session, session, period="30min", intervals=False)
            frames.append(session_bars(rng, daily.loc[session], starts))
        pd.concat(frames).to_csv(OUT / f"{symbol}.csv")
    manifest = {
        "generator": "scripts/make_sample_intraday.py",
        "first_session": FIRST,
        "last_session": LAST,
        "kind": "simulated",
        "origin": "simulated from the daily sample (open, high, low, close and volume match)",
        "symbols": symbols,
    }
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {len(symbols)} symbols x {len(sessions)} sessions to {OUT}")


if __name__ == "__main__":
    main()
