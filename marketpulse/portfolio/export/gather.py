"""Read one portfolio from the marts into a PortfolioDocument: read-only, one short connection.

Only marts are read (ADR 0013): dim_portfolio, fct_portfolio_holdings_daily,
fct_portfolio_performance_daily, fct_portfolio_risk, fct_optimization_results, and
fct_prices_daily for the holdings' prices and split ratios.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from datetime import UTC, date, datetime
from typing import Any

from marketpulse.errors import one_line
from marketpulse.portfolio.export.document import (
    METHOD_ORDER,
    WINDOW_ORDER,
    Holding,
    OptimizationPoint,
    PerformanceRow,
    PortfolioDocument,
    PortfolioInfo,
    Position,
    PriceRow,
    RiskRow,
)
from marketpulse.warehouse import Session, Warehouse

SCHEMA = "marts"
# Rounds a quantity or cost basis un-split back to the imported one (300 x 7 / 7 may not be
# 300.0 exactly; the marts round split factors to 12 decimals).
DECIMALS = 8


class ExportError(Exception):
    """A user-caused problem (unknown portfolio, no marts): one line, exit 2, nothing written."""


def read_document(warehouse: Warehouse, portfolio_id: str) -> PortfolioDocument:
    with ExitStack() as stack:
        try:
            session = stack.enter_context(warehouse.session(read_only=True))
        except Exception as exc:  # duckdb: no file / locked; psycopg2: unreachable
            if warehouse.exists() and warehouse.is_unreachable(exc):  # refused: say so only
                raise ExportError(
                    f"cannot {warehouse.connect_verb} {warehouse.describe()}: {one_line(exc)}"
                ) from exc
            raise ExportError(
                f"cannot read the warehouse {warehouse.describe()} ({one_line(exc)}); "
                "run `make demo` or `make build` first"
            ) from exc
        return _Reader(session).document(portfolio_id)


class _Reader:
    def __init__(self, session: Session) -> None:
        self.session = session

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        try:
            return self.session.records(sql, params)
        except Exception as exc:  # a missing schema, table or column
            raise ExportError(
                f"the portfolio marts are missing or out of date ({one_line(exc)}); "
                "run `make demo` or `make build` first"
            ) from exc

    def document(self, portfolio_id: str) -> PortfolioDocument:
        portfolios = self.rows(
            f"select portfolio_id, portfolio_name, base_currency, inception_date,"
            f" latest_as_of_date, holding_count, weighting, benchmark_symbol"
            f" from {SCHEMA}.dim_portfolio order by portfolio_id"
        )
        if not portfolios:
            raise ExportError(
                "no portfolio in the marts; import one (`make import-portfolio FILE=...`) and run "
                "`make build`, or run `make demo` for the sample portfolios"
            )
        found = [row for row in portfolios if row["portfolio_id"] == portfolio_id]
        if not found:
            known = ", ".join(row["portfolio_id"] for row in portfolios)
            raise ExportError(f"unknown portfolio {portfolio_id!r}; known: {known}")
        dim = found[0]
        performance = self.performance(portfolio_id)
        if not performance:
            raise ExportError(
                f"portfolio {portfolio_id!r} has no valued sessions in "
                "fct_portfolio_performance_daily; run `make build` (prices must cover its "
                "as-of dates)"
            )
        info = PortfolioInfo(
            portfolio_id=dim["portfolio_id"],
            portfolio_name=dim["portfolio_name"],
            base_currency=dim["base_currency"],
            inception_date=_date(dim["inception_date"]),
            latest_as_of_date=_date(dim["latest_as_of_date"]),
            holding_count=int(dim["holding_count"]),
            weighting=dim["weighting"],
            benchmark_symbol=dim["benchmark_symbol"],
            first_trading_date=performance[0].trading_date,
            last_trading_date=performance[-1].trading_date,
        )
        positions_date, positions = self.positions(portfolio_id)
        return PortfolioDocument(
            info=info,
            holdings=self.holdings(info),
            positions=positions,
            positions_date=positions_date,
            performance=performance,
            risk=self.risk(portfolio_id),
            prices=self.prices(portfolio_id, info),
            optimization=self.optimization(portfolio_id),
        )

    def holdings(self, info: PortfolioInfo) -> tuple[Holding, ...]:
        """The latest snapshot as imported, from its first session's rows.

        The mart carries quantities and cost bases through splits after the snapshot's date; a
        split taking effect on the first session (a snapshot dated on a non-session) is undone
        here with that session's split_ratio. A weights-only portfolio's quantities are bought by the
        mart, not imported, so they are left out.
        """
        rows = self.rows(
            f"""
            with snapshot as (
                select max(snapshot_as_of_date) as snapshot_as_of_date
                from {SCHEMA}.fct_portfolio_holdings_daily
                where portfolio_id = :portfolio_id
            ),
            first_session as (
                select
                    holdings.snapshot_as_of_date,
                    min(holdings.trading_date) as trading_date
                from {SCHEMA}.fct_portfolio_holdings_daily as holdings
                inner join snapshot
                    on holdings.snapshot_as_of_date = snapshot.snapshot_as_of_date
                where holdings.portfolio_id = :portfolio_id
                group by holdings.snapshot_as_of_date
            )
            select
                holdings.symbol,
                holdings.snapshot_as_of_date,
                holdings.trading_date,
                holdings.quantity,
                holdings.target_weight,
                holdings.cost_basis,
                prices.split_ratio
            from {SCHEMA}.fct_portfolio_holdings_daily as holdings
            inner join first_session
                on holdings.snapshot_as_of_date = first_session.snapshot_as_of_date
                and holdings.trading_date = first_session.trading_date
            left join {SCHEMA}.fct_prices_daily as prices
                on holdings.symbol = prices.symbol
                and holdings.trading_date = prices.trading_date
            where holdings.portfolio_id = :portfolio_id
            order by holdings.symbol
            """,
            {"portfolio_id": info.portfolio_id},
        )
        imported_quantities = info.weighting == "quantity"
        holdings = []
        for row in rows:
            quantity = _float(row["quantity"]) if imported_quantities else None
            cost_basis = _float(row["cost_basis"])
            as_of_date = _date(row["snapshot_as_of_date"])
            split_ratio = _float(row["split_ratio"])
            if (
                imported_quantities
                and split_ratio not in (None, 1.0)
                and _date(row["trading_date"]) > as_of_date
            ):
                quantity = None if quantity is None else round(quantity / split_ratio, DECIMALS)
                cost_basis = (
                    None if cost_basis is None else round(cost_basis * split_ratio, DECIMALS)
                )
            holdings.append(
                Holding(
                    portfolio_name=info.portfolio_name,
                    symbol=row["symbol"],
                    quantity=quantity,
                    target_weight=_float(row["target_weight"]),
                    cost_basis=cost_basis,
                    as_of_date=as_of_date,
                    base_currency=info.base_currency,
                )
            )
        return tuple(holdings)

    def positions(self, portfolio_id: str) -> tuple[date | None, tuple[Position, ...]]:
        rows = self.rows(
            f"""
            select
                trading_date, symbol, quantity, close, market_value, weight,
                target_weight, weight_drift, cost_basis, unrealized_pnl
            from {SCHEMA}.fct_portfolio_holdings_daily
            where portfolio_id = :portfolio_id
                and trading_date = (
                    select max(trading_date) from {SCHEMA}.fct_portfolio_holdings_daily
                    where portfolio_id = :portfolio_id
                )
            order by market_value desc, symbol
            """,
            {"portfolio_id": portfolio_id},
        )
        positions = tuple(
            Position(
                symbol=row["symbol"],
                **{
                    name: _float(row[name])
                    for name in (
                        "quantity",
                        "close",
                        "market_value",
                        "weight",
                        "target_weight",
                        "weight_drift",
                        "cost_basis",
                        "unrealized_pnl",
                    )
                },
            )
            for row in rows
        )
        return (_date(rows[0]["trading_date"]) if rows else None), positions

    def performance(self, portfolio_id: str) -> tuple[PerformanceRow, ...]:
        rows = self.rows(
            f"""
            select
                trading_date, market_value, daily_return, cumulative_return,
                benchmark_return, benchmark_cumulative_return, active_return
            from {SCHEMA}.fct_portfolio_performance_daily
            where portfolio_id = :portfolio_id
            order by trading_date
            """,
            {"portfolio_id": portfolio_id},
        )
        return tuple(
            PerformanceRow(
                trading_date=_date(row.pop("trading_date")),
                **{name: _float(value) for name, value in row.items()},
            )
            for row in rows
        )

    def risk(self, portfolio_id: str) -> tuple[RiskRow, ...]:
        rows = self.rows(
            f"""
            select
                window_name, as_of_date, n_observations, annual_return, annual_volatility,
                sharpe_ratio, sortino_ratio, max_drawdown, calmar_ratio, var_95, cvar_95,
                skewness, kurtosis, beta, correlation, benchmark_symbol
            from {SCHEMA}.fct_portfolio_risk
            where portfolio_id = :portfolio_id
                and as_of_date = (
                    select max(as_of_date) from {SCHEMA}.fct_portfolio_risk
                    where portfolio_id = :portfolio_id
                )
            """,
            {"portfolio_id": portfolio_id},
        )
        risk = [
            RiskRow(
                window_name=row["window_name"],
                as_of_date=_date(row["as_of_date"]),
                n_observations=_int(row["n_observations"]),
                benchmark_symbol=row["benchmark_symbol"],
                **{
                    name: _float(value)
                    for name, value in row.items()
                    if name not in ("window_name", "as_of_date", "n_observations")
                    and name != "benchmark_symbol"
                },
            )
            for row in rows
        ]
        return tuple(sorted(risk, key=lambda row: _rank(WINDOW_ORDER, row.window_name)))

    def prices(self, portfolio_id: str, info: PortfolioInfo) -> tuple[PriceRow, ...]:
        """Daily close and adj_close of every symbol the portfolio held, over its valued life."""
        rows = self.rows(
            f"""
            with held as (
                select distinct symbol
                from {SCHEMA}.fct_portfolio_holdings_daily
                where portfolio_id = :portfolio_id
            )
            select prices.trading_date, prices.symbol, prices.close, prices.adj_close
            from {SCHEMA}.fct_prices_daily as prices
            inner join held on prices.symbol = held.symbol
            where prices.trading_date between :first_date and :last_date
            order by prices.trading_date, prices.symbol
            """,
            {
                "portfolio_id": portfolio_id,
                "first_date": info.first_trading_date,
                "last_date": info.last_trading_date,
            },
        )
        return tuple(
            PriceRow(
                trading_date=_date(row["trading_date"]),
                symbol=row["symbol"],
                close=_float(row["close"]),
                adj_close=_float(row["adj_close"]),
            )
            for row in rows
        )

    def optimization(self, portfolio_id: str) -> tuple[OptimizationPoint, ...]:
        rows = self.rows(
            f"""
            select
                run_id, method, point_index, expected_return, volatility, sharpe_ratio,
                weights, risk_free_rate, lookback_start_date, lookback_end_date,
                n_observations, max_weight, is_long_only, created_at
            from {SCHEMA}.fct_optimization_results
            where portfolio_id = :portfolio_id and is_latest_run
            order by method, point_index
            """,
            {"portfolio_id": portfolio_id},
        )
        points = [
            OptimizationPoint(
                run_id=str(row["run_id"]),
                method=row["method"],
                point_index=int(row["point_index"]),
                expected_return=_float(row["expected_return"]),
                volatility=_float(row["volatility"]),
                sharpe_ratio=_float(row["sharpe_ratio"]),
                risk_free_rate=_float(row["risk_free_rate"]),
                lookback_start_date=_date_or_none(row["lookback_start_date"]),
                lookback_end_date=_date_or_none(row["lookback_end_date"]),
                n_observations=_int(row["n_observations"]),
                max_weight=_float(row["max_weight"]),
                is_long_only=None if row["is_long_only"] is None else bool(row["is_long_only"]),
                created_at=_utc(row["created_at"]),
                weights=_weights(row["weights"]),
            )
            for row in rows
        ]
        return tuple(
            sorted(points, key=lambda point: (_rank(METHOD_ORDER, point.method), point.point_index))
        )


def _rank(order: Sequence[str], name: str) -> int:
    return order.index(name) if name in order else len(order)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _date_or_none(value: Any) -> date | None:
    return None if value is None else _date(value)


def _utc(value: Any) -> datetime | None:
    """A timestamp as naive UTC (Excel has no time zones; the column is UTC by convention)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _weights(value: Any) -> dict[str, float]:
    if value is None:
        return {}
    parsed = value if isinstance(value, dict) else json.loads(value)
    return {str(symbol): float(weight) for symbol, weight in parsed.items()}
