"""`make bench` / `python -m bench`: issue 16's targets measured in one run.

Per warehouse and history length: the dlt load of a synthetic universe against a bulk load of
the same rows, the full `dbt build` (models and data tests apart), the indicator and risk
models against TA-Lib / pandas / empyrical reading the same rows, and the daily refresh (one
session appended, everything downstream rebuilt) against the full build. Then `make demo`
and the live path at --live-symbols symbols on DuckDB. Everything goes into one JSON
(data/bench/bench.json, written after every step) and a chart; --write-docs turns them into
docs/benchmarks.{md,json,png} (python -m bench.report). Design: docs/decisions/0022-benchmark.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.run import bench_demo, bench_live, bench_one
from bench.scratch import DEFAULT_PREFIX, BenchError, scratch
from bench.targets import evaluate
from bench.warehouses import bench_for
from marketpulse.build.dbt import ROOT

SCHEMA_VERSION = 1
FULL_CURVE = "1,2,5,10"


def machine() -> dict[str, Any]:
    def first(path: str, key: str) -> str:
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return ""

    memory = first("/proc/meminfo", "MemTotal")
    return {
        "cpu": first("/proc/cpuinfo", "model name") or platform.processor(),
        "cpu_count": os.cpu_count(),
        "memory_mb": round(int(memory.split()[0]) / 1024) if memory else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def git_commit() -> dict[str, Any]:
    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else ""

    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}


def parse_years(text: str) -> list[int]:
    try:
        years = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise BenchError(f"--years-list {text!r}: give whole years, e.g. 2,10") from None
    if not years or years[0] < 1:
        raise BenchError(f"--years-list {text!r}: give at least one length of 1 year or more")
    return years


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    cli.add_argument("--symbols", type=int, default=500, help="universe size (default 500)")
    cli.add_argument("--years-list", default="2,10", help="history lengths in years (default 2,10)")
    cli.add_argument(
        "--full-curve",
        action="store_true",
        help=f"history lengths {FULL_CURVE} (the chart's curve)",
    )
    cli.add_argument(
        "--warehouses",
        default="duckdb,postgres",
        help="of duckdb, postgres, spark (default duckdb,postgres)",
    )
    cli.add_argument(
        "--prefix", default=DEFAULT_PREFIX, help=f"database name prefix (default {DEFAULT_PREFIX})"
    )
    cli.add_argument("--keep", action="store_true", help="keep the databases this run created")
    cli.add_argument(
        "--duckdb-threads",
        type=int,
        default=1,
        help="dbt threads on DuckDB (default 1: dbt-duckdb can race on __dbt_backup with 2)",
    )
    cli.add_argument("--no-demo", action="store_true", help="skip timing `make demo`")
    cli.add_argument("--no-live", action="store_true", help="skip the live-path latency")
    cli.add_argument("--live-symbols", type=int, default=500, help="symbols for the live path")
    cli.add_argument("--output", type=Path, default=ROOT / "data" / "bench")
    cli.add_argument(
        "--write-docs", action="store_true", help="then write docs/benchmarks.{md,json,png}"
    )
    return cli


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return run(args)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace) -> int:
    from bench.report import write_chart, write_docs

    years = parse_years(FULL_CURVE if args.full_curve else args.years_list)
    output = args.output.absolute()
    output.mkdir(parents=True, exist_ok=True)
    benches = [
        bench_for(name.strip(), output, args.duckdb_threads) for name in args.warehouses.split(",")
    ]
    json_path = output / "bench.json"

    def say(message: str) -> None:
        print(message, flush=True)

    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "finished_at": None,
        "machine": machine(),
        "git": git_commit(),
        "parameters": {
            "symbols": args.symbols,
            "years": years,
            "warehouses": [bench.name for bench in benches],
            "duckdb_threads": args.duckdb_threads,
            "live_symbols": None if args.no_live else args.live_symbols,
        },
        "load_average": {"start": list(os.getloadavg()), "end": None},
        "runs": [],
        "demo": None,
        "live": None,
        "targets": [],
    }

    def save() -> None:
        # After every step, so a long bench that stops half-way keeps its figures.
        report["targets"] = evaluate(report)
        json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")

    with scratch(args.prefix, args.keep) as run_scratch:
        say(f"bench run {run_scratch.run_id}: {json_path}")
        demo_file = None
        if not args.no_demo:
            report["demo"] = bench_demo(output, run_scratch, say)
            demo_file = Path(report["demo"]["database"])
            save()
        if not args.no_live:
            report["live"] = bench_live(output, demo_file, args.live_symbols, say)
            save()
        # The long part last: the demo's and the live path's figures are in early.
        for bench in benches:
            for length in years:
                report["runs"].append(bench_one(bench, run_scratch, args.symbols, length, say))
                save()
    report["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    report["load_average"]["end"] = list(os.getloadavg())
    save()
    write_chart(report, output / "bench.png")
    if args.write_docs:
        write_docs(json_path, ROOT / "docs")
    for item in report["targets"]:
        state = {True: "met", False: "MISSED", None: "-"}[item["met"]]
        value = "n/a" if item["value"] is None else f"{item['value']:.3g}"
        say(
            f"target {item['target']} {item['warehouse']:8} {item['name']}: {value}"
            f" (limit {item['comparison']} {item['limit']}) {state}"
        )
    say(f"written: {json_path}, {output / 'bench.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
