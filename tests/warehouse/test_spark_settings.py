"""WAREHOUSE=spark settings (marketpulse/warehouse/spark_settings.py): the lake, Spark's
warehouse, the metastore and the cluster's resources are separate settings; a URL stays a URL;
profiles.yml reads every one of them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from marketpulse.warehouse import ConfigError, Warehouse
from marketpulse.warehouse.spark_settings import LOG4J2_FILE
from tests.conftest import ROOT


def spark(tmp_path: Path, **env: str) -> Warehouse:
    return Warehouse.from_env(
        {"WAREHOUSE": "spark", "MARKETPULSE_SPARK_DIR": str(tmp_path / "spark"), **env}
    )


def test_the_warehouse_defaults_to_the_spark_dir_as_before(tmp_path: Path) -> None:
    warehouse = spark(tmp_path)
    assert warehouse.spark_warehouse_url == str(tmp_path / "spark" / "warehouse")
    assert warehouse.env()["MARKETPULSE_SPARK_WAREHOUSE_URL"] == warehouse.spark_warehouse_url


def test_an_object_store_warehouse_stays_a_url(tmp_path: Path) -> None:
    warehouse = spark(
        tmp_path,
        MARKETPULSE_SPARK_WAREHOUSE_URL="s3a://bucket/marketpulse/warehouse/",
        MARKETPULSE_LAKE_URL="s3://bucket/marketpulse/lake",
    )
    assert warehouse.spark_warehouse_url == "s3a://bucket/marketpulse/warehouse"
    assert warehouse.lake_url == "s3://bucket/marketpulse/lake"
    assert not warehouse.is_local_spark_warehouse
    assert warehouse.spark_dir == tmp_path / "spark"  # the metastore stays on the driver


def test_a_url_for_the_spark_dir_names_the_setting_to_use(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"MARKETPULSE_SPARK_WAREHOUSE_URL=s3://bucket/x/warehouse"
    ):
        spark(tmp_path, MARKETPULSE_SPARK_DIR="s3://bucket/x")


def test_shuffle_partitions_follow_the_cores(tmp_path: Path) -> None:
    assert spark(tmp_path, MARKETPULSE_SPARK_MASTER="local[3]").spark.shuffle_partitions == 6
    cluster = spark(
        tmp_path,
        MARKETPULSE_SPARK_MASTER="spark://10.0.0.1:7077",
        MARKETPULSE_SPARK_CLUSTER_CORES="32",
    )
    assert cluster.spark.shuffle_partitions == 64
    pinned = spark(tmp_path, MARKETPULSE_SPARK_SHUFFLE_PARTITIONS="7")
    assert pinned.env()["MARKETPULSE_SPARK_SHUFFLE_PARTITIONS"] == "7"


@pytest.mark.parametrize(
    ("name", "value"),
    [("EXECUTOR_MEMORY", "lots"), ("EXECUTOR_CORES", "0"), ("UI", "maybe")],
)
def test_a_bad_value_is_one_line_naming_the_setting(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"MARKETPULSE_SPARK_{name}=") as error:
        spark(tmp_path, **{f"MARKETPULSE_SPARK_{name}": value})
    assert "\n" not in str(error.value)


def test_profiles_read_every_setting(tmp_path: Path) -> None:
    profiles = (ROOT / "profiles.yml").read_text()
    for variable in spark(tmp_path).settings_env():
        if variable in ("MARKETPULSE_LAKE_URL", "MARKETPULSE_SPARK_CLUSTER_CORES"):
            continue  # the lake: dbt_project.yml's var; the cores: only the partitions' default
        assert f"env_var('{variable}'" in profiles, variable


def test_log4j2_quiets_the_repeated_warnings_only() -> None:
    regexes = re.findall(r"filter\.\w+\.regex = (.*)", LOG4J2_FILE.read_text())
    quieted = [
        "Using an existing Spark session; only runtime SQL configurations will take effect.",
        "Assume no metadata directory. Error while looking for metadata directory in the path:"
        " /data/lake/raw_*/*/*.",
        "Namespace raw_yahoo was created concurrently. Ignoring.",
    ]
    kept = [
        "Namespace marts was created concurrently. Ignoring.",
        "Assume no metadata directory. Error while looking for metadata directory in the path:"
        " /data/lake/raw_yahoo/prices_daily.",
        "Lost task 0.0 in stage 3.0 (TID 7) (127.0.0.1 executor 0): java.io.IOException",
    ]
    for line in quieted:
        assert any(re.fullmatch(regex, line) for regex in regexes), line
    for line in kept:
        assert not any(re.fullmatch(regex, line) for regex in regexes), line


THRIFT = {"MARKETPULSE_SPARK_METHOD": "thrift", "MARKETPULSE_SPARK_HOST": "spark-thrift.internal"}
DATABRICKS = {
    "MARKETPULSE_SPARK_METHOD": "databricks",
    "MARKETPULSE_SPARK_HOST": "adb-1.2.azuredatabricks.net",
    "MARKETPULSE_SPARK_HTTP_PATH": "sql/protocolv1/o/1234/0123-456789-abcdefgh",
    "DATABRICKS_TOKEN": "dapi-secret-token",
}


def test_the_method_picks_the_profile_output_and_the_reader(tmp_path: Path) -> None:
    session = spark(tmp_path)
    assert (session.spark.method, session.dbt_target) == ("session", "spark")
    assert "warehouse" in session.describe()
    thrift = spark(tmp_path, **THRIFT)
    assert thrift.dbt_target == "spark_thrift"
    assert thrift.describe().endswith(
        "tables on thrift://spark-thrift.internal:10000 as marketpulse"
    )
    assert thrift.connect_verb == "connect to"
    assert thrift.env()["MARKETPULSE_SPARK_PORT"] == "10000"
    databricks = spark(tmp_path, **DATABRICKS)
    assert databricks.dbt_target == "spark_databricks"
    assert databricks.env()["MARKETPULSE_SPARK_PORT"] == "443"
    assert "dapi-secret-token" not in databricks.describe() + repr(databricks)
    assert databricks.identifiers()["password"] == "dapi-secret-token"  # masked in artifacts


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MARKETPULSE_SPARK_METHOD": "jdbc"}, "MARKETPULSE_SPARK_METHOD='jdbc': use one of"),
        ({"MARKETPULSE_SPARK_METHOD": "thrift"}, "needs MARKETPULSE_SPARK_HOST"),
        ({**THRIFT, "MARKETPULSE_SPARK_PORT": "http"}, "MARKETPULSE_SPARK_PORT='http'"),
        (
            {**DATABRICKS, "MARKETPULSE_SPARK_HTTP_PATH": "/sql/1.0/warehouses/abc"},
            "an all-purpose cluster's HTTP path sql/protocolv1/o/<organization>/<cluster>",
        ),
        ({**DATABRICKS, "DATABRICKS_TOKEN": ""}, "and DATABRICKS_TOKEN, an access token"),
    ],
)
def test_a_bad_server_setting_is_one_line(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as error:
        spark(tmp_path, **env)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("env", [THRIFT, DATABRICKS], ids=["thrift", "databricks"])
def test_profiles_read_every_server_setting(tmp_path: Path, env: dict[str, str]) -> None:
    profiles = (ROOT / "profiles.yml").read_text()
    warehouse = spark(tmp_path, **env)
    assert f"    {warehouse.dbt_target}:\n" in profiles
    for variable in warehouse.settings_env():
        if variable in ("MARKETPULSE_LAKE_URL", "MARKETPULSE_SPARK_CLUSTER_CORES"):
            continue
        assert f"env_var('{variable}'" in profiles, variable
