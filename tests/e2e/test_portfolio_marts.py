"""The portfolio marts of the demo build (the sample portfolios of
sample_data/portfolio/sample_portfolios.csv), on DuckDB and on Postgres, against references
that never read our portfolio models:

- a day-by-day simulation in pandas of the holdings from the sample CSV and
  marts.fct_prices_daily on the NYSE sessions of exchange_calendars (XNYS): splits, the
  weights-only purchase, snapshot changes, previous-close weights x adj_close returns;
- empyrical (tests/e2e/risk_reference.py) on the simulated daily returns for fct_portfolio_risk;
- rows checked by hand from the sample's closes.

Tolerance: 1e-9 relative (absolute floor 1e-12), as in test_risk_reference.py."""

from __future__ import annotations

import csv
import math
import re
import shutil
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import exchange_calendars
import pandas as pd
import pytest

from marketpulse.build.dbt import run_dbt
from marketpulse.warehouse import Warehouse
from tests.conftest import ROOT
from tests.e2e import risk_reference as reference
from tests.sample_warehouses import Demo, query

SAMPLE = ROOT / "sample_data" / "portfolio" / "sample_portfolios.csv"
NOTIONAL = 1_000_000.0
MARTS = {
    "dim_portfolio": ["portfolio_id"],
    "fct_portfolio_holdings_daily": ["portfolio_id", "trading_date", "symbol"],
    "fct_portfolio_performance_daily": ["portfolio_id", "trading_date"],
    "fct_portfolio_risk": ["portfolio_id", "window_name"],
}
GROWTH, SECTOR = "sample-growth-income", "sample-sector-model"


# --- the independent reference -------------------------------------------------------------


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def number(text: str | None) -> float | None:
    return float(text) if text and text.strip() else None


