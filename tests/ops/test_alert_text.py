"""Alerts name what failed (issue 18 item 13): the source and the symbol of a partial ingest,
the dbt test (and the model it is on) or the model of a failed build. Real CLI runs on a real
warehouse; Slack is a local HTTP server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from marketpulse.warehouse import Warehouse
from tests.conftest import cli
from tests.fake_servers import FakeHttp


@pytest.fixture
def slack() -> Iterator[FakeHttp]:
    server = FakeHttp().start()
    yield server
    server.stop()


def settings(tmp_path: Path, slack: FakeHttp) -> dict[str, str]:
    return {
        "WAREHOUSE": "duckdb",
        "MARKETPULSE_DUCKDB_PATH": str(tmp_path / "wh.duckdb"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "ALERTS__SLACK_WEBHOOK_URL": f"{slack.url}/slack/hook",
        "ALERTS__STATE_PATH": str(tmp_path / "alerts.json"),
    }


def posts(slack: FakeHttp) -> list[str]:
    return [request.body["text"] for request in slack.requests]


def test_a_partial_ingest_alert_names_the_source_and_the_symbol(
    tmp_path: Path, slack: FakeHttp
) -> None:
    env = settings(tmp_path, slack)
    result = cli(
        "ingest", "--sample", "--quiet", "--sources", "yahoo", "--symbols", "AAPL,ZZZZ", env=env
    )
    assert result.returncode == 0, result.stderr  # partial: AAPL loaded
    (text,) = posts(slack)
    title, *details = text.splitlines()
    assert title == ":rotating_light: *marketpulse: yahoo: 1 item(s) failed: ZZZZ*"
    assert len(details) == 1 and details[0].startswith("ZZZZ: ")


@pytest.mark.usefixtures("runs_dbt")
def test_a_failed_build_alert_names_the_failing_test_and_model(
    tmp_path: Path, slack: FakeHttp
) -> None:
    """A sample load, one raw price row with an origin no test accepts (a failing test), and
    raw_fred.series a view of a dropped table (a model that errors): the alert names both, and
    the model the test is on."""
    env = settings(tmp_path, slack)
    loaded = cli("ingest", "--sample", "--quiet", "--sources", "yahoo,fred", env=env)
    assert loaded.returncode == 0, loaded.stderr
    warehouse = Warehouse.from_env(env)
    with closing(warehouse.connect(read_only=False)) as connection:
        connection.execute(
            "update raw_yahoo.prices_daily set data_origin = 'scraped'"
            " where symbol = 'AAPL' and trading_date = (select min(trading_date)"
            " from raw_yahoo.prices_daily where symbol = 'AAPL')"
        )
        # raw_fred.series becomes a view of a table that is gone: the model over it errors (a
        # missing raw table would not do: a source never loaded builds empty, issue 18 item 7).
        connection.execute("alter table raw_fred.series rename to series_gone")
        connection.execute("create view raw_fred.series as select * from raw_fred.series_gone")
        connection.execute("drop table raw_fred.series_gone")
    result = cli("build", "--select", "+stg_yahoo__prices_daily", "stg_fred__series", env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    (text,) = posts(slack)
    title, *details = text.splitlines()
    test = (
        "accepted_values_stg_yahoo__prices_daily_data_origin__live__sample_real__sample_simulated"
    )
    assert title == (
        f":rotating_light: *marketpulse: dbt build failed: model stg_fred__series, "
        f"test {test} on stg_yahoo__prices_daily*"
    ) or title == (
        f":rotating_light: *marketpulse: dbt build failed: test {test} on "
        "stg_yahoo__prices_daily, model stg_fred__series*"
    )
    by_node = {line.split(":")[0]: line for line in details}
    assert by_node[f"test {test} on stg_yahoo__prices_daily"] == (
        f"test {test} on stg_yahoo__prices_daily: fail, 1 rows: "
        "Got 1 result, configured to fail if != 0"
    )
    assert by_node["model stg_fred__series"] == (
        "model stg_fred__series: error: Catalog Error: Table with name series_gone does not exist!"
    )
    assert len(details) == 2
