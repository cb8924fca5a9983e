"""On Spark, an incremental build of the incremental marts equals a full refresh.

Spark's tables are plain parquet: no merge, no delete+insert. The incremental marts are
partitioned by trading_month there and updated by a dynamic partition overwrite that writes
whole months (macros/spark_insert_overwrite.sql). As tests/e2e/test_incremental_matches_full.py
does on DuckDB and Postgres: the sample lands through dlt into the lake, its last HELD_BACK
trading days are moved out of the raw prices files, the incremental marts and their parents are
built, the held-back days come back as a new file (they include year-end dividends, so some
symbols are recomputed in full and others continue from their stored state), an incremental
build runs, and every column is compared with a full build of the whole sample (the session's
Spark demo). Months no new session falls in are not rewritten. It runs on the session's standalone cluster (tests/spark_cluster.py).
"""

from __future__ import annotations

import shutil
from contextlib import closing
from pathlib import Path

import pytest

from marketpulse.build.dbt import failed_nodes, run_dbt
from marketpulse.ingest import runner
from marketpulse.ingest.config import IngestConfig
from marketpulse.ingest.report import Progress
from marketpulse.warehouse import Warehouse
from tests.e2e.test_incremental_matches_full import (
    DOWNSTREAM,
    assert_equal_tables,
    held_back_cutoff,
    incremental_marts,
    snapshot,
)
from tests.sample_warehouses import SparkDemo, query
from tests.spark_cluster import SparkCluster

INCREMENTAL_MARTS = (
    "fct_technical_indicators",
    "fct_drawdowns",
    "fct_rolling_risk",
    "fct_sector_rotation",
)
# The incremental marts and everything they read, built twice: seeds and models for the
# starting state, a build for the incremental step (its data tests check what it wrote: only those whose
# every parent is built; a relationship to dim_symbol is not). The
# unit tests and the rest run once, in the full Spark build of tests/e2e/test_spark.py.
# fct_risk_metrics (DOWNSTREAM) is compared too: int_daily_returns_enriched, incremental on
# DuckDB and Postgres, is a view here, so it is not among the incremental models.
MODELS = ("--select", *(f"+{mart}" for mart in (*INCREMENTAL_MARTS, *DOWNSTREAM)))
SELECT = (*MODELS, "--indirect-selection", "cautious")


def hold_back(warehouse: Warehouse, cutoff: object, held: Path) -> int:
    """Move the raw prices after `cutoff` out of the lake's files into `held` (one file)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    folder = Path(warehouse.lake_url.removeprefix("file://")) / "raw_yahoo" / "prices_daily"
    kept_back = []
    for path in sorted(folder.glob("*.parquet")):
        table = pq.read_table(path)
        late = pc.greater(table["trading_date"], pa.scalar(cutoff, table["trading_date"].type))
        kept_back.append(table.filter(late))
        pq.write_table(table.filter(pc.invert(late)), path)
    rows = pa.concat_tables(kept_back)
    pq.write_table(rows, held)
    return rows.num_rows


def partition_files(warehouse: Warehouse, table: str) -> dict[str, set[str]]:
    """trading_month=... folder -> names of its parquet files, of a mart in Spark's warehouse
    (shared storage: the driver lists what the worker wrote)."""
    root = Path(warehouse.spark_warehouse_url.removeprefix("file://")) / "marts.db" / table
    return {
        folder.name: {path.name for path in folder.glob("*.parquet")}
        for folder in sorted(root.glob("trading_month=*"))
    }


@pytest.mark.usefixtures("runs_dbt")
def test_incremental_build_equals_full_refresh_on_spark(
    spark_cluster: SparkCluster,
    spark_sample: SparkDemo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warehouse = spark_cluster.warehouse(f"spark-incremental-{tmp_path.name}", tmp_path)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    reports = runner.run(
        IngestConfig.load(), warehouse, runner.sample_clients(), progress=Progress(quiet=True)
    )
    assert all(report.ok for report in reports)
    cutoff = held_back_cutoff(warehouse)  # both paths: recomputed in full, and continued
    held = tmp_path / "held_back.parquet"
    assert hold_back(warehouse, cutoff, held) > 0

    start = ("build", *MODELS, "--indirect-selection", "empty")  # seeds and models, no tests
    assert run_dbt(warehouse, *start, quiet=True) == 0, (
        "build on the truncated sample",
        failed_nodes(tmp_path / "target"),
    )
    marts = incremental_marts(tmp_path / "target")
    assert sorted(table for _, table, _ in marts) == sorted((*INCREMENTAL_MARTS, *DOWNSTREAM))
    for mart in INCREMENTAL_MARTS:
        assert partition_files(warehouse, mart), f"{mart} is not partitioned by trading_month"
    before = query(warehouse, "select count(*) from marts.fct_technical_indicators")[0][0]
    # fct_drawdowns continues every symbol from its stored peak: only the held-back days'
    # months are written; the first month's files must survive the incremental run as they are.
    first_month, first_files = next(iter(partition_files(warehouse, "fct_drawdowns").items()))

    folder = Path(warehouse.lake_url.removeprefix("file://")) / "raw_yahoo" / "prices_daily"
    shutil.move(held, folder / "held_back.parquet")  # the held-back days, as one more file
    step = ("build", *SELECT, "--exclude-resource-type", "unit_test")
    assert run_dbt(warehouse, *step, quiet=True) == 0, (
        "incremental build",
        failed_nodes(tmp_path / "target"),
    )
    after = query(warehouse, "select count(*) from marts.fct_technical_indicators")[0][0]
    assert after > before
    assert partition_files(warehouse, "fct_drawdowns")[first_month] == first_files
    incremental = snapshot(warehouse, marts)

    # The full refresh: the session's Spark demo (tests/e2e/conftest.py), a full build of the
    # same sample rows on the same cluster; a third build of these models here cost ~250 s.
    assert spark_sample.build_code == 0, "the Spark demo build failed: test_spark says why"
    full = snapshot(spark_sample.warehouse, marts)
    assert_equal_tables(incremental, full)
    with closing(warehouse.connect()) as connection:  # the partition column is the month
        mismatched = connection.execute(
            "select count(*) from marts.fct_technical_indicators"
            " where trading_month != date_trunc('month', trading_date)"
        ).fetchone()
    assert mismatched == (0,)
