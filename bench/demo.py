"""`make bench-demo` / `python -m bench.demo`: `make demo` on a new DuckDB file, step by step.

The demo runs as a user runs it (one process, `marketpulse demo --quiet`); its last line gives
each step's wall-clock and CPU seconds (the CPU of the demo and of the dbt processes it waited
for). Judged from that line: issue 16's target 5 (the demo without its forecasts and backtests
at most 45 s) and issue 21's (the forecast and backtest steps at most 60 s added). Writes
data/bench/demo.json; --write-docs rewrites the figures in docs/forecasts.md from it and
copies it to docs/demo-bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.backtests import git_commit
from bench.run import bench_demo
from bench.scratch import DEFAULT_PREFIX, scratch
from bench.targets import DEMO_ML_STEPS, evaluate

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "forecasts.md"
PUBLISHED = ROOT / "docs" / "demo-bench.json"
START, END = "<!-- bench-demo:start -->", "<!-- bench-demo:end -->"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.demo", description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "data" / "bench" / "demo.json"))
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="only rewrite docs/forecasts.md's demo figures from the JSON at --out (no run)",
    )
    args = parser.parse_args(argv)
    if args.write_docs:
        text = Path(args.out).read_text()
        write_docs(json.loads(text))
        PUBLISHED.write_text(text)  # the JSON the page's figures come from
        return 0
    folder = ROOT / "data" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "cpu_count": os.cpu_count(),
        "load_average_before": list(os.getloadavg()),
    }
    with scratch(DEFAULT_PREFIX) as run:
        report["demo"] = bench_demo(folder, run, lambda line: print(f"bench-demo: {line}"))
    report["demo"].pop("database", None)
    report["targets"] = [v for v in evaluate({"demo": report["demo"]}) if v["target"] in (5, 7)]
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    steps = report["demo"]["steps"]
    if not all(name in steps for name in DEMO_ML_STEPS):
        print(f"error: the demo's last line gave no step figures: {sorted(steps)}", file=sys.stderr)
        return 2
    for line in summary(report):
        print(f"bench-demo: {line}")
    return 0 if all(v["met"] for v in report["targets"]) else 1


def summary(report: dict[str, Any]) -> list[str]:
    demo = report["demo"]
    steps = ", ".join(
        f"{name} {step['seconds']:.1f} s (CPU {step['cpu_seconds']:.1f})"
        for name, step in demo["steps"].items()
    )
    lines = [f"make demo: {demo['seconds']:.1f} s: {steps}"]
    for v in report["targets"]:
        verdict = "met" if v["met"] else "MISSED"
        lines.append(
            f"target {v['target']}: {v['name']}: {v['value']:.1f} s <= {v['limit']:.0f} s {verdict}"
        )
    return lines


def write_docs(report: dict[str, Any], docs: Path = DOCS) -> None:
    """The demo figures of docs/forecasts.md, from one run's JSON."""
    demo = report["demo"]
    steps = demo["steps"]
    added = next(v for v in report["targets"] if v["target"] == 7)
    cpu = sum(steps[name]["cpu_seconds"] for name in DEMO_ML_STEPS)
    parts = ", ".join(
        f"{name} {steps[name]['seconds']:.1f} s (CPU {steps[name]['cpu_seconds']:.1f} s)"
        for name in DEMO_ML_STEPS
    )
    load = "-".join(f"{x[0]:.1f}" for x in (report["load_average_before"], demo["load_average"]))
    verdict = "met" if added["met"] else "missed"
    text = (
        f"{START}\n"
        f"`make bench-demo` at {report['commit'][:7]} ({report['started_at']}, load average {load}"
        f" on {report['cpu_count']} cores): `make demo` took {demo['seconds']:.1f} s; its forecast"
        f" and backtest steps (walk-forward, regimes, backtests, their dlt loads and dbt builds)"
        f" added **{added['value']:.1f} s** ({parts}; {cpu:.1f} CPU seconds). Target <="
        f" {added['limit']:.0f} s: {verdict}.\n"
        f"{END}"
    )
    page = docs.read_text()
    if START not in page:
        raise SystemExit(f"error: {docs} has no {START} ... {END} section to rewrite")
    before, _, rest = page.partition(START)
    _, _, after = rest.partition(END)
    docs.write_text(before + text + after)


if __name__ == "__main__":
    sys.exit(main())