def read_snapshots(path: Path) -> dict[str, dict[date, list[dict[str, Any]]]]:
    """portfolio_id -> as_of_date -> rows, straight from a holdings CSV."""
    portfolios: dict[str, dict[date, list[dict[str, Any]]]] = {}
    with path.open(encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            snapshot = portfolios.setdefault(slug(row["portfolio_name"]), {}).setdefault(
                date.fromisoformat(row["as_of_date"]), []
            )
            snapshot.append(
                {
                    "symbol": row["symbol"].strip().upper(),
                    "quantity": number(row["quantity"]),
                    "target_weight": number(row["target_weight"]),
                    "cost_basis": number(row["cost_basis"]),
                }
            )
    return portfolios


@dataclass
class Prices:
    close: pd.DataFrame
    adj_close: pd.DataFrame
    split_ratio: pd.DataFrame
    sessions: pd.DatetimeIndex = field(init=False)

    def __post_init__(self) -> None:
        first, last = self.close.index.min(), self.close.index.max()
        calendar = exchange_calendars.get_calendar("XNYS", start=first, end=last)
        self.sessions = pd.DatetimeIndex(calendar.sessions_in_range(first, last).tz_localize(None))


def read_prices(warehouse: Warehouse) -> Prices:
    rows = query(
        warehouse,
        "select symbol, trading_date, close, adj_close, split_ratio from marts.fct_prices_daily",
    )
    frame = pd.DataFrame(rows, columns=["symbol", "trading_date", "close", "adj_close", "split"])
    frame["trading_date"] = pd.to_datetime(frame["trading_date"])

    def pivot(column: str) -> pd.DataFrame:
        return frame.pivot(index="trading_date", columns="symbol", values=column).sort_index()

    return Prices(pivot("close"), pivot("adj_close"), pivot("split"))


@dataclass
class Position:
    quantity: float
    target_weight: float | None
    cost: float | None  # total cost: quantity x cost per share, unchanged by splits


def simulate(
    portfolio_id: str, snapshots: dict[date, list[dict[str, Any]]], prices: Prices
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Walk the sessions one by one: splits at the open, snapshots dated up to the session
    applied in order at its close, then the positions valued. Returns holdings and
    performance rows."""
    pending = sorted(snapshots)
    first = prices.sessions[prices.sessions >= pd.Timestamp(pending[0])][0]
    held: dict[str, Position] = {}
    snapshot_date: date | None = None
    previous: dict[str, float] = {}  # weights at the previous close
    previous_session: pd.Timestamp | None = None
    holdings, performance = [], []
    cumulative = 1.0
    for session in prices.sessions[prices.sessions >= first]:
        close = prices.close.loc[session]
        adj = prices.adj_close.loc[session]
        for symbol, position in held.items():  # a split with ex-date today: more shares
            position.quantity *= prices.split_ratio.loc[session, symbol]
        while pending and pd.Timestamp(pending[0]) <= session:
            snapshot_date = pending.pop(0)
            rows = snapshots[snapshot_date]
            if rows[0]["quantity"] is None:  # weights only: bought at today's close
                value = sum(p.quantity * close[s] for s, p in held.items()) if held else NOTIONAL
                held = {
                    row["symbol"]: Position(
                        row["target_weight"] * value / close[row["symbol"]],
                        row["target_weight"],
                        None,
                    )
                    for row in rows
                }
            else:  # shares as of snapshot_date: a split today, after that date, applies
                held = {}
                for row in rows:
                    cost = (
                        None if row["cost_basis"] is None else row["quantity"] * row["cost_basis"]
                    )
                    quantity = row["quantity"]
                    if session > pd.Timestamp(snapshot_date):
                        quantity *= prices.split_ratio.loc[session, row["symbol"]]
                    held[row["symbol"]] = Position(quantity, row["target_weight"], cost)
        daily_return = None
        if previous_session is not None:
            before = prices.adj_close.loc[previous_session]
            daily_return = sum(w * (adj[s] / before[s] - 1) for s, w in previous.items())
            cumulative *= 1 + daily_return
        values = {symbol: p.quantity * close[symbol] for symbol, p in held.items()}
        total = sum(values.values())
        weights = {symbol: value / total for symbol, value in values.items()}
        for symbol, position in held.items():
            cost_basis = None if position.cost is None else position.cost / position.quantity
            target = position.target_weight
            holdings.append(
                {
                    "portfolio_id": portfolio_id,
                    "trading_date": session.date(),
                    "symbol": symbol,
                    "snapshot_as_of_date": snapshot_date,
                    "quantity": position.quantity,
                    "close": close[symbol],
                    "adj_close": adj[symbol],
                    "market_value": values[symbol],
                    "weight": weights[symbol],
                    "target_weight": target,
                    "weight_drift": None if target is None else weights[symbol] - target,
                    "cost_basis": cost_basis,
                    "unrealized_pnl": None
                    if position.cost is None
                    else values[symbol] - position.cost,
                }
            )
        performance.append(
            {
                "portfolio_id": portfolio_id,
                "trading_date": session.date(),
                "market_value": total,
                "daily_return": daily_return,
                "cumulative_return": cumulative - 1,
            }
        )
        previous, previous_session = weights, session
    return holdings, performance


def expected_marts(warehouse: Warehouse, path: Path = SAMPLE) -> dict[str, pd.DataFrame]:
    """The four portfolio marts as the reference computes them, indexed like MARTS."""
    prices = read_prices(warehouse)
    benchmark = prices.adj_close[reference.BENCHMARK].dropna().pct_change()
    risk_free = reference.risk_free_daily(warehouse, prices.sessions)
    holdings, performance, risk, dims = [], [], [], []
    for portfolio_id, snapshots in read_snapshots(path).items():
        held, days = simulate(portfolio_id, snapshots, prices)
        holdings += held
        frame = pd.DataFrame(days).set_index("trading_date")
        returns = frame["daily_return"].astype(float)
        bench = benchmark.reindex(pd.to_datetime(frame.index)).to_numpy(copy=True)
        bench[0] = math.nan  # the portfolio's first session has no return
        frame["benchmark_return"] = bench
        frame["benchmark_cumulative_return"] = (
            1 + frame["benchmark_return"].fillna(0)
        ).cumprod() - 1
        frame["active_return"] = returns - frame["benchmark_return"]
        performance.append(frame.reset_index())
        series = returns.dropna()
        series.index = pd.to_datetime(series.index)
        for window, row in reference.window_metrics(series, benchmark.dropna(), risk_free).items():
            risk.append({"portfolio_id": portfolio_id, "window_name": window, **row})
        latest = max(snapshots)
        dims.append(
            {
                "portfolio_id": portfolio_id,
                "inception_date": min(snapshots),
                "latest_as_of_date": latest,
                "holding_count": len(snapshots[latest]),
                "weighting": "target_weight"
                if snapshots[latest][0]["quantity"] is None
                else "quantity",
                "benchmark_symbol": reference.BENCHMARK,
            }
        )
    frames = {
        "dim_portfolio": pd.DataFrame(dims),
        "fct_portfolio_holdings_daily": pd.DataFrame(holdings),
        "fct_portfolio_performance_daily": pd.concat(performance),
        "fct_portfolio_risk": pd.DataFrame(risk),
    }
    return {name: frames[name].set_index(keys).sort_index() for name, keys in MARTS.items()}


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, runs_dbt: None) -> Warehouse:
    if request.param == "duckdb":
        demo: Demo = request.getfixturevalue("demo_duckdb")
        return demo.warehouse
    return request.getfixturevalue("demo_postgres")


def mart(warehouse: Warehouse, name: str) -> pd.DataFrame:
    return reference.mart(warehouse, name, MARTS[name])


def execute(warehouse: Warehouse, sql: str) -> None:
    with closing(warehouse.connect(read_only=False)) as connection:
        connection.cursor().execute(sql)


def copy_of_demo(demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    """A private copy of the demo warehouse, with dbt's target and logs in tmp_path."""
    path = tmp_path / "copy.duckdb"
    shutil.copy(demo.warehouse.duckdb_path, path)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    return Warehouse.from_env({"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(path)})


# --- (a) risk = empyrical on the independently computed returns ----------------------------


def test_portfolio_risk_equals_empyrical(warehouse: Warehouse) -> None:
    expected = expected_marts(warehouse)["fct_portfolio_risk"]
    actual = mart(warehouse, "fct_portfolio_risk")
    # Sample prices end 2018-12-31: growth & income has 753 returns (1y, full), the sector
    # model 1005 (1y, 3y, full).
    assert list(actual.index) == [
        (GROWTH, "1y"),
        (GROWTH, "full"),
        (SECTOR, "1y"),
        (SECTOR, "3y"),
        (SECTOR, "full"),
    ]
    assert actual.loc[(GROWTH, "full"), "n_observations"] == 753
    assert reference.mismatches(actual, expected) == []


def test_portfolio_risk_has_the_columns_of_fct_risk_metrics(warehouse: Warehouse) -> None:
    def columns(table: str) -> list[tuple[str, str]]:
        return query(
            warehouse,
            "select column_name, data_type from information_schema.columns"
            f" where table_schema = 'marts' and table_name = '{table}' order by ordinal_position",
        )

    risk, portfolio = columns("fct_risk_metrics"), columns("fct_portfolio_risk")
    assert portfolio[0][0] == "portfolio_id" and risk[0][0] == "symbol"
    assert portfolio[1:] == risk[1:]


# --- (b) holdings checked by hand ----------------------------------------------------------


def test_holdings_by_hand(warehouse: Warehouse) -> None:
    holdings = mart(warehouse, "fct_portfolio_holdings_daily")

    def row(portfolio: str, day: str, symbol: str) -> pd.Series:
        return holdings.loc[(portfolio, date.fromisoformat(day), symbol)]

    # Growth & income, 2016-01-04 (its first snapshot and session): 300 AAPL x 86.5272 ...
    values = {
        "AAPL": 300 * 86.5272,  # 25,958.16
        "MSFT": 400 * 65.3976,  # 26,159.04
        "JPM": 250 * 76.0723,  # 19,018.075
        "JNJ": 250 * 83.8393,  # 20,959.825
        "XOM": 200 * 100.9291,  # 20,185.82
        "PG": 250 * 74.56,  # 18,640
    }
    total = 130_920.92
    assert math.isclose(sum(values.values()), total, rel_tol=1e-12)
    aapl = row(GROWTH, "2016-01-04", "AAPL")
    assert aapl["quantity"] == 300 and aapl["close"] == 86.5272
    assert math.isclose(aapl["market_value"], 25_958.16, rel_tol=1e-12)
    assert math.isclose(aapl["weight"], 25_958.16 / total, rel_tol=1e-12)
    assert math.isclose(aapl["weight_drift"], 25_958.16 / total - 0.20, rel_tol=1e-9)
    assert math.isclose(aapl["unrealized_pnl"], 300 * (86.5272 - 80.10), rel_tol=1e-9)
    # 2017-06-30, the last session of the first snapshot: XOM still held (200 x 94.6188).
    xom = row(GROWTH, "2017-06-30", "XOM")
    assert xom["snapshot_as_of_date"] == date(2016, 1, 4)
    assert math.isclose(xom["market_value"], 18_923.76, rel_tol=1e-12)
    # 2017-07-03, the second snapshot: XOM sold, NEE bought, fewer AAPL.
    day = date(2017, 7, 3)
    new = holdings.xs(day, level="trading_date").loc[GROWTH]
    assert sorted(new.index) == ["AAPL", "JNJ", "JPM", "MSFT", "NEE", "PG"]
    assert set(new["snapshot_as_of_date"]) == {day}
    values = {
        "AAPL": 250 * 107.2057,  # 26,801.425
        "MSFT": 350 * 74.1683,  # 25,958.905
        "JPM": 200 * 110.9372,  # 22,187.44
        "JNJ": 250 * 88.4982,  # 22,124.55
        "PG": 200 * 104.7302,  # 20,946.04
        "NEE": 150 * 142.5064,  # 21,375.96
    }
    total = 139_394.32
    for symbol, value in values.items():
        assert math.isclose(new.loc[symbol, "market_value"], value, rel_tol=1e-12), symbol
    assert math.isclose(new["market_value"].sum(), total, rel_tol=1e-12)
    nee = new.loc["NEE"]
    assert nee["quantity"] == 150
    assert math.isclose(nee["weight"], 21_375.96 / total, rel_tol=1e-12)
    assert math.isclose(nee["weight_drift"], 21_375.96 / total - 0.15, rel_tol=1e-9)
    # Sector model: weights only, bought with 1,000,000 at the 2015-01-02 close.
    closes = {"XLK": 40.6358, "XLF": 23.9564, "XLV": 59.7255, "XLE": 93.8083, "XLP": 43.934}
    targets = {"XLK": 0.30, "XLF": 0.20, "XLV": 0.20, "XLE": 0.15, "XLP": 0.15}
    next_closes = {"XLK": 39.6309, "XLF": 23.4958, "XLV": 58.1749, "XLE": 91.5816, "XLP": 43.3166}
    next_total = sum(1_000_000 * targets[s] / closes[s] * next_closes[s] for s in closes)
    for symbol, close in closes.items():
        first = row(SECTOR, "2015-01-02", symbol)
        assert math.isclose(first["quantity"], 1_000_000 * targets[symbol] / close, rel_tol=1e-12)
        assert math.isclose(first["market_value"], 1_000_000 * targets[symbol], rel_tol=1e-12)
        assert math.isclose(first["weight"], targets[symbol], rel_tol=1e-12)
        assert abs(first["weight_drift"]) < 1e-15
        value = 1_000_000 * targets[symbol] / close * next_closes[symbol]
        second = row(SECTOR, "2015-01-05", symbol)
        assert math.isclose(second["market_value"], value, rel_tol=1e-12)
        assert math.isclose(second["weight"], value / next_total, rel_tol=1e-12)
        assert math.isclose(
            second["weight_drift"], value / next_total - targets[symbol], rel_tol=1e-9
        )
        assert pd.isna(second["cost_basis"]) and pd.isna(second["unrealized_pnl"])


def test_holdings_equal_the_simulation(warehouse: Warehouse) -> None:
    expected = expected_marts(warehouse)["fct_portfolio_holdings_daily"]
    actual = mart(warehouse, "fct_portfolio_holdings_daily")
    # Growth & income: 6 holdings x 754 sessions; sector model: 5 x 1006.
    assert len(actual) == 6 * 754 + 5 * 1006
    assert reference.mismatches(actual, expected) == []


# --- (c) performance ------------------------------------------------------------------------


def test_performance_equals_pandas(warehouse: Warehouse) -> None:
    expected = expected_marts(warehouse)["fct_portfolio_performance_daily"]
    actual = mart(warehouse, "fct_portfolio_performance_daily")
    assert reference.mismatches(actual, expected) == []
    first = actual.loc[(SECTOR, date(2015, 1, 2))]
    assert first["market_value"] == pytest.approx(1_000_000, rel=1e-12)
    assert pd.isna(first["daily_return"]) and first["cumulative_return"] == 0
    # On 2017-07-03 the return is that of the holdings of 2017-06-30 (XOM included).
    switch = actual.loc[(GROWTH, date(2017, 7, 3))]
    assert switch["market_value"] == pytest.approx(139_394.32, rel=1e-12)


def test_dim_portfolio(warehouse: Warehouse) -> None:
    expected = expected_marts(warehouse)["dim_portfolio"]
    actual = mart(warehouse, "dim_portfolio")
    assert reference.mismatches(actual, expected) == []
    assert dict(actual["portfolio_name"]) == {
        GROWTH: "Sample Growth & Income",
        SECTOR: "Sample Sector Model",
    }
    assert set(actual["base_currency"]) == {"USD"}


# --- (d) Postgres = DuckDB ------------------------------------------------------------------


def test_postgres_equals_duckdb(demo_duckdb: Demo, demo_postgres: Warehouse) -> None:
    for name in MARTS:
        duck, pg = mart(demo_duckdb.warehouse, name), mart(demo_postgres, name)
        assert len(duck) > 0, name
        assert list(duck.columns) == list(pg.columns), name
        assert reference.mismatches(pg, duck) == [], name


# --- without raw_portfolio, and with chained weights-only snapshots -------------------------


def test_build_without_raw_portfolio_gives_empty_marts(
    demo_duckdb: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = copy_of_demo(demo_duckdb, tmp_path, monkeypatch)
    execute(warehouse, "drop schema if exists raw_portfolio cascade")
    assert run_dbt(warehouse, "build", "--select", "stg_portfolio__holdings+", "--quiet") == 0
    for name in MARTS:
        assert query(warehouse, f"select count(*) from marts.{name}") == [(0,)], name


CHAIN = """portfolio_name,symbol,quantity,target_weight,cost_basis,as_of_date,base_currency
Chain,AAPL,100,,500,2014-01-02,USD
Chain,MSFT,200,,,2014-01-02,USD
Chain,AAPL,50,,,2014-06-07,USD
Chain,GOOGL,10,,,2014-06-07,USD
Chain,AAPL,,0.6,,2014-06-08,USD
Chain,XLK,,0.4,,2014-06-08,USD
Chain,SPY,,0.5,,2015-03-02,USD
Chain,XLF,,0.5,,2015-03-02,USD
Chain,AAPL,,1,,2016-06-01,USD
Chain,MSFT,120,1,,2017-01-03,USD
Chain,XLK,,0.5,,2018-01-02,USD
Chain,XLV,,0.5,,2018-01-02,USD
"""


def test_snapshot_chain_equals_the_simulation(
    demo_duckdb: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AAPL splits 7:1 on Monday 2014-06-09: the first snapshot's 100 shares become 700; the
    Saturday snapshot's 50 become 350 and are valued at Monday's close, where Sunday's
    weights-only snapshot is bought with that value; two more weights-only snapshots chain
    their value (exp(sum(ln)) in SQL), a quantity snapshot resets it, one more chains again."""
    from marketpulse.portfolio.importing.importing import import_files

    warehouse = copy_of_demo(demo_duckdb, tmp_path, monkeypatch)
    path = tmp_path / "chain.csv"
    path.write_text(CHAIN)
    execute(warehouse, "delete from raw_portfolio.holdings")
    assert import_files(warehouse, [path]) == 0
    assert run_dbt(warehouse, "build", "--select", "stg_portfolio__holdings+", "--quiet") == 0
    expected = expected_marts(warehouse, path)
    for name in MARTS:
        assert reference.mismatches(mart(warehouse, name), expected[name]) == [], name
    holdings = mart(warehouse, "fct_portfolio_holdings_daily")
    before = holdings.loc[("chain", date(2014, 6, 6), "AAPL")]
    assert before["quantity"] == 100 and before["cost_basis"] == 500
    after = holdings.loc[("chain", date(2014, 6, 9), "AAPL")]
    assert after["snapshot_as_of_date"] == date(2014, 6, 8)
    assert ("chain", date(2014, 6, 9), "GOOGL") not in holdings.index  # superseded on Sunday
    ((aapl, googl),) = query(
        warehouse,
        "select max(case when symbol = 'AAPL' then close end),"
        " max(case when symbol = 'GOOGL' then close end)"
        " from marts.fct_prices_daily where trading_date = '2014-06-09'",
    )
    monday = holdings.xs(date(2014, 6, 9), level="trading_date").loc["chain"]
    assert monday["market_value"].sum() == pytest.approx(350 * aapl + 10 * googl, rel=1e-12)
    assert monday.loc["AAPL", "quantity"] == pytest.approx(0.6 * (350 * aapl + 10 * googl) / aapl)
