"""A Spark standalone cluster on loopback for the Spark end-to-end tests: a master and one
worker started from pyspark's own jars (`spark-class ...deploy.master.Master` / `...Worker`).

The worker runs in a mount namespace of its own (`unshare --mount`; not as root, in a user
namespace too) in which the test session's temporary folder is an empty tmpfs except the
folders given as shared storage: like a second machine, it sees the lake and the warehouse and
nothing of the driver's disk (Derby's metastore, dbt's target). A setting that points Spark's warehouse at the driver's disk then
loses the executors' writes exactly as it would on a real cluster.

`python -m tests.spark_cluster <hidden root> <shared folder>...` starts one by hand and prints
its master URL (Ctrl-C stops it).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from marketpulse.warehouse import Warehouse

LOOPBACK = "127.0.0.1"


class ClusterUnavailable(Exception):
    """The machine cannot run the cluster (no Java, no pyspark, not root for unshare)."""


def spark_home() -> Path | None:
    """pyspark's folder: its jars and bin/ are a Spark distribution."""
    try:
        import pyspark
    except ImportError:
        return None
    return Path(pyspark.__file__).parent


def spark_class() -> Path:
    home = spark_home()
    return (home or Path("/nonexistent")) / "bin" / "spark-class"


def unavailable() -> str | None:
    """Why this machine cannot start the cluster, or None."""
    if shutil.which("java") is None:
        return "java not found"
    if not spark_class().exists():
        return "pyspark's spark-class not found (make setup-spark)"
    if shutil.which("unshare") is None:
        return "the worker's own mount namespace needs unshare (util-linux)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _wait_for_log(process: subprocess.Popen[bytes], log: Path, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            break
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    raise ClusterUnavailable(f"{log.name}: no {text!r} within {timeout:.0f} s\n{tail}")


@dataclass
class Cluster:
    master_url: str
    logs: Path

    def env(self) -> dict[str, str]:
        """The settings that send dbt's Spark session to this cluster."""
        return {
            "MARKETPULSE_SPARK_MASTER": self.master_url,
            "MARKETPULSE_SPARK_DRIVER_HOST": LOOPBACK,
            # The driver plans the indicators' long CTE chain: with 2g its heap ran out
            # (OutOfMemoryError in collectToPython after 1,046 s of a unit test's GC).
            "MARKETPULSE_SPARK_DRIVER_MEMORY": "4g",
            "MARKETPULSE_SPARK_EXECUTOR_MEMORY": WORKER_MEMORY,
            "MARKETPULSE_SPARK_EXECUTOR_CORES": str(WORKER_CORES),
            "MARKETPULSE_SPARK_CLUSTER_CORES": str(WORKER_CORES),
        }


WORKER_CORES = 2
WORKER_MEMORY = "4g"


def _worker_command(hidden: Path, shared: Sequence[Path], stash: Path, command: str) -> list[str]:
    """`unshare --mount` running `command` where `hidden` is an empty tmpfs but for `shared`."""
    steps = ["set -e", f"mkdir -p {stash}"]
    for number, folder in enumerate(shared):
        steps += [f"mkdir -p {stash}/{number}", f"mount --bind {folder} {stash}/{number}"]
    steps.append(f"mount -t tmpfs marketpulse-hidden {hidden}")
    for number, folder in enumerate(shared):
        steps += [f"mkdir -p {folder}", f"mount --bind {stash}/{number} {folder}"]
    steps.append(f"exec {command}")
    # As root a mount namespace is enough; otherwise a user namespace in which we are root
    # (unprivileged user namespaces: Debian's and Ubuntu's default).
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    return ["unshare", *user, "--mount", "--propagation", "private", "sh", "-c", "; ".join(steps)]


