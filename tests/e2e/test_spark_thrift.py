"""WAREHOUSE=spark with MARKETPULSE_SPARK_METHOD=thrift (issue 20 item 4): a real Spark Thrift
server (pyspark's spark-hive-thriftserver jar, tests/spark_cluster.py) over the warehouse and a
copy of the metastore the session's Spark demo build wrote. Through it, with the table files'
and the lake's locations pointing nowhere, the Python tools give what they give reading the
files: every mart's rows, `marketpulse summary`, `marketpulse query`, health, the portfolio
export, the dashboard's catalog and every one of its queries, and the optimizer's, forecasts'
and backtests' reads. dbt builds through the same server with profiles.yml's `spark_thrift`
output. The files' side is the independent reference: DuckDB reading the parquet files.
"""

from __future__ import annotations

import inspect
import math
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from marketpulse.build.dbt import run_dbt
from marketpulse.warehouse import Warehouse
from tests.conftest import ROOT
from tests.e2e.test_postgres import KEYS
from tests.sample_warehouses import MARTS, SparkDemo
from tests.spark_cluster import LOOPBACK, thrift_server

GROWTH = "sample-growth-income"
NOW = datetime(2019, 1, 7, 15, 0, tzinfo=UTC)


@dataclass
class Pair:
    files: Warehouse  # DuckDB over the parquet files (the reference)
    server: Warehouse  # the Thrift server; the files' locations point nowhere
    server_env: dict[str, str]
    port: int


@pytest.fixture(scope="module")
def pair(spark_sample: SparkDemo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    assert spark_sample.build_code == 0, "the Spark demo build failed: test_spark says why"
    tmp = tmp_path_factory.mktemp("thrift")
    files = spark_sample.warehouse
    # Derby's embedded metastore takes one process at a time: the server opens a copy, so the
    # session's later dbt runs on the original are not locked out.
    driver = tmp / "driver"
    shutil.copytree(files.spark_dir / "metastore_db", driver / "metastore_db")
    with thrift_server(files.spark_warehouse_url, driver, tmp / "logs") as port:
        nowhere = tmp / "nowhere"
        env = {
            **files.env(),
            "MARKETPULSE_SPARK_METHOD": "thrift",
            "MARKETPULSE_SPARK_HOST": LOOPBACK,
            "MARKETPULSE_SPARK_PORT": str(port),
            "MARKETPULSE_LAKE_URL": str(nowhere / "lake"),
            "MARKETPULSE_SPARK_WAREHOUSE_URL": str(nowhere / "warehouse"),
        }
        yield Pair(files, Warehouse.from_env(env), env, port)
    assert not nowhere.exists()  # nothing read, or wrote, there


@dataclass
class Cli:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """`marketpulse <args>` in this process (a child's start costs seconds) with `env`."""
    from marketpulse.cli import main

    def run(env: dict[str, str], *args: str) -> Cli:
        with monkeypatch.context() as patch:
            for key, value in env.items():
                patch.setenv(key, value)
            capsys.readouterr()
            code = main(list(args))
            out = capsys.readouterr()
        return Cli(code, out.out, out.err)

    return run


def same(left: Any, right: Any) -> bool:
    """Equal, numbers within 1e-12 relative: an aggregate's float sum may run in another order
    on Spark than on DuckDB (the rows are the same files)."""
    if isinstance(left, float | Decimal) and isinstance(right, float | Decimal):
        if math.isnan(left) and math.isnan(right):
            return True
        return math.isclose(float(left), float(right), rel_tol=1e-12, abs_tol=1e-15)
    if isinstance(left, pd.Series) and isinstance(right, pd.Series):
        return left.name == right.name and same(left.reset_index(), right.reset_index())
    if isinstance(left, pd.DataFrame) and isinstance(right, pd.DataFrame):
        return list(left.columns) == list(right.columns) and same(
            left.astype(object).where(left.notna(), None).values.tolist(),
            right.astype(object).where(right.notna(), None).values.tolist(),
        )
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same(left[k], right[k]) for k in left)
    if is_dataclass(left) and is_dataclass(right):
        return type(left) is type(right) and all(
            same(getattr(left, f.name), getattr(right, f.name)) for f in fields(left)
        )
    return type(left) is type(right) and left == right


