"""Issue 16's targets, judged from a bench report (the JSON), never from anything else.

Each verdict says what was measured, at which size, the limit and whether it was met: `met`
is None when the figure is missing (a step not run) or the warehouse has no limit for it.
"""

from __future__ import annotations

from typing import Any

from bench.warehouses import BENCHES

DEMO_LIMIT_SECONDS = 45.0
# issue 21: the forecasts (walk-forward, regimes, their marts) and the backtests (their marts)
DEMO_ML_LIMIT_SECONDS = 60.0
DEMO_ML_STEPS = ("forecast", "backtest")
LIVE_LIMIT_SECONDS = 10.0


def verdict(
    number: int,
    name: str,
    warehouse: str,
    value: float | None,
    limit: float | None,
    unit: str,
    size: str,
    strict: bool = False,
) -> dict[str, Any]:
    met: bool | None = None
    if value is not None and limit is not None:
        met = value < limit if strict else value <= limit
    return {
        "target": number,
        "name": name,
        "warehouse": warehouse,
        "value": value,
        "limit": limit,
        "comparison": "<" if strict else "<=",
        "unit": unit,
        "size": size,
        "met": met,
    }


def evaluate(report: dict[str, Any]) -> list[dict[str, Any]]:
    verdicts: list[dict[str, Any]] = []
    for name, bench in BENCHES.items():
        runs = sorted(
            (r for r in report.get("runs", []) if r["warehouse"] == name), key=lambda r: r["years"]
        )
        if not runs:
            continue
        largest = runs[-1]
        size = f"{largest['symbols']} x {largest['years']}y"
        ratios = largest["ratios"]
        verdicts.append(
            verdict(
                1,
                "full indicator model / TA-Lib read + compute",
                name,
                ratios["indicators_to_talib"],
                bench.indicator_limit,
                "x",
                size,
            )
        )
        verdicts.append(
            verdict(
                2,
                "daily refresh (models) / full build (models)",
                name,
                ratios["refresh_to_full"],
                bench.refresh_share_limit,
                "share",
                size,
            )
        )
        shorter = [r for r in runs[:-1] if r["years"] == 2] or runs[:-1]
        if shorter:
            growth = (
                largest["steps"]["refresh_models"]["node_seconds"]
                / shorter[0]["steps"]["refresh_models"]["node_seconds"]
            )
            verdicts.append(
                verdict(
                    2,
                    f"daily refresh at {largest['years']}y / at {shorter[0]['years']}y",
                    name,
                    growth,
                    bench.refresh_growth_limit,
                    "x",
                    size,
                )
            )
        verdicts.append(
            verdict(
                4,
                f"dlt load / bulk load ({largest['steps']['bulk_load']['method']})",
                name,
                ratios["dlt_load_to_bulk_load"],
                bench.load_limit,
                "x",
                size,
            )
        )
        verdicts.append(
            verdict(
                6,
                "peak memory of the build (dbt process tree)",
                name,
                largest["build_peak_rss_mb"],
                bench.memory_limit_mb,
                "MB",
                size,
            )
        )
    live = report.get("live")
    if live:
        verdicts.append(
            verdict(
                3,
                "new bar -> marts -> WebSocket subscriber (worst symbol, worst round)",
                "duckdb",
                live.get("max_latency_seconds"),
                LIVE_LIMIT_SECONDS,
                "s",
                f"{live.get('symbols')} symbols",
                strict=True,
            )
        )
    demo = report.get("demo")
    if demo:
        steps = demo.get("steps") or {}
        ml = [steps[name]["seconds"] for name in DEMO_ML_STEPS if name in steps]
        added = sum(ml) if len(ml) == len(DEMO_ML_STEPS) else None
        seconds = demo.get("seconds")
        verdicts.append(
            verdict(
                5,
                "make demo (load, dbt build with every data test, optimize)",
                "duckdb",
                seconds - added if seconds is not None and added is not None else seconds,
                DEMO_LIMIT_SECONDS,
                "s",
                "bundled sample",
            )
        )
        verdicts.append(
            verdict(
                7,
                "make demo's forecasts and backtests (walk-forward, regimes, backtests, marts)",
                "duckdb",
                added,
                DEMO_ML_LIMIT_SECONDS,
                "s",
                "bundled sample",
            )
        )
    return sorted(verdicts, key=lambda v: (v["target"], v["warehouse"]))
