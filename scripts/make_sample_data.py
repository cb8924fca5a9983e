"""Write the bundled offline sample dataset under ``sample_data/``.

The files mimic, byte for byte where it matters, what the live clients return
(yfinance ``Ticker.history(...).to_csv()`` / ``Ticker.info``, FRED's keyless
``fredgraph.csv`` and fredapi's ``get_series_info``), so the ingest code can run
offline against them. Real data comes from the ``arch`` package's bundled Yahoo
and FRED extracts; everything else is simulated from a fixed seed and labelled so
in ``sample_data/manifest.json``.

Generation-time requirements: ``arch`` and ``exchange-calendars``.
Run: ``python scripts/make_sample_data.py``
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import exchange_calendars as xcals
import numpy as np
import pandas as pd
from arch.data import core_cpi, nasdaq, sp500
from pandas.tseries.holiday import USFederalHolidayCalendar

SEED = 20181231
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "sample_data"
START, END = "2013-01-02", "2018-12-31"
TZ = "America/New_York"
PRICE_COLUMNS = ["Open", "High", "Low", "Close", "Adj Close", "Volume", "Dividends", "Stock Splits"]

# ---------------------------------------------------------------------------
# Universe
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sim:
    """One simulated instrument: one-factor model on real ^GSPC returns."""

    start: float  # Close on the first session (Yahoo split-adjusted basis, 2018 vintage)
    end: float  # Close on 2018-12-31; a linear drift bridges to it
    beta: float
    idio_vol: float  # daily sd of idiosyncratic noise
    sector: str | None  # sector ETF whose factor noise the name shares
    volume: float  # typical daily volume (split-adjusted shares)
    div_yield: float = 0.0  # annual cash yield; 0 = no dividends
    div_months: tuple[int, ...] = (3, 6, 9, 12)
    div_day: int = 15  # nominal ex-day; first session on/after it
    inception: str | None = None  # first trading day when after START


SECTOR_ETFS = ["XLB", "XLC", "XLE", "XLF", "XLI", "XLK", "XLP", "XLRE", "XLU", "XLV", "XLY"]

SIMS: dict[str, Sim] = {
    "^DJI": Sim(13412.55, 23327.46, 0.97, 0.0025, None, 1.1e8),
    "^RUT": Sim(872.60, 1348.56, 1.15, 0.0055, None, 1.5e9),
    # SPDR sector ETFs (ex-dividend around the third Friday of the quarter's last month)
    "XLB": Sim(39.70, 50.52, 1.05, 0.0035, "XLB", 8e6, 0.020, div_day=18),
    "XLC": Sim(50.40, 45.51, 1.05, 0.0035, "XLC", 3e6, 0.012, div_day=18),
    "XLE": Sim(72.90, 57.35, 1.10, 0.0040, "XLE", 1.5e7, 0.030, div_day=18),
    "XLF": Sim(16.70, 23.82, 1.15, 0.0035, "XLF", 5e7, 0.017, div_day=18),
    "XLI": Sim(38.50, 64.41, 1.05, 0.0030, "XLI", 1e7, 0.020, div_day=18),
    "XLK": Sim(29.60, 61.98, 1.05, 0.0030, "XLK", 1e7, 0.016, div_day=18),
    "XLP": Sim(35.50, 50.78, 0.70, 0.0030, "XLP", 9e6, 0.027, div_day=18),
    "XLRE": Sim(30.50, 31.51, 0.75, 0.0035, "XLRE", 4e6, 0.033, div_day=18),
    "XLU": Sim(35.50, 52.92, 0.45, 0.0035, "XLU", 1.2e7, 0.036, div_day=18),
    "XLV": Sim(40.80, 86.51, 0.90, 0.0030, "XLV", 8e6, 0.015, div_day=18),
    "XLY": Sim(48.50, 99.01, 1.05, 0.0030, "XLY", 5e6, 0.013, div_day=18),
    # Large caps
    "AAPL": Sim(78.43, 157.74, 1.10, 0.0140, "XLK", 7e7, 0.018, (2, 5, 8, 11), 8),
    "MSFT": Sim(27.62, 101.57, 1.10, 0.0120, "XLK", 3.5e7, 0.025, (2, 5, 8, 11), 16),
    "NVDA": Sim(12.72, 133.50, 1.50, 0.0220, "XLK", 1e7, 0.015, (2, 5, 8, 11), 27),
    "GOOGL": Sim(361.99, 1044.96, 1.10, 0.0120, "XLC", 2.5e6),
    "META": Sim(28.00, 131.09, 1.20, 0.0180, "XLC", 3e7),
    "AMZN": Sim(257.31, 1501.97, 1.25, 0.0160, "XLY", 4e6),
    "HD": Sim(63.50, 171.82, 1.00, 0.0110, "XLY", 6e6, 0.022, (3, 6, 9, 12), 6),
    "JPM": Sim(45.50, 97.62, 1.15, 0.0110, "XLF", 1.4e7, 0.028, (1, 4, 7, 10), 4),
    "BAC": Sim(11.99, 24.64, 1.30, 0.0130, "XLF", 8e7, 0.012, (3, 6, 9, 12), 1),
    "JNJ": Sim(70.84, 129.05, 0.70, 0.0085, "XLV", 8e6, 0.030, (2, 5, 8, 11), 22),
    "UNH": Sim(55.08, 249.12, 0.90, 0.0120, "XLV", 4e6, 0.014, (3, 6, 9, 12), 3),
    "XOM": Sim(88.96, 68.19, 0.90, 0.0090, "XLE", 1.2e7, 0.036, (2, 5, 8, 11), 10),
    "CVX": Sim(110.00, 108.79, 1.00, 0.0100, "XLE", 6e6, 0.036, (2, 5, 8, 11), 15),
    "PG": Sim(69.75, 91.92, 0.60, 0.0080, "XLP", 8e6, 0.032, (1, 4, 7, 10), 18),
    "KO": Sim(37.60, 47.35, 0.60, 0.0080, "XLP", 1.3e7, 0.031, (3, 6, 9, 11), 13),
    "WMT": Sim(70.21, 93.15, 0.60, 0.0100, "XLP", 7e6, 0.025, (3, 5, 8, 12), 8),
    "CAT": Sim(93.13, 127.07, 1.15, 0.0130, "XLI", 6e6, 0.028, (1, 4, 7, 10), 18),
    "BA": Sim(77.07, 322.50, 1.10, 0.0120, "XLI", 4e6, 0.023, (2, 5, 8, 11), 7),
    "NEE": Sim(70.98, 173.82, 0.40, 0.0080, "XLU", 2.5e6, 0.030, (2, 5, 8, 11), 25),
    "AMT": Sim(78.18, 158.19, 0.70, 0.0120, "XLRE", 2.5e6, 0.017, (3, 6, 9, 12), 24),
    "LIN": Sim(110.00, 156.04, 1.00, 0.0100, "XLB", 1.5e6, 0.022, (3, 6, 9, 12), 5),
}

# symbol -> (ex-date, ratio new/old), as Yahoo reports them. GOOGL's 2014 Class C
# share dividend is recorded by Yahoo as a 2.002:1 split.
SPLITS = {"AAPL": ("2014-06-09", 7.0), "GOOGL": ("2014-03-27", 2.002)}

INDICES = ["^GSPC", "^DJI", "^IXIC", "^RUT", "^VIX"]
STOCKS = [
    "AAPL", "MSFT", "NVDA", "GOOGL", "META", "AMZN", "HD", "JPM", "BAC", "JNJ", "UNH",
    "XOM", "CVX", "PG", "KO", "WMT", "CAT", "BA", "NEE", "AMT", "LIN",
]  # fmt: skip
UNIVERSE = [*INDICES, "SPY", *SECTOR_ETFS, *STOCKS]

# ---------------------------------------------------------------------------
# Yahoo Ticker.info (current Yahoo names and listings)
# ---------------------------------------------------------------------------

INDEX_INFO = {
    "^GSPC": ("S&P 500", "S&P 500", "SNP", "SNP"),
    "^DJI": ("Dow Jones Industrial Average", "Dow Jones Industrial Average", "DJI", "DJI"),
    "^IXIC": ("NASDAQ Composite", "NASDAQ Composite", "NIM", "Nasdaq GIDS"),
    "^RUT": ("Russell 2000", "Russell 2000", "WCB", "Chicago Options"),
    "^VIX": ("CBOE Volatility Index", "CBOE Volatility Index", "WCB", "Chicago Options"),
}
ETF_INFO = {  # symbol: (longName, Morningstar category)
    "SPY": ("SPDR S&P 500 ETF Trust", "Large Blend"),
    "XLB": ("Materials Select Sector SPDR Fund", "Natural Resources"),
    "XLC": ("Communication Services Select Sector SPDR Fund", "Communications"),
    "XLE": ("Energy Select Sector SPDR Fund", "Equity Energy"),
    "XLF": ("Financial Select Sector SPDR Fund", "Financial"),
    "XLI": ("Industrial Select Sector SPDR Fund", "Industrials"),
    "XLK": ("Technology Select Sector SPDR Fund", "Technology"),
    "XLP": ("Consumer Staples Select Sector SPDR Fund", "Consumer Defensive"),
    "XLRE": ("Real Estate Select Sector SPDR Fund", "Real Estate"),
    "XLU": ("Utilities Select Sector SPDR Fund", "Utilities"),
    "XLV": ("Health Care Select Sector SPDR Fund", "Health"),
    "XLY": ("Consumer Discretionary Select Sector SPDR Fund", "Consumer Cyclical"),
}
STOCK_INFO = {  # symbol: (shortName, longName, exchange, sector, industry, country)
    "AAPL": ("Apple Inc.", "Apple Inc.", "NMS", "Technology", "Consumer Electronics", "United States"),
    "MSFT": ("Microsoft Corporation", "Microsoft Corporation", "NMS", "Technology", "Software - Infrastructure", "United States"),
    "NVDA": ("NVIDIA Corporation", "NVIDIA Corporation", "NMS", "Technology", "Semiconductors", "United States"),
    "GOOGL": ("Alphabet Inc.", "Alphabet Inc.", "NMS", "Communication Services", "Internet Content & Information", "United States"),
    "META": ("Meta Platforms, Inc.", "Meta Platforms, Inc.", "NMS", "Communication Services", "Internet Content & Information", "United States"),
    "AMZN": ("Amazon.com, Inc.", "Amazon.com, Inc.", "NMS", "Consumer Cyclical", "Internet Retail", "United States"),
    "HD": ("Home Depot, Inc. (The)", "The Home Depot, Inc.", "NYQ", "Consumer Cyclical", "Home Improvement Retail", "United States"),
    "JPM": ("JP Morgan Chase & Co.", "JPMorgan Chase & Co.", "NYQ", "Financial Services", "Banks - Diversified", "United States"),
    "BAC": ("Bank of America Corporation", "Bank of America Corporation", "NYQ", "Financial Services", "Banks - Diversified", "United States"),
    "JNJ": ("Johnson & Johnson", "Johnson & Johnson", "NYQ", "Healthcare", "Drug Manufacturers - General", "United States"),
    "UNH": ("UnitedHealth Group Incorporated", "UnitedHealth Group Incorporated", "NYQ", "Healthcare", "Healthcare Plans", "United States"),
    "XOM": ("Exxon Mobil Corporation", "Exxon Mobil Corporation", "NYQ", "Energy", "Oil & Gas Integrated", "United States"),
    "CVX": ("Chevron Corporation", "Chevron Corporation", "NYQ", "Energy", "Oil & Gas Integrated", "United States"),
    "PG": ("Procter & Gamble Company (The)", "The Procter & Gamble Company", "NYQ", "Consumer Defensive", "Household & Personal Products", "United States"),
    "KO": ("Coca-Cola Company (The)", "The Coca-Cola Company", "NYQ", "Consumer Defensive", "Beverages - Non-Alcoholic", "United States"),
    "WMT": ("Walmart Inc.", "Walmart Inc.", "NMS", "Consumer Defensive", "Discount Stores", "United States"),
    "CAT": ("Caterpillar, Inc.", "Caterpillar Inc.", "NYQ", "Industrials", "Farm & Heavy Construction Machinery", "United States"),
    "BA": ("Boeing Company (The)", "The Boeing Company", "NYQ", "Industrials", "Aerospace & Defense", "United States"),
    "NEE": ("NextEra Energy, Inc.", "NextEra Energy, Inc.", "NYQ", "Utilities", "Utilities - Regulated Electric", "United States"),
    "AMT": ("American Tower Corporation (REI", "American Tower Corporation", "NYQ", "Real Estate", "REIT - Specialty", "United States"),
    "LIN": ("Linde plc", "Linde plc", "NMS", "Basic Materials", "Specialty Chemicals", "United Kingdom"),
}  # fmt: skip
FULL_EXCHANGE = {"NMS": "NasdaqGS", "NYQ": "NYSE", "PCX": "NYSEArca"}


def build_info() -> dict[str, dict]:
    common = {
        "currency": "USD",
        "exchangeTimezoneName": TZ,
        "exchangeTimezoneShortName": "EST",  # as of 2018-12-31
        "gmtOffSetMilliseconds": -18000000,
        "market": "us_market",
    }
    info: dict[str, dict] = {}
    for sym in UNIVERSE:
        if sym in INDEX_INFO:
            short, long_, exch, full = INDEX_INFO[sym]
            d = {
                "quoteType": "INDEX",
                "typeDisp": "Index",
                "exchange": exch,
                "fullExchangeName": full,
            }
        elif sym in ETF_INFO:
            long_, category = ETF_INFO[sym]
            short = long_.replace(" Fund", "").replace(" ETF Trust", "")
            d = {
                "quoteType": "ETF",
                "typeDisp": "ETF",
                "exchange": "PCX",
                "fullExchangeName": FULL_EXCHANGE["PCX"],
                "category": category,
                "fundFamily": "SPDR State Street Global Advisors",
                "legalType": "Exchange Traded Fund",
            }
        else:
            short, long_, exch, sector, industry, country = STOCK_INFO[sym]
            d = {
                "quoteType": "EQUITY",
                "typeDisp": "Equity",
                "exchange": exch,
                "fullExchangeName": FULL_EXCHANGE[exch],
                "sector": sector,
                "industry": industry,
                "country": country,
                "financialCurrency": "USD",
            }
        info[sym] = {"symbol": sym, "shortName": short, "longName": long_, **d, **common}
    return info


# ---------------------------------------------------------------------------
# Price mechanics
# ---------------------------------------------------------------------------


def ohlc_from_close(
    close: np.ndarray, vol: float, rng: np.random.Generator, first_open: float | None = None
):
    """Open near the previous close, high/low outside the open-close body; 4 dp, invariants exact."""
    n = len(close)
    prev = np.r_[first_open if first_open is not None else close[0], close[:-1]]
    open_ = prev * np.exp(rng.normal(0.0, 0.3 * vol, n))
    body_hi = np.maximum(open_, close)
    body_lo = np.minimum(open_, close)
    high = body_hi * np.exp(np.abs(rng.normal(0.0, 0.5 * vol, n)))
    low = body_lo * np.exp(-np.abs(rng.normal(0.0, 0.5 * vol, n)))
    return finish_ohlc(open_, high, low, close)


def finish_ohlc(open_, high, low, close):
    """Round to 4 dp, then widen high/low so low <= open, close <= high holds exactly."""
    o, h, lo, c = (np.round(np.asarray(x, dtype=float), 4) for x in (open_, high, low, close))
    h = np.maximum.reduce([h, o, c])
    lo = np.minimum.reduce([lo, o, c])
    return o, h, lo, c


def quarterly_ex_dates(
    sessions: pd.DatetimeIndex, months: tuple[int, ...], day: int
) -> list[pd.Timestamp]:
    """First session on or after the nominal ex-day of each dividend month."""
    out = []
    for year in range(sessions[0].year, sessions[-1].year + 1):
        for m in months:
            nominal = pd.Timestamp(year, m, day)
            pos = sessions.searchsorted(nominal)
            # skip the very first session: Yahoo needs a prior close for the adjustment
            if 0 < pos < len(sessions):
                out.append(sessions[pos])
    return out


def adj_close(close: np.ndarray, dividends: np.ndarray) -> np.ndarray:
    """Yahoo's Adj Close: for an ex-date t, rows before t scale by 1 - D / Close[t-1]; compounding backwards."""
    factor = np.ones(len(close))
    for i in np.nonzero(dividends)[0]:
        factor[:i] *= 1.0 - dividends[i] / close[i - 1]
    return np.round(close * factor, 6)


