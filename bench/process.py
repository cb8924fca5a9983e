"""Run a child process and measure it: wall seconds and the peak resident set of its whole
process tree (dbt's Python and, on Spark, the JVM it starts; a Postgres server's own memory is
not in the tree and not counted)."""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from marketpulse.build.dbt import ROOT


def high_water_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), 0 once it has gone. Unlike ru_maxrss it
    starts afresh at exec, so a child forked from this large process is measured alone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _status_kb(pid: int, field: str) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (from each process's parent in /proc/<pid>/stat)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo += children.get(child, [])
    return found


def tree_rss_mb(pid: int) -> float:
    """The resident set of `pid` and all its descendants now, in MB: on Spark, dbt's Python
    and the JVM pyspark starts as its child, which VmHWM of dbt alone would miss."""
    return sum(_status_kb(p, "VmRSS") for p in (pid, *descendants(pid))) / 1024


@dataclass
class Finished:
    seconds: float
    peak_rss_mb: float
    output: str
    returncode: int


def run_process(command: list[str], env: dict[str, str], check: bool = True) -> Finished:
    """Run `command` to its end; raises on a non-zero exit when `check`.

    The peak is the larger of the process's own VmHWM and the largest sum of the RSS of the
    process tree seen while polling (every 20 ms; the tree every 100 ms). If this process is
    interrupted (Ctrl-C, SIGTERM), the child is stopped too before the interruption goes on."""
    started = time.perf_counter()
    peak = 0.0
    polls = 0
    with tempfile.TemporaryFile(mode="w+") as output_file:
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=output_file, stderr=subprocess.STDOUT, text=True
        )
        try:
            while process.poll() is None:
                peak = max(peak, high_water_mb(process.pid))
                if polls % 5 == 0:
                    peak = max(peak, tree_rss_mb(process.pid))
                polls += 1
                time.sleep(0.02)
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        wall = time.perf_counter() - started
        output_file.seek(0)
        output = output_file.read()
    if check and process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} failed:\n{output[-3000:]}")
    return Finished(wall, peak, output, process.returncode)
