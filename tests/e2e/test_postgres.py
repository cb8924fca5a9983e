"""The same project on PostgreSQL: the sample data through dlt, `dbt build` green, and every
mart equal to the DuckDB build (row for row; numbers within 1e-9 relative)."""

from __future__ import annotations

import math

from marketpulse.warehouse import Warehouse
from tests.sample_warehouses import FORECAST_MARTS, MARTS, OPS_MARTS, Demo, mart_counts, query

KEYS = {
    "dim_symbol": "symbol",
    "dim_indicator": "indicator_id",
    "dim_date": "date_day",
    "fct_prices_daily": "symbol, trading_date",
    "fct_prices_weekly": "symbol, week_start_date",
    "fct_macro_observations": "indicator_id, observation_date, realtime_start",
    "fct_macro_asof_daily": "indicator_id, trading_date",
    "fct_macro_lens_monthly": "month_end_date",
    "fct_yield_curve_daily": "trading_date",
    "fct_technical_indicators": "symbol, trading_date",
    "fct_data_quality": "entity_type, entity_id, window_name",
    "fct_risk_metrics": "symbol, window_name, as_of_date",
    "fct_rolling_risk": "symbol, trading_date",
    "fct_drawdowns": "symbol, trading_date",
    "fct_drawdown_episodes": "symbol, peak_date",
    "fct_sector_rotation": "symbol, trading_date",
    "fct_prices_intraday": "symbol, bar_start_at",
    "fct_intraday_snapshot": "symbol",
}
KEYS |= {
    "fct_trends": "keyword, geo, observed_date",
    "fct_news_sentiment": "symbol, article_id",
    "fct_sentiment_daily": "symbol, published_date",
    "fct_sentiment_divergence": "symbol, trading_date",
}
KEYS |= {  # portfolios (issue 8)
    "dim_portfolio": "portfolio_id",
    "fct_portfolio_holdings_daily": "portfolio_id, trading_date, symbol",
    "fct_portfolio_performance_daily": "portfolio_id, trading_date",
    "fct_portfolio_risk": "portfolio_id, window_name, as_of_date",
}
# Columns that differ between the two builds by design (when each ingest ran).
COLUMNS = {"fct_trends": "keyword, geo, observed_date, interest_score, is_partial"}
# The demo's optimization: run ids and times differ; weights are compared in long form.
KEYS |= {
    "fct_optimization_results": "portfolio_id, method, point_index",
    "fct_optimization_weights": "portfolio_id, method, point_index, symbol",
}
COLUMNS |= {
    "fct_optimization_results": "portfolio_id, method, point_index, expected_return, volatility, "
    "sharpe_ratio, risk_free_rate, lookback_start_date, lookback_end_date, n_observations",
    "fct_optimization_weights": "portfolio_id, method, point_index, symbol, weight",
}

KEYS |= {  # forecasts and regimes (issue 21): compared in tests/e2e/test_forecasts.py
    "fct_forecasts": "symbol, as_of_date, horizon, target, model",
    "fct_forecast_accuracy": "model, horizon, target",
    "fct_market_regimes": "symbol, trading_date",
}
# The demo's backtests (issue 21): run ids, times and the version differ.
KEYS |= {
    "fct_backtest_results": "strategy",
    "fct_backtest_equity_daily": "strategy, trading_date",
}
COLUMNS |= {
    "fct_backtest_results": (
        "strategy, kind, parameters, symbols, is_benchmark, benchmark_symbol, start_date, "
        "end_date, initial_capital, fee_bps, slippage_bps, final_equity, total_return, "
        "annual_return, annual_volatility, sharpe_ratio, sortino_ratio, max_drawdown, "
        "calmar_ratio, var_95, cvar_95, skewness, kurtosis, beta, correlation, "
        "risk_free_coverage, average_exposure, benchmark_total_return, benchmark_annual_return, "
        "benchmark_sharpe_ratio, benchmark_max_drawdown, n_sessions, n_fills, annual_turnover, "
        "excess_annual_return"
    ),
    "fct_backtest_equity_daily": (
        "strategy, trading_date, equity, daily_return, exposure, turnover, benchmark_equity, "
        "orders, cumulative_return, drawdown, benchmark_cumulative_return"
    ),
}


def test_postgres_build_has_the_same_row_counts(
    demo_postgres: Warehouse, demo_duckdb: Demo
) -> None:
    assert mart_counts(demo_postgres) == mart_counts(demo_duckdb.warehouse)


def test_every_mart_value_equals_the_duckdb_build(
    demo_postgres: Warehouse, demo_duckdb: Demo
) -> None:
    # run records differ; the forecasts: tests/e2e/test_forecasts.py
    for mart in (mart for mart in MARTS if mart not in OPS_MARTS + FORECAST_MARTS):
        sql = f"select {COLUMNS.get(mart, '*')} from marts.{mart} order by {KEYS[mart]}"
        pg_rows, duck_rows = query(demo_postgres, sql), query(demo_duckdb.warehouse, sql)
        assert len(pg_rows) == len(duck_rows), mart
        # A difference of two large values (MACD near a crossing) carries their absolute
        # rounding error: the floor is 1e-12 of the column's largest magnitude.
        scales = [
            max((abs(row[i]) for row in duck_rows if isinstance(row[i], float)), default=0.0)
            for i in range(len(duck_rows[0]) if duck_rows else 0)
        ]
        for pg_row, duck_row in zip(pg_rows, duck_rows, strict=True):
            for i, (pg_value, duck_value) in enumerate(zip(pg_row, duck_row, strict=True)):
                if isinstance(pg_value, float) or isinstance(duck_value, float):
                    floor = max(1e-12, 1e-12 * scales[i])
                    assert math.isclose(pg_value, duck_value, rel_tol=1e-9, abs_tol=floor), (
                        mart,
                        pg_row,
                    )
                else:
                    assert pg_value == duck_value, (mart, pg_row, duck_row)


def test_postgres_schemas_are_exactly_named(demo_postgres: Warehouse) -> None:
    schemas = {
        row[0]
        for row in query(demo_postgres, "select schema_name from information_schema.schemata")
    }
    assert {"raw_yahoo", "raw_fred", "staging", "intermediate", "marts"} <= schemas


def test_prices_are_double_precision_in_postgres(demo_postgres: Warehouse) -> None:
    types = dict(
        query(
            demo_postgres,
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'marts' and table_name = 'fct_prices_daily'",
        )
    )
    for column in ("open", "high", "low", "close", "adj_factor", "adj_close"):
        assert types[column] == "double precision", column