def frame(sessions, o, h, lo, c, volume, dividends=None, splits=None) -> pd.DataFrame:
    n = len(sessions)
    dividends = np.zeros(n) if dividends is None else dividends
    splits = np.zeros(n) if splits is None else splits
    idx = pd.DatetimeIndex(sessions).tz_localize(TZ)
    idx.name = "Date"
    return pd.DataFrame(
        {
            "Open": o,
            "High": h,
            "Low": lo,
            "Close": c,
            "Adj Close": adj_close(c, dividends),
            "Volume": np.asarray(volume, dtype=np.int64),
            "Dividends": dividends.astype(float),
            "Stock Splits": splits.astype(float),
        },
        index=idx,
    )


def real_index(loader, sessions: pd.DatetimeIndex, name: str, notes: list[str]) -> pd.DataFrame:
    """Slice an arch Yahoo extract to the XNYS sessions, reporting any disagreement."""
    raw = loader.load().loc[START:END]
    raw.index = pd.DatetimeIndex(raw.index).normalize()
    extra = raw.index.difference(sessions)
    missing = sessions.difference(raw.index)
    if len(extra):
        notes.append(
            f"{name}: dropped {len(extra)} arch rows on non-sessions: {[d.date().isoformat() for d in extra]}"
        )
    if len(missing):
        raise SystemExit(
            f"{name}: arch data lacks sessions {list(missing)}; extend the generator to fill them"
        )
    raw = raw.loc[sessions]
    o, h, lo, c = finish_ohlc(raw["Open"], raw["High"], raw["Low"], raw["Close"])
    return frame(sessions, o, h, lo, c, raw["Volume"].to_numpy())


