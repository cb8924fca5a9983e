"""WAREHOUSE=spark: where Spark keeps things and what it may use, one setting each.

Every value is an environment variable that profiles.yml reads (docs/spark.md lists them).
`SparkSettings.from_env` fills in the defaults and checks them, so a bad value is one line
before any JVM starts; `env()` hands dbt the complete set.

- The lake (MARKETPULSE_LAKE_URL) and Spark's warehouse (MARKETPULSE_SPARK_WAREHOUSE_URL) are
  storage every node of a cluster reads and writes: a folder mounted on each, or an
  object-store URL, kept as a URL (`s3a://bucket/warehouse` stays that).
- MARKETPULSE_SPARK_DIR is the driver's own folder: the embedded Derby metastore, derby.log,
  dlt's pipeline state. The warehouse defaults to `<MARKETPULSE_SPARK_DIR>/warehouse`, as
  before the two were separate settings.
- The metastore is that embedded Derby unless MARKETPULSE_SPARK_METASTORE_URIS names an
  external Hive metastore (`thrift://metastore:9083`).
- MARKETPULSE_SPARK_METHOD says who holds the Spark session: `session` (dbt's own process,
  the default), `thrift` (a Spark Thrift server at MARKETPULSE_SPARK_HOST:_PORT as
  MARKETPULSE_SPARK_USER) or `databricks` (MARKETPULSE_SPARK_HOST, _HTTP_PATH and
  DATABRICKS_TOKEN). It picks the output of profiles.yml dbt uses (`spark`, `spark_thrift`,
  `spark_databricks`) and how the Python tools read the tables dbt built: their files under
  MARKETPULSE_SPARK_WAREHOUSE_URL for a session, the server's SQL connection otherwise
  (spark_server.py).
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marketpulse.warehouse.base import ConfigError

# Spark's log4j2 configuration for the dbt process's driver: its repeated WARN lines off,
# the rest as Spark's default (docs/decisions/0014).
LOG4J2_FILE = Path(__file__).with_name("spark-log4j2.properties")

_MEMORY = re.compile(r"^\d+[kmgt]?$", re.IGNORECASE)
_LOCAL = re.compile(r"^local(?:\[(\d+|\*)(?:,\d+)?\])?$")
# Who holds the Spark session: dbt's own process, or a server both dbt and Python connect to.
METHODS = ("session", "thrift", "databricks")
DEFAULT_PORTS = {"thrift": 10000, "databricks": 443}
# dbt-spark's http method reaches a Databricks cluster by its organization and cluster id.
_CLUSTER_PATH = re.compile(r"^/?sql/protocolv1/o/[^/]+/[^/]+/?$")


def location(value: str) -> str:
    """A storage location as Spark and fsspec take it: a URL stays a URL (s3a://, abfss://,
    file://), a path becomes absolute (dbt, dlt and the Python readers agree on it)."""
    if "://" in value:
        return value.rstrip("/")
    return str(Path(value).absolute())


def is_local_location(url: str) -> bool:
    return "://" not in url or url.startswith("file://")


def local_path(url: str) -> Path:
    return Path(url.removeprefix("file://"))


@dataclass(frozen=True)
class SparkSettings:
    """The session dbt starts: the cluster it joins and what it asks of it."""

    master: str = "local[*]"
    driver_memory: str = "6g"
    driver_host: str = "localhost"
    executor_memory: str = "2g"
    executor_cores: int = 2
    # The executors' cores in all: sizes the shuffle partitions on a cluster.
    cluster_cores: int = 2
    shuffle_partitions: int = 4
    ui: bool = False
    metastore_uris: str = ""
    method: str = "session"
    # The server (thrift, databricks); unused by a session.
    host: str = ""
    port: int = 0
    user: str = ""
    http_path: str = ""
    token: str = field(default="", repr=False)

    @property
    def is_local(self) -> bool:
        return _LOCAL.match(self.master) is not None

    @property
    def uses_server(self) -> bool:
        """Whether a server holds the session (and so the tables: Python reads them through it)."""
        return self.method != "session"

    @property
    def dbt_output(self) -> str:
        """The output of profiles.yml this method runs dbt with."""
        return "spark" if self.method == "session" else f"spark_{self.method}"

    def describe_server(self) -> str:
        """Safe to print: never the token."""
        if self.method == "databricks":
            return f"databricks https://{self.host}:{self.port}/{self.http_path.lstrip('/')}"
        return f"thrift://{self.host}:{self.port} as {self.user}"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SparkSettings:
        def get(name: str, default: str) -> str:
            return (env.get(f"MARKETPULSE_SPARK_{name}") or default).strip()

        master = get("MASTER", "local[*]")
        local = _LOCAL.match(master)
        executor_cores = _count(get("EXECUTOR_CORES", "2"), "EXECUTOR_CORES")
        if local:  # every core is this process's
            cores = local.group(1) or "1"
            cluster_cores = (os.cpu_count() or 1) if cores == "*" else int(cores)
        else:
            cluster_cores = _count(get("CLUSTER_CORES", str(executor_cores)), "CLUSTER_CORES")
        # Two tasks a core: enough to balance skew, few enough that the sample's small
        # shuffles are not split into near-empty tasks (4 on a 2-core machine, as before);
        # adaptive execution coalesces them further at run time.
        partitions = get("SHUFFLE_PARTITIONS", str(max(2, 2 * cluster_cores)))
        ui = get("UI", "false").lower()
        if ui not in ("true", "false", "1", "0", "yes", "no"):
            raise ConfigError(f"MARKETPULSE_SPARK_UI={ui!r}: use true or false")
        default_host = "localhost" if local else socket.getfqdn()
        return cls(
            master=master,
            driver_memory=_memory(get("DRIVER_MEMORY", "6g"), "DRIVER_MEMORY"),
            driver_host=get("DRIVER_HOST", default_host),
            executor_memory=_memory(get("EXECUTOR_MEMORY", "2g"), "EXECUTOR_MEMORY"),
            executor_cores=executor_cores,
            cluster_cores=cluster_cores,
            shuffle_partitions=_count(partitions, "SHUFFLE_PARTITIONS"),
            ui=ui in ("true", "1", "yes"),
            metastore_uris=get("METASTORE_URIS", ""),
            **_server(env, get),
        )

    def env(self) -> dict[str, str]:
        return {
            "MARKETPULSE_SPARK_MASTER": self.master,
            "MARKETPULSE_SPARK_DRIVER_MEMORY": self.driver_memory,
            "MARKETPULSE_SPARK_DRIVER_HOST": self.driver_host,
            "MARKETPULSE_SPARK_EXECUTOR_MEMORY": self.executor_memory,
            "MARKETPULSE_SPARK_EXECUTOR_CORES": str(self.executor_cores),
            "MARKETPULSE_SPARK_CLUSTER_CORES": str(self.cluster_cores),
            "MARKETPULSE_SPARK_SHUFFLE_PARTITIONS": str(self.shuffle_partitions),
            "MARKETPULSE_SPARK_UI": "true" if self.ui else "false",
            "MARKETPULSE_SPARK_METASTORE_URIS": self.metastore_uris,
            "MARKETPULSE_SPARK_LOG4J2": str(LOG4J2_FILE),
            "MARKETPULSE_SPARK_METHOD": self.method,
            **self._server_env(),
        }

    def _server_env(self) -> dict[str, str]:
        if not self.uses_server:
            return {}
        env = {"MARKETPULSE_SPARK_HOST": self.host, "MARKETPULSE_SPARK_PORT": str(self.port)}
        if self.method == "thrift":
            env["MARKETPULSE_SPARK_USER"] = self.user
        else:
            env["MARKETPULSE_SPARK_HTTP_PATH"] = self.http_path
            env["DATABRICKS_TOKEN"] = self.token
        return env


def _server(env: Mapping[str, str], get: Callable[[str, str], str]) -> dict[str, Any]:
    """The method and, for a server, where it is; a missing or bad value is one line."""
    method = get("METHOD", "session").lower()
    if method not in METHODS:
        raise ConfigError(f"MARKETPULSE_SPARK_METHOD={method!r}: use one of {', '.join(METHODS)}")
    if method == "session":
        return {"method": method}
    host = get("HOST", "")
    if not host:
        raise ConfigError(
            f"MARKETPULSE_SPARK_METHOD={method} needs MARKETPULSE_SPARK_HOST, the server's name"
        )
    port = _count(get("PORT", str(DEFAULT_PORTS[method])), "PORT")
    if method == "thrift":
        user = get("USER", "marketpulse")
        return {"method": method, "host": host, "port": port, "user": user}
    http_path = get("HTTP_PATH", "")
    token = (env.get("DATABRICKS_TOKEN") or "").strip()
    if not _CLUSTER_PATH.match(http_path) or not token:
        raise ConfigError(
            "MARKETPULSE_SPARK_METHOD=databricks needs MARKETPULSE_SPARK_HTTP_PATH, an all-purpose"
            f" cluster's HTTP path sql/protocolv1/o/<organization>/<cluster> (got {http_path!r}),"
            " and DATABRICKS_TOKEN, an access token"
        )
    return {"method": method, "host": host, "port": port, "http_path": http_path, "token": token}


def _memory(value: str, name: str) -> str:
    if not _MEMORY.match(value):
        raise ConfigError(
            f"MARKETPULSE_SPARK_{name}={value!r} is not a JVM memory size; write e.g. 4g or 512m"
        )
    return value.lower()


def _count(value: str, name: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"MARKETPULSE_SPARK_{name}={value!r}: give a whole number of at least 1")
    return int(value)
