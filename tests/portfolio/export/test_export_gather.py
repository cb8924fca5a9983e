"""gather.py and `python -m marketpulse export` on a hand-built warehouse whose marts hold rows
written here by hand: the import-format holdings are the snapshot as imported (a split on the
snapshot's first session undone, derived quantities of a weights-only portfolio left out);
bad input ends in one line, exit 2, nothing written."""

from __future__ import annotations

from contextlib import closing
from datetime import date
from pathlib import Path

import pytest

from marketpulse import cli
from marketpulse.portfolio.export import export_portfolio
from marketpulse.portfolio.export.document import Holding
from marketpulse.portfolio.export.gather import ExportError, read_document
from marketpulse.warehouse import Warehouse

MARTS_SQL = """
create schema marts;
create table marts.dim_portfolio as select * from (values
    ('split-co', 'Split & Co', 'USD', date '2020-08-24', date '2020-08-29', 2, 'quantity', 'SPY'),
    ('weights-co', 'Weights Co', 'USD', date '2020-08-24', date '2020-08-24', 1, 'target_weight', 'SPY')
) as t(portfolio_id, portfolio_name, base_currency, inception_date, latest_as_of_date,
       holding_count, weighting, benchmark_symbol);

create table marts.fct_portfolio_holdings_daily as select * from (values
    ('split-co', date '2020-08-24', 'AAPL', date '2020-08-24', 10.0, 500.0, 125.0, 5000.0, 0.5, null, null, 300.0, 2000.0),
    ('split-co', date '2020-08-24', 'MSFT', date '2020-08-24', 25.0, 200.0, 199.0, 5000.0, 0.5, null, null, null, null),
    ('split-co', date '2020-08-28', 'AAPL', date '2020-08-24', 10.0, 500.0, 125.0, 5000.0, 0.5, null, null, 300.0, 2000.0),
    ('split-co', date '2020-08-28', 'MSFT', date '2020-08-24', 25.0, 200.0, 199.0, 5000.0, 0.5, null, null, null, null),
    -- snapshot of Saturday 2020-08-29: 3 AAPL at 300 as imported; AAPL splits 4:1 on Monday
    ('split-co', date '2020-08-31', 'AAPL', date '2020-08-29', 12.0, 129.0, 129.0, 1548.0, 0.2364, null, null, 75.0, 648.0),
    ('split-co', date '2020-08-31', 'MSFT', date '2020-08-29', 25.0, 200.0, 200.0, 5000.0, 0.7636, null, null, null, null),
    ('split-co', date '2020-09-01', 'AAPL', date '2020-08-29', 12.0, 134.0, 134.0, 1608.0, 0.2433, null, null, 75.0, 708.0),
    ('split-co', date '2020-09-01', 'MSFT', date '2020-08-29', 25.0, 200.0, 200.0, 5000.0, 0.7567, null, null, null, null),
    ('weights-co', date '2020-08-24', 'SPY', date '2020-08-24', 2919.7080291970804, 342.5, 340.0, 1000000.0, 1.0, 1.0, 0.0, null, null),
    ('weights-co', date '2020-08-25', 'SPY', date '2020-08-24', 2919.7080291970804, 344.0, 341.0, 1004379.56, 1.0, 1.0, 0.0, null, null)
) as t(portfolio_id, trading_date, symbol, snapshot_as_of_date, quantity, close, adj_close,
       market_value, weight, target_weight, weight_drift, cost_basis, unrealized_pnl);

create table marts.fct_prices_daily as select * from (values
    ('AAPL', date '2020-08-24', 500.0, 125.0, 1.0),
    ('AAPL', date '2020-08-28', 500.0, 125.0, 1.0),
    ('AAPL', date '2020-08-31', 129.0, 129.0, 4.0),
    ('AAPL', date '2020-09-01', 134.0, 134.0, 1.0),
    ('MSFT', date '2020-08-24', 200.0, 199.0, 1.0),
    ('MSFT', date '2020-08-28', 200.0, 199.0, 1.0),
    ('MSFT', date '2020-08-31', 200.0, 200.0, 1.0),
    ('MSFT', date '2020-09-01', 200.0, 200.0, 1.0),
    ('MSFT', date '2020-09-02', 201.0, 201.0, 1.0),
    ('SPY', date '2020-08-24', 342.5, 340.0, 1.0),
    ('SPY', date '2020-08-25', 344.0, 341.0, 1.0)
) as t(symbol, trading_date, close, adj_close, split_ratio);

create table marts.fct_portfolio_performance_daily as select * from (values
    ('split-co', date '2020-08-24', 10000.0, null, 0.0, null, 0.0, null),
    ('split-co', date '2020-08-28', 10000.0, 0.0, 0.0, 0.001, 0.001, -0.001),
    ('split-co', date '2020-08-31', 6548.0, 0.016, 0.016, 0.002, 0.003, 0.014),
    ('split-co', date '2020-09-01', 6608.0, 0.0092, 0.0253, -0.001, 0.002, 0.0102),
    ('weights-co', date '2020-08-24', 1000000.0, null, 0.0, null, 0.0, null),
    ('weights-co', date '2020-08-25', 1004379.56, 0.0029, 0.0029, 0.0029, 0.0029, 0.0)
) as t(portfolio_id, trading_date, market_value, daily_return, cumulative_return,
       benchmark_return, benchmark_cumulative_return, active_return);

create table marts.fct_portfolio_risk as select * from (values
    ('split-co', 'full', date '2020-08-31', 2, 0.5, 0.2, 1.1, 1.5, -0.01, 50.0, -0.001, -0.001, null, null, 0.9, 0.8, 'SPY'),
    ('split-co', 'full', date '2020-09-01', 3, 0.6, 0.25, 1.2, 1.6, -0.02, 30.0, -0.002, -0.002, 0.1, null, 1.1, 0.85, 'SPY')
) as t(portfolio_id, window_name, as_of_date, n_observations, annual_return, annual_volatility,
       sharpe_ratio, sortino_ratio, max_drawdown, calmar_ratio, var_95, cvar_95, skewness,
       kurtosis, beta, correlation, benchmark_symbol);

create table marts.fct_optimization_results as select * from (values
    ('old', 'split-co', 'max_sharpe', 0, 0.3, 0.2, 1.4, '{"AAPL": 1.0}', 0.01, date '2019-01-02', date '2020-08-28', 400, 1.0, true, timestamptz '2020-09-01 10:00:00+00', false),
    ('new', 'split-co', 'frontier', 1, 0.2, 0.18, 1.0, '{"AAPL": 0.3, "MSFT": 0.7}', 0.01, date '2019-01-02', date '2020-09-01', 420, 0.8, true, timestamptz '2020-09-02 10:00:00+00', true),
    ('new', 'split-co', 'frontier', 0, 0.1, 0.15, 0.6, '{"AAPL": 0.2, "MSFT": 0.8}', 0.01, date '2019-01-02', date '2020-09-01', 420, 0.8, true, timestamptz '2020-09-02 10:00:00+00', true),
    ('new', 'split-co', 'max_sharpe', 0, 0.25, 0.19, 1.26, '{"AAPL": 0.8, "MSFT": 0.2}', 0.01, date '2019-01-02', date '2020-09-01', 420, 0.8, true, timestamptz '2020-09-02 12:00:00+02', true)
) as t(run_id, portfolio_id, method, point_index, expected_return, volatility, sharpe_ratio,
       weights, risk_free_rate, lookback_start_date, lookback_end_date, n_observations,
       max_weight, is_long_only, created_at, is_latest_run);
"""


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    path = tmp_path / "hand.duckdb"
    import duckdb

    with closing(duckdb.connect(str(path))) as connection:
        connection.execute(MARTS_SQL)
    return Warehouse.from_env({"WAREHOUSE": "duckdb", "MARKETPULSE_DUCKDB_PATH": str(path)})