def build_yahoo(sessions: pd.DatetimeIndex, rng: np.random.Generator, notes: list[str]):
    prices: dict[str, pd.DataFrame] = {}
    manifest: dict[str, dict] = {}
    prices["^GSPC"] = real_index(sp500, sessions, "^GSPC", notes)
    prices["^IXIC"] = real_index(nasdaq, sessions, "^IXIC", notes)
    for sym, mod in (("^GSPC", "sp500"), ("^IXIC", "nasdaq")):
        manifest[sym] = {
            "origin": "real",
            "source": f"Yahoo Finance daily OHLCV bundled in arch.data.{mod} (arch package)",
        }

    gspc = prices["^GSPC"]["Close"].to_numpy()
    r_m = np.r_[0.0, np.diff(np.log(gspc))]
    n = len(sessions)

    # SPY: ^GSPC / 10 with a slowly wandering tracking ratio, so OHLC inherits real intraday shape.
    track = np.cumsum(rng.normal(0.0, 0.0003, n))
    track = 0.1 * np.exp(track - np.linspace(0.0, track[-1], n))  # starts and ends at exactly 1/10
    g = prices["^GSPC"]
    spy_vol = 1.1e8 * np.exp(rng.normal(0.0, 0.3, n)) * (1.0 + 25.0 * np.abs(r_m))
    spy_ex = quarterly_ex_dates(sessions, (3, 6, 9, 12), 18)
    spy_close = np.round(g["Close"].to_numpy() * track, 4)
    spy_div = dividend_column(sessions, spy_close, spy_ex, 0.019)
    o, h, lo, c = finish_ohlc(g["Open"] * track, g["High"] * track, g["Low"] * track, spy_close)
    prices["SPY"] = frame(sessions, o, h, lo, c, spy_vol, spy_div)
    manifest["SPY"] = {
        "origin": "simulated",
        "source": "real ^GSPC OHLC / 10 times a small random tracking ratio; simulated dividends (~1.9 %/yr)",
    }

    # ^VIX: mean-reverting log level that jumps when the real ^GSPC falls.
    log_v = np.empty(n)
    log_v[0] = np.log(14.68)
    mu = np.log(15.0)
    shocks = rng.normal(0.0, 0.04, n)
    for t in range(1, n):
        log_v[t] = log_v[t - 1] + 0.07 * (mu - log_v[t - 1]) - 5.0 * r_m[t] + shocks[t]
    vix = np.exp(log_v)
    o, h, lo, c = ohlc_from_close(vix, 0.05, rng)
    prices["^VIX"] = frame(sessions, o, h, lo, c, np.zeros(n))
    manifest["^VIX"] = {
        "origin": "simulated",
        "source": "mean-reverting log-VIX driven by real ^GSPC returns (arch.data.vix is close-only and starts 2014-01-03)",
    }

    sector_noise = {etf: rng.normal(0.0, 0.006, n) for etf in SECTOR_ETFS}
    for sym, p in SIMS.items():
        first = 0 if p.inception is None else sessions.searchsorted(pd.Timestamp(p.inception))
        ses = sessions[first:]
        m = len(ses)
        eps = rng.normal(0.0, p.idio_vol, m)
        if p.sector is not None:
            eps = eps + sector_noise[p.sector][first:] * (1.0 if p.sector == sym else 0.8)
        r = p.beta * r_m[first:] + eps
        r[0] = 0.0
        log_c = np.log(p.start) + np.cumsum(r)
        log_c += np.linspace(
            0.0, np.log(p.end) - log_c[-1], m
        )  # bridge to the realistic 2018 close
        close = np.exp(log_c)
        daily_vol = float(np.std(np.diff(log_c)))
        o, h, lo, c = ohlc_from_close(close, daily_vol, rng)
        volume = p.volume * np.exp(rng.normal(0.0, 0.3, m)) * (1.0 + 25.0 * np.abs(r))
        volume = np.maximum(volume.round(), 1)
        div = np.zeros(m)
        if p.div_yield:
            div = dividend_column(
                ses, c, quarterly_ex_dates(ses, p.div_months, p.div_day), p.div_yield
            )
        split = np.zeros(m)
        if sym in SPLITS:
            date, ratio = SPLITS[sym]
            split[ses.get_loc(pd.Timestamp(date))] = ratio
        prices[sym] = frame(ses, o, h, lo, c, volume, div, split)
        bits = [
            f"one-factor model on real ^GSPC returns (beta {p.beta}, idio vol {p.idio_vol:.2%}/day)"
        ]
        if p.sector and p.sector != sym:
            bits.append(f"shares the {p.sector} sector factor")
        if p.div_yield:
            bits.append(f"simulated quarterly dividends (~{p.div_yield:.1%}/yr)")
        if sym in SPLITS:
            bits.append(f"split {SPLITS[sym][1]}:1 on {SPLITS[sym][0]}")
        if p.inception:
            bits.append(f"history starts at fund inception {p.inception}")
        manifest[sym] = {"origin": "simulated", "source": "; ".join(bits)}
    return prices, manifest


