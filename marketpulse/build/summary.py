"""The short report `make demo` ends with: what is in the marts and what to do next."""

from __future__ import annotations

from contextlib import closing
from typing import Any

from marketpulse.warehouse import Warehouse, hints

MARTS = ("dim_symbol", "dim_indicator", "dim_date", "fct_prices_daily", "fct_macro_observations")
MARTS += ("fct_macro_asof_daily", "fct_macro_lens_monthly", "fct_yield_curve_daily")
MARTS += ("fct_trends", "fct_news_sentiment", "fct_sentiment_daily", "fct_sentiment_divergence")
MARTS += ("fct_prices_weekly", "fct_data_quality")
MARTS += ("fct_pipeline_runs", "fct_pipeline_loads", "fct_pipeline_failures")  # run audit
DATE_COLUMNS = {"fct_prices_daily": "trading_date", "fct_macro_observations": "observation_date"}
DATE_COLUMNS |= {"fct_prices_weekly": "week_start_date"}
DATE_COLUMNS |= {
    "fct_macro_asof_daily": "trading_date",
    "fct_macro_lens_monthly": "month_end_date",
    "fct_yield_curve_daily": "trading_date",
}
DATE_COLUMNS |= {
    "fct_trends": "observed_date",
    "fct_news_sentiment": "published_at",
    "fct_sentiment_daily": "published_date",
    "fct_sentiment_divergence": "trading_date",
}
MARTS += (  # risk and rotation (issue 3)
    "fct_risk_metrics",
    "fct_rolling_risk",
    "fct_drawdowns",
    "fct_drawdown_episodes",
    "fct_sector_rotation",
)
DATE_COLUMNS |= {
    "fct_risk_metrics": "as_of_date",
    "fct_rolling_risk": "trading_date",
    "fct_drawdowns": "trading_date",
    "fct_drawdown_episodes": "peak_date",
    "fct_sector_rotation": "trading_date",
}
MARTS += ("fct_technical_indicators",)
DATE_COLUMNS |= {"fct_technical_indicators": "trading_date"}
MARTS += ("fct_prices_intraday", "fct_intraday_snapshot")
DATE_COLUMNS |= {"fct_prices_intraday": "session_date", "fct_intraday_snapshot": "session_date"}
MARTS += (  # portfolios (issue 8)
    "dim_portfolio",
    "fct_portfolio_holdings_daily",
    "fct_portfolio_performance_daily",
    "fct_portfolio_risk",
)
DATE_COLUMNS |= {
    "dim_portfolio": "inception_date",
    "fct_portfolio_holdings_daily": "trading_date",
    "fct_portfolio_performance_daily": "trading_date",
    "fct_portfolio_risk": "as_of_date",
}
MARTS += ("fct_optimization_results", "fct_optimization_weights")  # issue 8
MARTS += ("fct_forecasts", "fct_forecast_accuracy", "fct_market_regimes")  # issue 21
DATE_COLUMNS |= {"fct_forecasts": "as_of_date", "fct_market_regimes": "trading_date"}


def mart_stats(warehouse: Warehouse) -> dict[str, dict[str, Any]]:
    """Rows, and date range where the mart has one, for every mart."""
    stats: dict[str, dict[str, Any]] = {}
    with closing(warehouse.connect()) as connection:
        cursor = connection.cursor()
        for mart in MARTS:
            column = DATE_COLUMNS.get(mart)
            select = f"count(*), min({column}), max({column})" if column else "count(*), null, null"
            cursor.execute(f"select {select} from marts.{mart}")  # names from the constant above
            rows, first, last = cursor.fetchone()
            stats[mart] = {"rows": rows, "first": first, "last": last}
    return stats


def print_summary(warehouse: Warehouse) -> None:
    stats = mart_stats(warehouse)
    print()
    print("marketpulse demo: marts built")
    for mart, row in stats.items():
        span = f"  {row['first']} .. {row['last']}" if row["first"] else ""
        print(f"  marts.{mart:<24} {row['rows']:>9,} rows{span}")
    print()
    print(f"warehouse: {warehouse.describe()}")
    print("next:")
    for line in hints.next_steps(warehouse):
        print(f"  {line}")
    print()
    print(
        f"open the dashboard:  {hints.make(warehouse, 'dashboard')}   then browse http://localhost:8501"
    )