def test_holdings_are_the_latest_snapshot_as_imported(warehouse):
    document = read_document(warehouse, "split-co")
    assert document.holdings == (
        Holding("Split & Co", "AAPL", 3.0, None, 300.0, date(2020, 8, 29), "USD"),
        Holding("Split & Co", "MSFT", 25.0, None, None, date(2020, 8, 29), "USD"),
    )
    # positions are the mart's latest session, quantities as the mart carries them
    assert document.positions_date == date(2020, 9, 1)
    assert [(p.symbol, p.quantity) for p in document.positions] == [("MSFT", 25.0), ("AAPL", 12.0)]
    assert document.info.first_trading_date == date(2020, 8, 24)
    assert document.info.last_trading_date == date(2020, 9, 1)


def test_a_weights_only_portfolio_exports_weights_not_bought_quantities(warehouse):
    document = read_document(warehouse, "weights-co")
    assert document.holdings == (
        Holding("Weights Co", "SPY", None, 1.0, None, date(2020, 8, 24), "USD"),
    )
    assert document.optimization == () and document.risk == ()


def test_risk_latest_only_optimization_latest_run_only_prices_over_the_life(warehouse):
    document = read_document(warehouse, "split-co")
    assert [(r.window_name, r.as_of_date, r.annual_return) for r in document.risk] == [
        ("full", date(2020, 9, 1), 0.6)
    ]
    assert [(p.run_id, p.method, p.point_index) for p in document.optimization] == [
        ("new", "max_sharpe", 0),
        ("new", "frontier", 0),
        ("new", "frontier", 1),
    ]
    max_sharpe = document.optimization[0]
    assert max_sharpe.weights == {"AAPL": 0.8, "MSFT": 0.2}
    assert str(max_sharpe.created_at) == "2020-09-02 10:00:00"  # 12:00+02 as naive UTC
    # AAPL and MSFT (held), not SPY; not MSFT's 2020-09-02 (after the last valued session)
    assert len(document.prices) == 8
    assert {row.symbol for row in document.prices} == {"AAPL", "MSFT"}


