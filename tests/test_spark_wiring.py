"""WAREHOUSE=spark is wired into the tooling: every make target installs the spark extra when
asked, the suite (`make test`, hence CI) always does, and CI needs Java for it."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import ROOT


def make_dry_run(*args: str) -> str:
    """What make would run, as if nothing were installed yet (-B: every target out of date)."""
    return subprocess.run(
        ["make", "-n", "-B", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def test_warehouse_spark_installs_the_spark_extra_first() -> None:
    assert '.[dev,spark]"' in make_dry_run("demo", "WAREHOUSE=spark")
    assert '.[dev,spark]"' in make_dry_run("build", "WAREHOUSE=spark")
    assert ".[dev,spark]" not in make_dry_run("demo", "WAREHOUSE=duckdb")


def test_make_test_installs_the_spark_extra() -> None:
    assert '.[dev,spark]"' in make_dry_run("test", "WAREHOUSE=duckdb")


def test_make_bench_with_spark_reports_all_three_warehouses() -> None:
    assert "--warehouses duckdb,postgres,spark" in make_dry_run("bench", "WAREHOUSE=spark")


def test_make_clean_removes_the_lake_and_the_metastore() -> None:
    clean = make_dry_run("clean")
    assert re.search(r"rm -rf data\b", clean)  # data/lake, data/spark: the defaults
    for litter in ("derby.log", "metastore_db", "spark-warehouse"):
        assert litter in clean


def test_envrc_and_make_agree_on_the_spark_defaults() -> None:
    envrc = (ROOT / ".envrc").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for variable, default in (
        ("MARKETPULSE_LAKE_URL", "data/lake"),
        ("MARKETPULSE_SPARK_DIR", "data/spark"),
    ):
        assert f"export {variable}=" in envrc and default in envrc
        assert f"export {variable} ?= $(ROOT)/{default}" in makefile


def test_ci_needs_java() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "command -v java" in ci and "error: java not found" in ci