def dividend_column(
    ses: pd.DatetimeIndex, close: np.ndarray, ex_dates, annual_yield: float
) -> np.ndarray:
    """Quarterly cash dividend, reset each January to yield * last year-end close / 4 (6 dp, split-adjusted)."""
    div = np.zeros(len(ses))
    amount = None
    year = None
    for ex in ex_dates:
        i = ses.get_loc(ex)
        if ex.year != year:
            year = ex.year
            prior = np.nonzero(ses.year < year)[0]
            base = close[prior[-1]] if len(prior) else close[0]
            amount = round(annual_yield * base / 4.0, 6)
        div[i] = amount
    return div


# ---------------------------------------------------------------------------
# FRED
# ---------------------------------------------------------------------------

MONTHS = pd.date_range("2011-01-01", "2018-12-01", freq="MS")
QUARTERS = pd.date_range("2011-01-01", "2018-10-01", freq="QS")
WEEKDAYS = pd.bdate_range("2012-01-02", "2018-12-31")


def anchored(
    dates: pd.DatetimeIndex, anchors: dict[str, float], sd: float, ar: float, rng
) -> np.ndarray:
    """Linear path through (date, value) anchors plus stationary AR(1) noise."""
    ax = pd.DatetimeIndex(list(anchors)).asi8
    base = np.interp(dates.asi8, ax, list(anchors.values()))
    noise = np.zeros(len(dates))
    innov = rng.normal(0.0, sd * np.sqrt(1 - ar**2), len(dates))
    noise[0] = rng.normal(0.0, sd)
    for t in range(1, len(dates)):
        noise[t] = ar * noise[t - 1] + innov[t]
    return base + noise