@contextmanager
def standalone_cluster(hidden: Path, shared: Sequence[Path], logs: Path) -> Iterator[Cluster]:
    """A master and a worker on loopback; the worker sees `hidden` only as its `shared` folders.
    Both are stopped (their process groups killed) on exit."""
    reason = unavailable()
    if reason:
        raise ClusterUnavailable(reason)
    logs.mkdir(parents=True, exist_ok=True)
    for folder in shared:
        folder.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    master_url = f"spark://{LOOPBACK}:{port}"
    env = {**os.environ, "SPARK_HOME": str(spark_home()), "SPARK_LOCAL_IP": LOOPBACK}
    env["SPARK_LOG_DIR"] = str(logs)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        master_log = logs / "master.log"
        with master_log.open("wb") as out:
            processes.append(
                subprocess.Popen(
                    [
                        str(spark_class()),
                        "org.apache.spark.deploy.master.Master",
                        *("--host", LOOPBACK, "--port", str(port), "--webui-port", "0"),
                    ],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        _wait_for_log(processes[0], master_log, "I have been elected leader", 120)
        work_dir = Path(f"/tmp/marketpulse-spark-worker-{port}")  # outside `hidden`
        worker = (
            f"{spark_class()} org.apache.spark.deploy.worker.Worker --host {LOOPBACK}"
            f" --cores {WORKER_CORES} --memory {WORKER_MEMORY} --webui-port 0"
            f" --work-dir {work_dir} {master_url}"
        )
        stash = Path(f"/tmp/marketpulse-spark-stash-{port}")
        worker_log = logs / "worker.log"
        with worker_log.open("wb") as out:
            processes.append(
                subprocess.Popen(
                    _worker_command(hidden, shared, stash, worker),
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        _wait_for_log(processes[1], worker_log, "Successfully registered with master", 120)
        yield Cluster(master_url, logs)
    finally:
        for process in reversed(processes):  # the process groups this function started
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        shutil.rmtree(f"/tmp/marketpulse-spark-worker-{port}", ignore_errors=True)
        shutil.rmtree(f"/tmp/marketpulse-spark-stash-{port}", ignore_errors=True)


THRIFT_SERVER = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"


def _wait_for_port(process: subprocess.Popen[bytes], port: int, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as sock:
            if sock.connect_ex((LOOPBACK, port)) == 0:
                return
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    raise ClusterUnavailable(
        f"{log.name}: nothing listens on {port} within {timeout:.0f} s\n{tail}"
    )


@contextmanager
def thrift_server(warehouse_url: str, driver_dir: Path, logs: Path) -> Iterator[int]:
    """A Spark Thrift server (pyspark's spark-hive-thriftserver jar) on a free loopback port, in
    local mode, over Spark's warehouse `warehouse_url` and the embedded Derby metastore in
    `driver_dir` (one process at a time: copy a metastore another process may open); yields its
    port and stops it (its process group) on exit. The session's settings as the profile's."""
    reason = unavailable()
    if reason:
        raise ClusterUnavailable(reason)
    logs.mkdir(parents=True, exist_ok=True)
    driver_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    submit = spark_class().with_name("spark-submit")
    confs = {
        "spark.master": "local[2]",
        "spark.driver.memory": "1g",
        "spark.driver.host": LOOPBACK,
        "spark.ui.enabled": "false",
        "spark.sql.warehouse.dir": warehouse_url,
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={driver_dir}/metastore_db;create=true"
        ),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={driver_dir}",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.sql.analyzer.maxIterations": "1000",
        "spark.sql.shuffle.partitions": "4",
    }
    command = [str(submit), "--class", THRIFT_SERVER, "--name", "marketpulse-thrift"]
    for key, value in confs.items():
        command += ["--conf", f"{key}={value}"]
    command.append("spark-internal")
    command += ["--hiveconf", f"hive.server2.thrift.port={port}"]
    command += ["--hiveconf", f"hive.server2.thrift.bind.host={LOOPBACK}"]
    env = {**os.environ, "SPARK_HOME": str(spark_home()), "SPARK_LOCAL_IP": LOOPBACK}
    log = logs / "thrift-server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=driver_dir,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for_port(process, port, log, 180)
        yield port
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class SparkCluster:
    """The session's cluster and the storage its worker shares with the driver."""

    cluster: Cluster
    shared: Path

    def warehouse(self, name: str, driver_dir: Path, **settings: str) -> Warehouse:
        """A Spark warehouse on the cluster: the lake and Spark's tables in shared storage
        (under `name`), Derby's metastore in `driver_dir`, the driver's own disk."""
        from marketpulse.warehouse import Warehouse

        return Warehouse.from_env(
            {
                "WAREHOUSE": "spark",
                "MARKETPULSE_LAKE_URL": str(self.shared / name / "lake"),
                "MARKETPULSE_SPARK_WAREHOUSE_URL": str(self.shared / name / "warehouse"),
                "MARKETPULSE_SPARK_DIR": str(driver_dir / "spark"),
                **self.cluster.env(),
                **settings,
            }
        )


if __name__ == "__main__":
    with standalone_cluster(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]], Path("logs")) as c:
        print(c.master_url, flush=True)
        signal.pause()
