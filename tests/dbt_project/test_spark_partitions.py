"""Spark writes a table's partition column last. A model partitioned on Spark must declare that
column last in its contract, or its Spark table's columns come out in another order than
DuckDB's and Postgres's (caught late by tests/e2e/test_spark.py; here without Spark)."""

from __future__ import annotations

import re

import yaml

from tests.conftest import ROOT

MODELS = ROOT / "dbt_project" / "models"
PARTITIONED = re.compile(r"partition_by\s*=\s*marketpulse\.incremental_partition_by\(\)")
SPARK_PARTITION = re.compile(
    r"macro spark__incremental_partition_by\(\).*?return\(\s*\[?\s*'(\w+)'", re.DOTALL
)


def contract_columns() -> dict[str, list[str]]:
    columns: dict[str, list[str]] = {}
    for path in MODELS.rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            columns[model["name"]] = [column["name"] for column in model.get("columns", [])]
    return columns


def test_every_spark_partitioned_model_declares_its_partition_column_last() -> None:
    macros = (ROOT / "dbt_project" / "macros" / "incremental_strategy.sql").read_text()
    found = SPARK_PARTITION.search(macros)
    assert found, "spark__incremental_partition_by returns no column name"
    partition = found.group(1)
    partitioned = sorted(
        path.stem for path in MODELS.rglob("*.sql") if PARTITIONED.search(path.read_text())
    )
    assert len(partitioned) >= 4, partitioned
    columns = contract_columns()
    wrong = {model: columns[model][-3:] for model in partitioned if columns[model][-1] != partition}
    assert not wrong, f"{partition} must be the last column of: {wrong}"