HIKES = ["2015-12-17", "2016-12-15", "2017-03-16", "2017-06-15", "2017-12-14",
         "2018-03-22", "2018-06-14", "2018-09-27", "2018-12-20"]  # fmt: skip


def fed_target_lower(days: pd.DatetimeIndex) -> np.ndarray:
    return 0.25 * np.searchsorted(pd.DatetimeIndex(HIKES).asi8, days.asi8, side="right")


def build_fred(rng: np.random.Generator) -> tuple[dict[str, pd.Series], list[str]]:
    notes: list[str] = []
    out: dict[str, pd.Series] = {}

    # Real core CPI; the arch extract ends 2018-11-01, and we do not invent a "real" December.
    core = core_cpi.load()["CPILFESL"]
    core.index = pd.DatetimeIndex(core.index)
    out["CPILFESL"] = core.loc["2011-01-01":"2018-12-01"].round(3)
    if out["CPILFESL"].index[-1] < MONTHS[-1]:
        notes.append(
            f"CPILFESL: arch.data.core_cpi ends {out['CPILFESL'].index[-1].date()}; file ends there too"
        )

    # Headline CPI = core x energy/food gap; the gap follows known headline levels.
    core_ext = core.reindex(MONTHS)
    last = core_ext.last_valid_index()
    growth = np.log(core.loc[:last]).diff().iloc[-12:].mean()
    for d in MONTHS[MONTHS.get_loc(last) + 1 :]:
        core_ext[d] = core_ext.dropna().iloc[-1] * np.exp(growth)
    headline_anchors = {"2011-01-01": 221.2, "2012-01-01": 227.8, "2013-01-01": 230.3, "2014-06-01": 237.5,
                        "2015-01-01": 234.7, "2016-01-01": 237.8, "2017-01-01": 243.6, "2018-01-01": 248.9,
                        "2018-12-01": 252.7}  # fmt: skip
    gap_anchors = {d: np.log(v / core_ext[pd.Timestamp(d)]) for d, v in headline_anchors.items()}
    gap = anchored(MONTHS, gap_anchors, 0.0012, 0.6, rng)
    out["CPIAUCSL"] = pd.Series(np.round(core_ext.to_numpy() * np.exp(gap), 3), MONTHS)

    unrate = {"2011-01-01": 9.1, "2012-01-01": 8.3, "2013-01-01": 8.0, "2014-01-01": 6.6, "2015-01-01": 5.7,
              "2016-01-01": 4.9, "2017-01-01": 4.7, "2018-01-01": 4.1, "2018-12-01": 3.8}  # fmt: skip
    out["UNRATE"] = pd.Series(np.round(anchored(MONTHS, unrate, 0.08, 0.3, rng), 1), MONTHS)

    payems = {"2011-01-01": 130_900, "2013-01-01": 135_300, "2015-01-01": 140_600, "2017-01-01": 145_600,
              "2018-12-01": 150_600}  # fmt: skip
    out["PAYEMS"] = pd.Series(
        np.round(anchored(MONTHS, payems, 60.0, 0.8, rng)).astype(int), MONTHS
    )

    indpro = {"2011-01-01": 94.5, "2012-06-01": 100.0, "2014-11-01": 106.5, "2016-03-01": 102.3,
              "2017-08-01": 104.8, "2018-12-01": 110.5}  # fmt: skip
    out["INDPRO"] = pd.Series(np.round(anchored(MONTHS, indpro, 0.35, 0.5, rng), 4), MONTHS)

    umcsent = {"2011-01-01": 74.2, "2011-08-01": 55.8, "2012-01-01": 75.0, "2013-01-01": 73.8, "2014-01-01": 81.2,
               "2015-01-01": 98.1, "2016-01-01": 92.0, "2017-01-01": 98.5, "2018-03-01": 101.4, "2018-12-01": 98.3}  # fmt: skip
    out["UMCSENT"] = pd.Series(np.round(anchored(MONTHS, umcsent, 2.0, 0.5, rng), 1), MONTHS)

    # GDP: real growth and deflator as noisy quarterly log steps; nominal = real x deflator.
    nq = len(QUARTERS)
    real = 15_640.0 * np.exp(
        np.r_[0.0, np.cumsum(rng.normal(np.log(18_730 / 15_640) / (nq - 1), 0.003, nq - 1))]
    )
    defl = 0.978 * np.exp(
        np.r_[0.0, np.cumsum(rng.normal(np.log(1.103 / 0.978) / (nq - 1), 0.001, nq - 1))]
    )
    out["GDPC1"] = pd.Series(np.round(real, 3), QUARTERS)
    out["GDP"] = pd.Series(np.round(real * defl, 3), QUARTERS)

    # Policy rate: daily effective rate around the target floor; FEDFUNDS is its monthly mean.
    days = pd.date_range("2011-01-01", "2019-03-31", freq="D")
    lower = fed_target_lower(days)
    spread = np.select(
        [lower == 0, days < pd.Timestamp("2017-01-01"), days < pd.Timestamp("2018-06-14")],
        [0.10, 0.12, 0.16],
        0.17,
    )
    effr = np.maximum(lower + spread + rng.normal(0.0, 0.015, len(days)), 0.04)
    effr_s = pd.Series(effr, days)
    monthly = effr_s.loc[:"2018-12-31"].resample("MS").mean()
    out["FEDFUNDS"] = pd.Series(np.round(monthly.to_numpy(), 2), MONTHS)

    # Treasury curve: 3-month tracks the expected policy rate over the next quarter.
    mid = pd.Series(lower + 0.125, days)
    fwd = mid[::-1].rolling(91, min_periods=1).mean()[::-1]
    d3 = (
        fwd.reindex(WEEKDAYS).to_numpy()
        - 0.06
        + anchored(WEEKDAYS, {"2012-01-02": 0.0, "2018-12-31": 0.0}, 0.02, 0.9, rng)
    )
    d3 = np.clip(np.round(d3, 2), 0.0, None)
    dgs2_anchors = {"2012-01-02": 0.25, "2012-12-31": 0.25, "2013-06-15": 0.36, "2013-12-15": 0.38,
                    "2014-06-15": 0.47, "2014-12-15": 0.67, "2015-06-15": 0.64, "2015-12-15": 1.00,
                    "2016-02-15": 0.75, "2016-07-08": 0.58, "2016-12-15": 1.20, "2017-06-15": 1.35,
                    "2017-12-15": 1.85, "2018-03-15": 2.27, "2018-06-15": 2.53, "2018-09-15": 2.78,
                    "2018-11-08": 2.95, "2018-12-31": 2.48}  # fmt: skip
    d2 = np.round(anchored(WEEKDAYS, dgs2_anchors, 0.035, 0.97, rng), 2)
    d2 = np.clip(d2, np.maximum(d3, 0.20), 2.97)
    dgs10_anchors = {"2012-01-02": 1.95, "2012-04-01": 2.00, "2012-07-25": 1.43, "2012-12-31": 1.78,
                     "2013-05-01": 1.66, "2013-06-25": 2.55, "2013-09-05": 2.98, "2013-12-31": 3.01,
                     "2014-06-15": 2.60, "2014-12-31": 2.17, "2015-01-30": 1.68, "2015-06-15": 2.35,
                     "2015-12-31": 2.27, "2016-02-11": 1.66, "2016-07-08": 1.37, "2016-10-15": 1.75,
                     "2016-12-15": 2.55, "2017-03-15": 2.50, "2017-09-07": 2.05, "2017-12-31": 2.40,
                     "2018-02-20": 2.89, "2018-05-17": 3.11, "2018-08-15": 2.86, "2018-11-08": 3.24,
                     "2018-12-31": 2.69}  # fmt: skip
    d10 = np.round(anchored(WEEKDAYS, dgs10_anchors, 0.05, 0.97, rng), 2)

    # Bond-market closures: FRED shows "." there (federal holidays, plus Hurricane Sandy).
    closed = (
        USFederalHolidayCalendar()
        .holidays("2012-01-01", "2018-12-31")
        .append(pd.DatetimeIndex(["2012-10-30"]))
    )
    is_open = ~WEEKDAYS.isin(closed)
    for sid, vals in {"DGS3MO": d3, "DGS2": d2, "DGS10": d10}.items():
        out[sid] = pd.Series(np.where(is_open, vals, np.nan), WEEKDAYS)
    out["T10Y2Y"] = pd.Series(np.round(out["DGS10"] - out["DGS2"], 2).to_numpy(), WEEKDAYS)
    out["T10Y3M"] = pd.Series(np.round(out["DGS10"] - out["DGS3MO"], 2).to_numpy(), WEEKDAYS)
    notes.append(f"FRED daily series: {int((~is_open).sum())} weekday closures written as '.'")
    return out, notes


