"""A small hand-made PortfolioDocument: the writers' tests need no warehouse."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from marketpulse.portfolio.export.document import (
    Holding,
    OptimizationPoint,
    PerformanceRow,
    PortfolioDocument,
    PortfolioInfo,
    Position,
    PriceRow,
    RiskRow,
)

NAME = "Hand Made & Co"
SESSIONS = 300


def sessions(start: date, count: int) -> list[date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def document(with_optimization: bool = True) -> PortfolioDocument:
    days = sessions(date(2020, 1, 2), SESSIONS)
    performance = []
    for index, day in enumerate(days):
        cumulative = 0.25 * index / SESSIONS + 0.05 * math.sin(index / 15)
        benchmark = 0.15 * index / SESSIONS + 0.04 * math.sin(index / 20)
        performance.append(
            PerformanceRow(
                trading_date=day,
                market_value=100_000.0 * (1 + cumulative),
                daily_return=None if index == 0 else 0.001,
                cumulative_return=cumulative,
                benchmark_return=None if index == 0 else 0.0005,
                benchmark_cumulative_return=benchmark,
                active_return=None if index == 0 else 0.0005,
            )
        )
    info = PortfolioInfo(
        portfolio_id="hand-made-co",
        portfolio_name=NAME,
        base_currency="USD",
        inception_date=date(2020, 1, 1),
        latest_as_of_date=date(2020, 6, 1),
        holding_count=3,
        weighting="quantity",
        benchmark_symbol="SPY",
        first_trading_date=days[0],
        last_trading_date=days[-1],
    )
    holdings = (
        Holding(NAME, "AAPL", 10.0, 0.5, 120.5, date(2020, 6, 1), "USD"),
        Holding(NAME, "BRK-B", 2.5, 0.3, None, date(2020, 6, 1), "USD"),
        Holding(NAME, "MSFT", 7.0, 0.2, 0.0, date(2020, 6, 1), "USD"),
    )
    positions = (
        Position("AAPL", 10.0, 130.25, 1302.5, 0.5, 0.5, 0.0, 120.5, 97.5),
        Position("BRK-B", 2.5, 250.0, 625.0, 0.3, 0.3, 0.0, None, None),
        Position("MSFT", 7.0, 100.0, 700.0, 0.2, 0.2, float("nan"), 0.0, 700.0),
    )
    prices = tuple(
        PriceRow(day, symbol, 100.0 + index, 99.0 + index)
        for index, day in enumerate(days[:5])
        for symbol in ("AAPL", "MSFT")
    )
    risk = tuple(
        RiskRow(
            window,
            days[-1],
            n,
            0.12,
            0.18,
            0.9,
            1.3,
            -0.21,
            0.57,
            -0.017,
            -0.025,
            -0.3,
            2.1,
            0.95,
            0.88,
            "SPY",
        )
        for window, n in (("1y", 252), ("full", SESSIONS - 1))
    )
    created = datetime(2021, 3, 1, 12, 30, 0)
    optimization: tuple[OptimizationPoint, ...] = ()
    if with_optimization:
        common = dict(
            run_id="run-1",
            risk_free_rate=0.015,
            lookback_start_date=days[0],
            lookback_end_date=days[-1],
            n_observations=SESSIONS - 1,
            max_weight=0.6,
            is_long_only=True,
            created_at=created,
        )
        frontier = tuple(
            OptimizationPoint(
                method="frontier",
                point_index=i,
                expected_return=0.08 + 0.01 * i,
                volatility=0.14 + 0.002 * i * i,
                sharpe_ratio=0.5 + 0.02 * i,
                weights={"AAPL": 0.1 * i, "MSFT": 1 - 0.1 * i},
                **common,
            )
            for i in range(6)
        )
        optimization = (
            OptimizationPoint(
                method="current",
                point_index=0,
                expected_return=0.10,
                volatility=0.17,
                sharpe_ratio=0.5,
                weights={"AAPL": 0.5, "BRK-B": 0.3, "MSFT": 0.2},
                **common,
            ),
            OptimizationPoint(
                method="max_sharpe",
                point_index=0,
                expected_return=0.12,
                volatility=0.16,
                sharpe_ratio=0.66,
                weights={"AAPL": 0.6, "MSFT": 0.4},
                **common,
            ),
            OptimizationPoint(
                method="min_volatility",
                point_index=0,
                expected_return=0.08,
                volatility=0.14,
                sharpe_ratio=0.46,
                weights={"AAPL": 0.2, "MSFT": 0.8},
                **common,
            ),
            *frontier,
        )
    return PortfolioDocument(
        info=info,
        holdings=holdings,
        positions=positions,
        positions_date=days[-1],
        performance=tuple(performance),
        risk=risk,
        prices=prices,
        optimization=optimization,
    )