def utc(frame: pd.DataFrame) -> pd.DataFrame:
    """Instants labelled UTC: DuckDB labels them with its TimeZone setting (Etc/UTC here), the
    server's reader with UTC; the instants are what is compared."""
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_convert("UTC")
    return frame


def test_every_mart_reads_the_same_through_the_server(pair: Pair) -> None:
    """Every mart, the same frame (dtypes, and values of the same Python types: dates as
    dates, timestamps as UTC datetimes, decimals as Decimal): its first 5,000 rows by its key
    (the run audit's by every column; NULLs first: DuckDB's default puts them last), which is
    every row of all but the six largest (the rest is 30 s of Thrift transfer)."""
    rows = 0
    for mart in MARTS:
        key = KEYS.get(mart)
        if key is None:  # the run audit: no key across runs
            width = len(pair.files.query(f"select * from marts.{mart} limit 0").columns)
            key = ", ".join(map(str, range(1, width + 1)))
        order = ", ".join(f"{term} nulls first" for term in key.split(", "))
        sql = f"select * from marts.{mart} order by {order} limit 5000"
        on_files, on_server = (utc(pair.files.query(sql)), utc(pair.server.query(sql)))
        assert_frame_equal(on_server, on_files, check_exact=False, rtol=1e-12, obj=mart)
        rows += len(on_files)
    assert rows > 60_000


def test_summary_query_and_health_are_the_same(pair: Pair, cli: Any) -> None:
    on_files = cli(pair.files.env(), "summary")
    on_server = cli(pair.server_env, "summary")
    assert on_files.code == on_server.code == 0, on_server.stderr
    marts = [line for line in on_files.stdout.splitlines() if line.startswith("  marts.")]
    assert len(marts) > 30
    assert [line for line in on_server.stdout.splitlines() if line.startswith("  marts.")] == marts
    assert f"tables on thrift://{LOOPBACK}:{pair.port}" in on_server.stdout

    sql = (
        "select symbol, count(*) as sessions, min(trading_date) as first, max(adj_close) as top"
        " from marts.fct_prices_daily where symbol like 'X%' group by symbol order by symbol"
    )
    on_files, on_server = cli(pair.files.env(), "query", sql), cli(pair.server_env, "query", sql)
    assert on_server.code == 0, on_server.stderr
    assert on_server.stdout == on_files.stdout
    assert on_server.stdout.count("\n") == 1 + 12  # the eleven sector ETFs XL* and XOM

    from marketpulse.ops import health

    checks = {c.name: c for c in health.check(pair.files, now=NOW).checks}
    through = {c.name: c for c in health.check(pair.server, now=NOW).checks}
    assert checks.keys() == through.keys()
    for name, check in checks.items():
        if name != "warehouse":  # its detail names where it is
            assert through[name] == check
    assert through["warehouse"].level == "ok"
    assert len(checks) >= 8


def test_export_is_the_same_document(pair: Pair, tmp_path: Path, cli: Any) -> None:
    from marketpulse.portfolio.export.gather import read_document

    assert same(read_document(pair.server, GROWTH), read_document(pair.files, GROWTH))
    outputs = {}
    for side, env in (("files", pair.files.env()), ("server", pair.server_env)):
        out = tmp_path / side
        result = cli(env, "export", "--portfolio", GROWTH, "--out", str(out), "--formats", "json")
        assert result.code == 0, result.stderr
        outputs[side] = (out / f"{GROWTH}.json").read_bytes()
    assert outputs["server"] == outputs["files"]


