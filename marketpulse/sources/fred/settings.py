"""FRED source constants. The series list itself is configuration: `.dlt/config.toml`."""

from __future__ import annotations

from datetime import date

DEFAULT_START_DATE = date(2000, 1, 1)
# FRED revises recent observations (payrolls for two months, GDP for years): re-pull a window.
DEFAULT_LAG_DAYS = 400

API_URL = "https://api.stlouisfed.org/fred"
CSV_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv"
MISSING = "."
# ALFRED's whole real-time axis: asking for it returns every vintage of every observation.
REALTIME_FIRST = "1776-07-04"
REALTIME_OPEN = "9999-12-31"
API_PAGE_LIMIT = 100_000  # FRED's maximum rows per series/observations request
API_VINTAGE_PAGE_LIMIT = 10_000  # FRED's maximum per series/vintagedates request
# FRED refuses a real-time period holding more vintage dates than this (daily series do).
API_MAX_VINTAGE_DATES = 2_000

OBSERVATIONS_TABLE = "observations"
SERIES_TABLE = "series"

SERIES_FIELDS = (
    "title",
    "frequency",
    "frequency_short",
    "units",
    "units_short",
    "seasonal_adjustment",
    "seasonal_adjustment_short",
)

# Without an API key only observations can be downloaded (fredgraph.csv); these are the
# published titles and units of the default series so dim_indicator is complete keyless.
KEYLESS_METADATA: dict[str, dict[str, str]] = {
    "CPIAUCSL": {
        "title": "Consumer Price Index for All Urban Consumers: All Items in U.S. City Average",
        "frequency": "Monthly",
        "frequency_short": "M",
        "units": "Index 1982-1984=100",
        "units_short": "Index 1982-1984=100",
        "seasonal_adjustment": "Seasonally Adjusted",
        "seasonal_adjustment_short": "SA",
    },
    "CPILFESL": {
        "title": "Consumer Price Index for All Urban Consumers: All Items Less Food and Energy "
        "in U.S. City Average",
        "frequency": "Monthly",
        "frequency_short": "M",
        "units": "Index 1982-1984=100",
        "units_short": "Index 1982-1984=100",
        "seasonal_adjustment": "Seasonally Adjusted",
        "seasonal_adjustment_short": "SA",
    },
    "UNRATE": {
        "title": "Unemployment Rate",
        "frequency": "Monthly",
        "frequency_short": "M",
        "units": "Percent",
        "units_short": "%",
        "seasonal_adjustment": "Seasonally Adjusted",
        "seasonal_adjustment_short": "SA",
    },
    "PAYEMS": {
        "title": "All Employees, Total Nonfarm",
        "frequency": "Monthly",
        "frequency_short": "M",
        "units": "Thousands of Persons",
        "units_short": "Thous. of Persons",
        "seasonal_adjustment": "Seasonally Adjusted",
        "seasonal_adjustment_short": "SA",
    },
    "FEDFUNDS": {
        "title": "Federal Funds Effective Rate",
        "frequency": "Monthly",
        "frequency_short": "M",
        "units": "Percent",
        "units_short": "%",
        "seasonal_adjustment": "Not Seasonally Adjusted",
        "seasonal_adjustment_short": "NSA",
    },
    "DGS3MO": {
        "title": "Market Yield on U.S. Treasury Securities at 3-Month Constant Maturity, "
        "Quoted on an Investment Basis",
        "frequency": "Daily",
        "frequency_short": "D",
        "units": "Percent",
        "units_short": "%",
        "seasonal_adjustment": "Not Seasonally Adjusted",
        "seasonal_adjustment_short": "NSA",
    },
    "DGS2": {
        "title": "Market Yield on U.S. Treasury Securities at 2-Year Constant Maturity, "
        "Quoted on an Investment Basis",
        "frequency": "Daily",
        "frequency_short": "D",
        "units": "Percent",
        "units_short": "%",
        "seasonal_adjustment": "Not Seasonally Adjusted",
        "seasonal_adjustment_short": "NSA",
    },
    "DGS10": {
        "title": "Market Yield on U.S. Treasury Securities at 10-Year Constant Maturity, "
        "Quoted on an Investment Basis",
        "frequency": "Daily",
        "frequency_short": "D",
        "units": "Percent",
        "units_short": "%",
        "seasonal_adjustment": "Not Seasonally Adjusted",
        "seasonal_adjustment_short": "NSA",
    },
    "T10Y2Y": {
        "title": "10-Year Treasury Constant Maturity Minus 2-Year Treasury Constant Maturity",
        "frequency": "Daily",
        "frequency_short": "D",
        "units": "Percent",
        "units_short": "%",
        "seasonal_adjustment": "Not Seasonally Adjusted",
        "seasonal_adjustment_short": "NSA",
    },
    "T10Y3M": {
        "title": "10-Year Treasury Constant Maturity Minus 3-Month Treasury Constant Maturity",
        "frequency": "Daily",
        "frequency_short": "D",
        "units": "Percent",
        "units_short": "%",
        "seasonal_adjustment": "Not Seasonally Adjusted",
        "seasonal_adjustment_short": "NSA",
    },
    "GDP": {
        "title": "Gross Domestic Product",
        "frequency": "Quarterly",
        "frequency_short": "Q",
        "units": "Billions of Dollars",
        "units_short": "Bil. of $",
        "seasonal_adjustment": "Seasonally Adjusted Annual Rate",
        "seasonal_adjustment_short": "SAAR",
    },
    "GDPC1": {
        "title": "Real Gross Domestic Product",
        "frequency": "Quarterly",
        "frequency_short": "Q",
        "units": "Billions of Chained 2017 Dollars",
        "units_short": "Bil. of Chn. 2017 $",
        "seasonal_adjustment": "Seasonally Adjusted Annual Rate",
        "seasonal_adjustment_short": "SAAR",
    },
    "INDPRO": {
        "title": "Industrial Production: Total Index",
        "frequency": "Monthly",
        "frequency_short": "M",
        "units": "Index 2017=100",
        "units_short": "Index 2017=100",
        "seasonal_adjustment": "Seasonally Adjusted",
        "seasonal_adjustment_short": "SA",
    },
    "UMCSENT": {
        "title": "University of Michigan: Consumer Sentiment",
        "frequency": "Monthly",
        "frequency_short": "M",
        "units": "Index 1966:Q1=100",
        "units_short": "Index 1966:Q1=100",
        "seasonal_adjustment": "Not Seasonally Adjusted",
        "seasonal_adjustment_short": "NSA",
    },
}