FRED_DECIMALS = {"CPIAUCSL": 3, "CPILFESL": 3, "UNRATE": 1, "PAYEMS": 0, "FEDFUNDS": 2, "DGS3MO": 2, "DGS2": 2,
                 "DGS10": 2, "T10Y2Y": 2, "T10Y3M": 2, "GDP": 3, "GDPC1": 3, "INDPRO": 4, "UMCSENT": 1}  # fmt: skip

_M = ("Monthly", "M")
_Q = ("Quarterly", "Q")
_D = ("Daily", "D")
_SA = ("Seasonally Adjusted", "SA")
_NSA = ("Not Seasonally Adjusted", "NSA")
_SAAR = ("Seasonally Adjusted Annual Rate", "SAAR")
_PCT = ("Percent", "%")
_CMT = "Market Yield on U.S. Treasury Securities at {} Constant Maturity, Quoted on an Investment Basis"
FRED_META = {  # id: (title, freq, units, seasonal, observation_start, last_updated, popularity, notes)
    "CPIAUCSL": ("Consumer Price Index for All Urban Consumers: All Items in U.S. City Average", _M,
                 ("Index 1982-1984=100", "Index 1982-1984=100"), _SA, "1947-01-01", "2019-01-11 07:51:04-06", 94,
                 "The Consumer Price Index for All Urban Consumers: All Items (CPI-U) is a price index of a basket of goods and services paid by urban consumers."),
    "CPILFESL": ("Consumer Price Index for All Urban Consumers: All Items Less Food and Energy in U.S. City Average", _M,
                 ("Index 1982-1984=100", "Index 1982-1984=100"), _SA, "1957-01-01", "2018-12-12 07:51:03-06", 82,
                 "The Consumer Price Index for All Urban Consumers: All Items Less Food and Energy, often called core CPI."),
    "UNRATE": ("Unemployment Rate", _M, _PCT, _SA, "1948-01-01", "2019-01-04 07:44:02-06", 95,
               "The unemployment rate represents the number of unemployed as a percentage of the labor force."),
    "PAYEMS": ("All Employees, Total Nonfarm", _M, ("Thousands of Persons", "Thous. of Persons"), _SA, "1939-01-01",
               "2019-01-04 07:44:03-06", 86, "All Employees: Total Nonfarm, commonly known as Total Nonfarm Payroll."),
    "FEDFUNDS": ("Federal Funds Effective Rate", _M, _PCT, _NSA, "1954-07-01", "2019-01-02 15:23:02-06", 92,
                 "Averages of daily figures. The federal funds rate is the interest rate at which depository institutions trade federal funds with each other overnight."),
    "DGS3MO": (_CMT.format("3-Month"), _D, _PCT, _NSA, "1981-09-01", "2019-01-02 15:19:03-06", 75,
               "For further information regarding treasury constant maturity data, please refer to the H.15 Statistical Release notes."),
    "DGS2": (_CMT.format("2-Year"), _D, _PCT, _NSA, "1976-06-01", "2019-01-02 15:19:03-06", 78,
             "For further information regarding treasury constant maturity data, please refer to the H.15 Statistical Release notes."),
    "DGS10": (_CMT.format("10-Year"), _D, _PCT, _NSA, "1962-01-02", "2019-01-02 15:19:03-06", 93,
              "For further information regarding treasury constant maturity data, please refer to the H.15 Statistical Release notes."),
    "T10Y2Y": ("10-Year Treasury Constant Maturity Minus 2-Year Treasury Constant Maturity", _D, _PCT, _NSA,
               "1976-06-01", "2019-01-02 16:01:03-06", 96, "Series is calculated as the spread between 10-Year Treasury Constant Maturity (DGS10) and 2-Year Treasury Constant Maturity (DGS2)."),
    "T10Y3M": ("10-Year Treasury Constant Maturity Minus 3-Month Treasury Constant Maturity", _D, _PCT, _NSA,
               "1982-01-04", "2019-01-02 16:01:04-06", 84, "Series is calculated as the spread between 10-Year Treasury Constant Maturity (DGS10) and 3-Month Treasury Constant Maturity (DGS3MO)."),
    "GDP": ("Gross Domestic Product", _Q, ("Billions of Dollars", "Bil. of $"), _SAAR, "1947-01-01",
            "2019-02-28 07:56:02-06", 93, "BEA Account Code: A191RC. Gross domestic product (GDP), the featured measure of U.S. output."),
    "GDPC1": ("Real Gross Domestic Product", _Q, ("Billions of Chained 2012 Dollars", "Bil. of Chn. 2012 $"), _SAAR,
              "1947-01-01", "2019-02-28 07:56:03-06", 90, "BEA Account Code: A191RX. Real gross domestic product is the inflation adjusted value of the goods and services produced."),
    "INDPRO": ("Industrial Production: Total Index", _M, ("Index 2012=100", "Index 2012=100"), _SA, "1919-01-01",
               "2019-01-18 08:31:02-06", 80, "The Industrial Production Index (INDPRO) measures real output for all facilities located in the United States manufacturing, mining, and electric, and gas utilities."),
    "UMCSENT": ("University of Michigan: Consumer Sentiment", _M, ("Index 1966:Q1=100", "Index 1966:Q1=100"), _NSA,
                "1952-11-01", "2019-01-25 10:01:02-06", 83, "At the request of the source, the data is delayed by 1 month."),
}  # fmt: skip