def _dashboard_calls() -> list[tuple[str, Any, dict[str, Any]]]:
    """Every query of every dashboard view, with arguments a user picks: a short and a long
    range (daily and weekly grain), several symbols, the sample portfolio."""
    import importlib
    import pkgutil

    from marketpulse.dashboard import queries

    values = {
        "symbol_list": ("AAPL", "SPY", "XLK", "XOM", "^VIX"),
        "symbol": "AAPL",
        "as_of": date(2018, 6, 29),
        "indicator_id": "T10Y2Y",
        "portfolio_id": GROWTH,
        "window_name": "1y",
    }
    ranges = {
        "short": (date(2018, 6, 1), date(2018, 6, 29)),
        "long": (date(2013, 1, 2), date(2018, 12, 31)),
    }
    calls = []
    names = sorted(info.name for info in pkgutil.iter_modules(queries.__path__))
    for module in (importlib.import_module(f"{queries.__name__}.{name}") for name in names):
        for name, function in inspect.getmembers(module, callable):
            if getattr(function, "__module__", None) != module.__name__ or name.startswith("_"):
                continue
            parameters = list(inspect.signature(function).parameters)
            if not parameters or parameters[0] != "target" or name in ("data_range", "sharpe_note"):
                continue
            needed = [p for p in parameters[1:] if p != "limit"]
            if "run_id" in needed:
                continue  # optimization_weights: called with the run optimization_run found
            for label, (start, end) in (
                ranges.items() if "start" in needed else [("", (None, None))]
            ):
                arguments = {p: values[p] for p in needed if p in values}
                if "start" in needed:
                    arguments |= {"start": start, "end": end}
                calls.append((f"{module.__name__}.{name} {label}".strip(), function, arguments))
    return calls


def test_the_dashboard_reads_the_same(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    from marketpulse.dashboard import data
    from marketpulse.dashboard.queries import portfolio

    results: dict[str, dict[str, Any]] = {}
    for side, env in (("files", pair.files.env()), ("server", pair.server_env)):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        target = data.Target.from_env()
        found = results.setdefault(side, {"catalog": data.catalog(target)})
        with data.render_session():
            for label, function, arguments in _dashboard_calls():
                try:
                    found[label] = function(target, **arguments)
                except data.NoData as exc:  # "no data yet" for a selection: the same notice
                    found[label] = str(exc)
            run_id = found["marketpulse.dashboard.queries.portfolio.optimization_run"]
            found["weights"] = portfolio.optimization_weights(target, run_id["run_id"].iloc[0])
    on_files, on_server = results["files"], results["server"]
    assert len(on_files["catalog"]) > 30
    assert on_server["catalog"] == on_files["catalog"]
    assert on_server.keys() == on_files.keys()
    assert len(on_files) > 30
    for label, value in on_files.items():
        if label.endswith(".freshness"):  # and when it looked: now, on each side
            value, on_server[label] = (
                {**found, "checked_at": None} for found in (value, on_server[label])
            )
        assert same(on_server[label], value), label


def test_the_optimizer_forecasts_and_backtests_read_the_same(pair: Pair) -> None:
    from marketpulse import backtest, forecast
    from marketpulse.backtest import config as backtest_config
    from marketpulse.portfolio import optimize

    def reads(warehouse: Warehouse) -> dict[str, Any]:
        with warehouse.session(read_only=True) as session:
            universe = optimize.read_universe(session, GROWTH, None)
            prices = optimize.read_prices(session, universe.symbols)
            risk_free = optimize.read_risk_free(session, date(2018, 12, 31))
            config = backtest_config.load(ROOT / "backtests.toml")
            market = backtest.read_market_data(session, config, config.benchmark or "SPY")
        inputs = forecast.read_inputs(warehouse)
        return {
            "universe": universe,
            "prices": prices.reset_index(),
            "risk_free": risk_free,
            "has_run": optimize.has_run(warehouse, GROWTH),
            "forecast": inputs,
            "market": market,
        }

    on_files, on_server = reads(pair.files), reads(pair.server)
    assert on_files["has_run"] and len(on_files["prices"]) > 1000
    for name, value in on_files.items():
        assert same(on_server[name], value), name


def test_dbt_builds_through_the_server(
    pair: Pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """profiles.yml's spark_thrift output: dbt-spark's thrift method on the same settings
    (the lake's real location: the server registers it). A mart rebuilt through the server by
    the project's table materialization reads back equal."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    env = {**pair.server_env, "MARKETPULSE_LAKE_URL": pair.files.lake_url}
    dbt = Warehouse.from_env(env)
    before = pair.files.query("select * from marts.dim_symbol order by symbol")
    assert run_dbt(dbt, "run", "--select", "dim_symbol") == 0
    assert same(pair.server.query("select * from marts.dim_symbol order by symbol"), before)
    assert same(pair.files.query("select * from marts.dim_symbol order by symbol"), before)