def test_export_writes_every_file(warehouse, tmp_path):
    written = export_portfolio(warehouse, "split-co", tmp_path / "out")
    assert sorted(path.name for path in written) == [
        "split-co-holdings.csv",
        "split-co-report.pdf",
        "split-co.json",
        "split-co.xlsx",
        "split-co.xml",
        "split-co.zip",
    ]
    assert (tmp_path / "out" / "split-co-holdings.csv").read_text().splitlines() == [
        "portfolio_name,symbol,quantity,target_weight,cost_basis,as_of_date,base_currency",
        "Split & Co,AAPL,3,,300,2020-08-29,USD",
        "Split & Co,MSFT,25,,,2020-08-29,USD",
    ]
    assert not list((tmp_path / "out").glob(".*"))  # no temporary files left


def run_cli(monkeypatch, path: Path, *args: str) -> int:
    monkeypatch.setenv("WAREHOUSE", "duckdb")
    monkeypatch.setenv("MARKETPULSE_DUCKDB_PATH", str(path))
    return cli.main(["export", *args])


def test_cli_exports_the_formats_asked_for(warehouse, tmp_path, monkeypatch, capsys):
    out = tmp_path / "asked"
    code = run_cli(
        monkeypatch,
        warehouse.duckdb_path,
        "--portfolio",
        "split-co",
        "--out",
        str(out),
        "--formats",
        "csv,json",
    )
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["split-co-holdings.csv", "split-co.json"]
    assert capsys.readouterr().out.count("wrote ") == 2


def test_unknown_portfolio_is_one_line_exit_2_nothing_written(
    warehouse, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "never"
    code = run_cli(monkeypatch, warehouse.duckdb_path, "--portfolio", "nope", "--out", str(out))
    err = capsys.readouterr().err
    assert code == 2
    assert err == "error: unknown portfolio 'nope'; known: split-co, weights-co\n"
    assert not out.exists()


def test_unknown_format_is_one_line_exit_2(warehouse, tmp_path, monkeypatch, capsys):
    out = tmp_path / "never"
    code = run_cli(
        monkeypatch,
        warehouse.duckdb_path,
        "--portfolio",
        "split-co",
        "--out",
        str(out),
        "--formats",
        "csv,docx",
    )
    assert code == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (None, "cannot read the warehouse"),  # no warehouse file at all
        ("create table t (x int)", "the portfolio marts are missing or out of date"),
        (
            "create schema marts; create table marts.dim_portfolio (portfolio_id text,"
            " portfolio_name text, base_currency text, inception_date date,"
            " latest_as_of_date date, holding_count int, weighting text,"
            " benchmark_symbol text)",
            "no portfolio in the marts",
        ),
    ],
    ids=["no-warehouse", "no-marts", "no-portfolios"],
)
def test_missing_or_empty_marts_say_what_to_run(tmp_path, monkeypatch, capsys, setup, expected):
    path = tmp_path / "empty.duckdb"
    if setup is not None:
        import duckdb

        with closing(duckdb.connect(str(path))) as connection:
            connection.execute(setup)
    out = tmp_path / "never"
    code = run_cli(monkeypatch, path, "--portfolio", "split-co", "--out", str(out))
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"error: {expected}") and err.count("\n") == 1, err
    assert "make demo" in err
    assert not out.exists()


def test_a_portfolio_without_valued_sessions_is_an_error(warehouse):
    import duckdb

    with closing(duckdb.connect(str(warehouse.duckdb_path))) as connection:
        connection.execute("delete from marts.fct_portfolio_performance_daily")
    with pytest.raises(ExportError, match="no valued sessions"):
        read_document(warehouse, "split-co")
