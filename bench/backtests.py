"""`make bench-backtest` / `python -m bench.backtests`: issue 21's backtest target at scale.

A scratch DuckDB with the bench's synthetic universe (500 symbols x 10 years by default, through
the real Yahoo pipeline, bench/universe.py) and the bundled FRED sample (the risk-free rate),
the marts the backtests read built by dbt, then one `marketpulse backtest` of a strategies file
that covers the universe: the SMA crossover (50/200) and RSI mean reversion (14; 30/50) on every
symbol, the quarterly max-Sharpe portfolio of the first 50 symbols, and buy-and-hold of the
first symbol as the benchmark (the synthetic universe has no sector ETFs, so no rotation). Timed
end to end as a user runs it (read the marts, decide and fill, load through dlt, dbt build of
the backtest marts with their tests); target: at most 60 s. Results: data/bench/backtest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.scratch import DEFAULT_PREFIX, scratch
from bench.universe import generate, load_other_samples, load_yahoo, symbol_names
from bench.warehouses import bench_for
from marketpulse.backtest import config as backtest_config
from marketpulse.backtest import run_backtests
from marketpulse.build.dbt import ROOT, run_dbt

TARGET_SECONDS = 60.0
PORTFOLIO_SYMBOLS = 50
# What the backtests read, and the seeds and calendar under them.
UPSTREAM = ("+fct_prices_daily", "+fct_macro_asof_daily", "+int_risk_free_rates_daily")


def strategies_file(symbols: list[str]) -> str:
    lines = [
        "[settings]",
        "initial_capital = 100000.0",
        "fee_bps = 1.0",
        "slippage_bps = 2.0",
        f'benchmark = "{symbols[0]}"',
    ]
    for symbol in symbols:
        name = symbol.lower()
        lines += [
            f"[strategies.sma_{name}]",
            'kind = "sma_crossover"',
            f'symbol = "{symbol}"',
            f"[strategies.rsi_{name}]",
            'kind = "rsi_mean_reversion"',
            f'symbol = "{symbol}"',
        ]
    portfolio = ", ".join(f'"{symbol}"' for symbol in symbols[:PORTFOLIO_SYMBOLS])
    lines += [
        "[strategies.max_sharpe_quarterly]",
        'kind = "max_sharpe"',
        f"symbols = [{portfolio}]",
        "max_weight = 0.1",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.backtests", description=__doc__)
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--out", default=str(ROOT / "data" / "bench" / "backtest.json"))
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="only rewrite docs/backtests.md's figures from the JSON at --out (no run)",
    )
    args = parser.parse_args(argv)
    if args.write_docs:
        write_docs(json.loads(Path(args.out).read_text()))
        return 0
    folder = ROOT / "data" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    bench = bench_for("duckdb", folder)
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "symbols": args.symbols,
        "years": args.years,
        "load_average": os.getloadavg(),
    }
    with scratch(DEFAULT_PREFIX, keep=args.keep) as run:
        warehouse = bench.create(run, args.years)
        os.environ["DBT_TARGET_PATH"] = str(folder / "target-backtest")
        os.environ["DBT_LOG_PATH"] = str(folder / "logs-backtest")
        say(f"synthetic universe: {args.symbols} symbols x {args.years} y")
        prices, actions = generate(args.symbols, args.years)
        load_yahoo(warehouse, prices, actions)
        load_other_samples(warehouse)
        say("dbt: the marts the backtests read")
        selects = [part for model in UPSTREAM for part in ("--select", model)]
        if run_dbt(warehouse, "seed", "--quiet", quiet=True) != 0:
            raise SystemExit("error: dbt seed failed")
        if run_dbt(warehouse, "run", *selects, "--quiet", quiet=True) != 0:
            raise SystemExit("error: dbt run of the upstream marts failed")
        path = folder / "backtests-bench.toml"
        path.write_text(strategies_file(symbol_names(args.symbols)))
        config = backtest_config.load(path)
        report["strategies"] = len(config.strategies)
        say(f"marketpulse backtest: {len(config.strategies)} strategies")
        seconds: dict[str, float] = {}
        started = time.perf_counter()
        result = run_backtests(warehouse, config, seconds=seconds)
        total = time.perf_counter() - started
        report["seconds"] = {"total": total, **seconds}
        report["period"] = [result.start.isoformat(), result.end.isoformat()]
        report["equity_rows"] = sum(len(outcome.simulation.daily) for outcome in result.outcomes)
        report["fills"] = sum(len(outcome.simulation.fills) for outcome in result.outcomes)
        report["failures"] = result.failures
    report["load_average_after"] = os.getloadavg()
    report["target_seconds"] = TARGET_SECONDS
    report["met"] = total <= TARGET_SECONDS
    Path(args.out).write_text(json.dumps(report, indent=2, default=str))
    parts = ", ".join(f"{step} {value:.1f} s" for step, value in seconds.items())
    verdict = "met" if report["met"] else "MISSED"
    say(
        f"backtests at {args.symbols} x {args.years} y: {total:.1f} s ({parts}); "
        f"{report['strategies']} strategies, {report['equity_rows']:,} equity rows, "
        f"{report['fills']:,} fills; target <= {TARGET_SECONDS:.0f} s {verdict} -> {args.out}"
    )
    return 0 if report["met"] else 1


DOCS = ROOT / "docs" / "backtests.md"
START, END = "<!-- bench-backtest:start -->", "<!-- bench-backtest:end -->"


def write_docs(report: dict[str, Any]) -> None:
    """The figures section of docs/backtests.md, from one run's JSON."""
    seconds = report["seconds"]
    parts = ", ".join(f"{step} {value:.1f} s" for step, value in seconds.items() if step != "total")
    load = "-".join(
        f"{value:.1f}" for value in (report["load_average"][0], report["load_average_after"][0])
    )
    verdict = "met" if report["met"] else "missed"
    text = (
        f"{START}\n"
        f"`make bench-backtest` at {report['commit'][:7]} ({report['started_at']}, load average"
        f" {load} on 2 cores): {report['strategies']:,} strategies on {report['symbols']} symbols x"
        f" {report['years']} y ({report['period'][0]}..{report['period'][1]}) in"
        f" **{seconds['total']:.1f} s** ({parts}): {report['equity_rows']:,} equity rows,"
        f" {report['fills']:,} fills. Target <= {report['target_seconds']:.0f} s: {verdict}.\n"
        f"{END}"
    )
    page = DOCS.read_text()
    before, _, rest = page.partition(START)
    _, _, after = rest.partition(END)
    DOCS.write_text(before + text + after)


def git_commit() -> str:
    import subprocess

    result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return result.stdout.strip()


def say(line: str) -> None:
    print(f"bench-backtest: {line}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