def series_info(sid: str, obs: pd.Series) -> dict[str, str]:
    title, freq, units, seas, obs_start, updated, popularity, notes = FRED_META[sid]
    return {
        "id": sid,
        "realtime_start": "2019-03-01",
        "realtime_end": "2019-03-01",
        "title": title,
        "observation_start": obs_start,
        "observation_end": obs.dropna().index[-1].date().isoformat(),
        "frequency": freq[0],
        "frequency_short": freq[1],
        "units": units[0],
        "units_short": units[1],
        "seasonal_adjustment": seas[0],
        "seasonal_adjustment_short": seas[1],
        "last_updated": updated,
        "popularity": str(popularity),
        "notes": notes,
    }


def write_fred_csv(path: Path, sid: str, s: pd.Series) -> None:
    dp = FRED_DECIMALS[sid]
    lines = [f"observation_date,{sid}"]
    for d, v in s.items():
        lines.append(f"{d.date().isoformat()},{'.' if pd.isna(v) else f'{v:.{dp}f}'}")
    path.write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------


def main() -> None:
    rng = np.random.default_rng(SEED)
    cal = xcals.get_calendar("XNYS")
    sessions = pd.DatetimeIndex(cal.sessions_in_range(START, END))
    notes: list[str] = []

    prices, yahoo_manifest = build_yahoo(sessions, rng, notes)
    hist_dir = OUT / "yahoo" / "history"
    hist_dir.mkdir(parents=True, exist_ok=True)
    for old in hist_dir.glob("*.csv"):
        old.unlink()
    for sym in UNIVERSE:
        prices[sym][PRICE_COLUMNS].to_csv(hist_dir / f"{sym}.csv")
    (OUT / "yahoo" / "info.json").write_text(json.dumps(build_info(), indent=2) + "\n")

    fred, fred_notes = build_fred(rng)
    notes += fred_notes
    obs_dir = OUT / "fred" / "observations"
    obs_dir.mkdir(parents=True, exist_ok=True)
    for sid, s in fred.items():
        write_fred_csv(obs_dir / f"{sid}.csv", sid, s)
    infos = {sid: series_info(sid, fred[sid]) for sid in FRED_META}
    (OUT / "fred" / "series.json").write_text(json.dumps(infos, indent=2) + "\n")

    fred_manifest = {sid: {"origin": "simulated", "source": fred_source(sid)} for sid in FRED_META}
    fred_manifest["CPILFESL"] = {
        "origin": "real",
        "source": "FRED CPILFESL bundled in arch.data.core_cpi (arch package)",
    }
    manifest = {
        "as_of": END,
        "generator": "scripts/make_sample_data.py",
        "yahoo": {sym: yahoo_manifest[sym] for sym in UNIVERSE},
        "fred": fred_manifest,
    }
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    for line in notes:
        print(line)
    print(f"wrote {len(UNIVERSE)} Yahoo histories and {len(fred)} FRED series to {OUT}")


def fred_source(sid: str) -> str:
    return {
        "CPIAUCSL": "real core CPI (CPILFESL) times a simulated food/energy gap anchored to known headline levels",
        "FEDFUNDS": "monthly mean of a simulated daily effective rate around the actual FOMC target path",
        "DGS3MO": "simulated: expected target rate over the next quarter plus AR(1) noise",
        "T10Y2Y": "DGS10 - DGS2 from the simulated files",
        "T10Y3M": "DGS10 - DGS3MO from the simulated files",
        "GDP": "simulated: GDPC1 times a simulated deflator",
        "GDPC1": "simulated: noisy quarterly growth from approximate 2011 to 2018 levels",
    }.get(sid, "simulated: approximate historical anchor levels plus AR(1) noise")


if __name__ == "__main__":
    main()
