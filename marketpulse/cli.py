"""`marketpulse ...` (the console script): thin; parses arguments and calls the pipelines.

marketpulse ingest [--sources yahoo,fred,trends,news] [--symbols AAPL,MSFT] [--sample]
marketpulse demo      # bundled sample data -> dlt -> dbt build -> summary
marketpulse summary   # rows and date range per mart
marketpulse query "select ..."   # any SQL on the warehouse, read-only; prints the rows
marketpulse reset [--yes]   # empty the warehouse of this project's data; lists it without --yes
marketpulse grant-bi  # Postgres: read-only BI role on `marts`
marketpulse prune [--apply [--yes]] [--as-of YYYY-MM-DD]   # retention; dry run by default
marketpulse build [dbt args]   # dbt build, recorded in the run audit; alerts on failure
marketpulse health [--alert]   # warehouse, last runs, freshness, quality; exit 1 if critical
marketpulse market-open [--at 2024-03-11T14:00:00Z]   # exit 0 open, 3 closed
marketpulse watch [--interval 60]   # intraday micro-batches while the market is open
marketpulse serve [--port 8765]     # live WebSocket service (marketpulse/live)
marketpulse import-portfolio FILE [FILE...] [--skip-invalid]   # holdings -> raw_portfolio
marketpulse optimize --portfolio ID | --symbols A,B [--lookback 756] [--max-weight 1]
                          [--allow-short] [--frontier-points 20]   # PyPortfolioOpt -> marts
marketpulse forecast [--symbols A,B] [--since YYYY-MM-DD] [--refit monthly|quarterly] [--deep]
                          # walk-forward forecasts and market regimes -> forecast marts
marketpulse backtest [--config backtests.toml] [--strategy NAME,...]   # strategies -> backtest marts
marketpulse export --portfolio ID [--out DIR] [--formats csv,xlsx,json,xml,pdf,zip]
marketpulse artifacts --out DIR FILE...   # copies for upload: server and credentials masked
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path

from marketpulse.build.audited import MartsUnreadableError, build
from marketpulse.build.summary import print_summary
from marketpulse.errors import one_line
from marketpulse.ingest import runner
from marketpulse.ingest.config import IngestConfig, validate_series, validate_symbols
from marketpulse.ingest.report import (
    Progress,
    exit_code,
    partial_line,
    refused_line,
    summary_lines,
)
from marketpulse.ops import audit
from marketpulse.ops.alerts import conditions as alert_conditions
from marketpulse.ops.alerts.dispatch import alert
from marketpulse.ops.health import check as health_check
from marketpulse.warehouse import ConfigError, Warehouse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="marketpulse", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("ingest", help="load the sources into the warehouse's raw schemas")
    run.add_argument("--sources", default=",".join(runner.SOURCES), help="comma-separated")
    run.add_argument(
        "--symbols", help="comma-separated Yahoo symbols instead of the configured universe"
    )
    run.add_argument("--series", help="comma-separated FRED series instead of the configured list")
    run.add_argument(
        "--sample", action="store_true", help="replay the bundled sample data (offline)"
    )
    run.add_argument(
        "--quiet",
        action="store_true",
        help="no progress lines (the default when not on a terminal or when CI=true)",
    )
    run.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when any symbol, series or source failed (default: 0 if anything loaded)",
    )
    demo = commands.add_parser("demo", help="offline: sample data -> dlt -> dbt build -> summary")
    demo.add_argument("--quiet", action="store_true")
    commands.add_parser("summary", help="rows and date range per mart")
    query = commands.add_parser("query", help="run one SQL statement read-only; print the rows")
    query.add_argument("sql", help='e.g. "select * from marts.fct_prices_daily limit 5"')
    reset = commands.add_parser(
        "reset", help="list (--yes: delete) this project's schemas or files in the warehouse"
    )
    reset.add_argument("--yes", action="store_true", help="delete; without it, only list")
    commands.add_parser("grant-bi", help="Postgres: a login role that can only read `marts`")
    prune = commands.add_parser(
        "prune", help="report (or --apply: delete) raw rows older than the retention"
    )
    prune.add_argument("--apply", action="store_true", help="delete; without it, a dry run")
    prune.add_argument("--as-of", help="YYYY-MM-DD the retention counts back from (default today)")
    prune.add_argument(
        "--yes", action="store_true", help="with --apply: go on even if a domain loses every row"
    )
    market_open = commands.add_parser(
        "market-open", help="is the NYSE open? exit 0 and `open`, or exit 3 and the next open"
    )
    market_open.add_argument("--at", help="ISO 8601 time with offset (default: now)")
    watch = commands.add_parser(
        "watch", help="while the NYSE is open: intraday bars -> dbt every --interval seconds"
    )
    watch.add_argument("--interval", type=int, default=60, help="seconds between fetches")
    watch.add_argument("--symbols", help="comma-separated Yahoo symbols instead of the universe")
    watch.add_argument(
        "--notify", help="ws://host:port of the live service to nudge after each micro-batch"
    )
    serve = commands.add_parser("serve", help="live WebSocket service pushing intraday updates")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--poll", type=float, default=30.0, help="seconds between snapshot reads")
    commands.add_parser(
        "build", help="dbt build (extra arguments go to dbt), recorded in the run audit"
    )
    health = commands.add_parser("health", help="warehouse, last runs, freshness, quality")
    health.add_argument("--alert", action="store_true", help="also send alerts for what it finds")
    import_portfolio = commands.add_parser(
        "import-portfolio", help="holdings files (.csv .json .xlsx .xml) -> raw_portfolio"
    )
    import_portfolio.add_argument("files", nargs="+", metavar="FILE")
    import_portfolio.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the valid snapshots; land invalid rows in raw_portfolio.rejected_holdings",
    )
    _add_optimize_parser(commands)
    _add_forecast_parser(commands)
    backtest = commands.add_parser(
        "backtest", help="backtest the strategies of backtests.toml -> backtest marts"
    )
    backtest.add_argument("--config", default="backtests.toml", help="the strategies file")
    backtest.add_argument("--strategy", help="comma-separated names: run only these")
    backtest.add_argument("--no-build", action="store_true", help="load the run; skip dbt")
    export = commands.add_parser(
        "export", help="one portfolio from the marts to CSV, Excel, JSON, XML, PDF and a ZIP"
    )
    export.add_argument("--portfolio", required=True, help="portfolio id (dim_portfolio)")
    export.add_argument("--out", help="output directory (default exports/<portfolio id>/)")
    export.add_argument("--formats", help="comma-separated subset of csv,xlsx,json,xml,pdf,zip")
    artifacts = commands.add_parser(
        "artifacts", help="copy files for upload (CI) with the server and credentials masked"
    )
    artifacts.add_argument("--out", required=True, help="directory to copy into")
    artifacts.add_argument("files", nargs="+", metavar="FILE", help="missing files are skipped")
    args, dbt_args = parser.parse_known_args(argv)
    if dbt_args and args.command != "build":  # only `build` passes arguments through (to dbt)
        parser.error(f"unrecognized arguments: {' '.join(dbt_args)}")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "market-open":
        return _market_open(args.at)

    try:
        warehouse = Warehouse.from_env()
        if args.command == "summary":
            return _summary(warehouse)
        if args.command == "artifacts":
            return _artifacts(warehouse, args.out, args.files)
        if args.command == "query":
            return _query(warehouse, args.sql)
        if args.command == "reset":
            return _reset(warehouse, confirmed=args.yes)
        if args.command == "grant-bi":
            return _grant_bi(warehouse)
        if args.command == "prune":
            return _prune(warehouse, apply=args.apply, as_of=args.as_of, yes=args.yes)
        if args.command == "build":
            return _build(warehouse, dbt_args)
        if args.command == "health":
            return _health(warehouse, send=args.alert)
        if args.command == "import-portfolio":
            return _import_portfolio(warehouse, args.files, skip_invalid=args.skip_invalid)
        if args.command == "optimize":
            return _optimize(warehouse, args)
        if args.command == "export":
            return _export(warehouse, args)
        if args.command == "forecast":
            return _forecast(warehouse, args)
        if args.command == "backtest":
            return _backtest(warehouse, args.config, args.strategy, build=not args.no_build)
        if args.command == "serve":
            from marketpulse.live import server

            return server.main(warehouse, args.host, args.port, args.poll)
        config = IngestConfig.load()
        if args.command == "watch":
            return _watch(config, warehouse, args)
        if args.command == "demo":
            return _demo(config, warehouse, quiet=args.quiet)
        sources = tuple(s.strip() for s in args.sources.split(",") if s.strip())
        unknown = [s for s in sources if s not in runner.ALL_SOURCES]
        if unknown:
            known = ", ".join(runner.ALL_SOURCES)
            raise ConfigError(f"unknown source {unknown[0]!r}; known: {known}")
        if args.symbols:
            config = replace(config, symbols=validate_symbols(args.symbols.split(",")))
        if args.series:
            config = replace(config, series=validate_series(args.series.split(",")))
        clients = runner.sample_clients() if args.sample else runner.live_clients(config)
        return _ingest(config, warehouse, clients, sources, quiet=args.quiet, strict=args.strict)
    except (ConfigError, runner.WarehouseUnreachableError, MartsUnreadableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        if isinstance(exc, runner.WarehouseUnreachableError):
            alert(warehouse, alert_conditions.warehouse_unreachable(str(exc)))
        return 2


def _ingest(config, warehouse, clients, sources, quiet: bool, strict: bool = False) -> int:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    run_id = audit.new_run_id()
    reports = runner.run(
        config, warehouse, clients, sources, progress=Progress(quiet=quiet), run_id=run_id
    )
    for line in summary_lines(reports):
        failed = "FAILED" in line or "REFUSED" in line
        print(line, file=sys.stderr if failed else sys.stdout)
    for report in reports:
        for note in report.notes:
            print(f"{report.source}: note: {note}")
    alert(warehouse, alert_conditions.from_reports(reports))
    print(f"ingest finished in {time.monotonic() - started:.1f}s")
    code = exit_code(reports, strict=strict)
    partial = partial_line(reports)
    refused = refused_line(reports)
    if refused:
        print(f"error: {refused}", file=sys.stderr)
    elif partial and code == 0:
        print(f"warning: {partial}", file=sys.stderr)
    elif partial:
        what = "--strict: a failure is fatal" if strict else "nothing loaded"
        print(f"error: {what}; nothing to build from this run", file=sys.stderr)
    return code


def _demo(config: IngestConfig, warehouse: Warehouse, quiet: bool) -> int:
    if not warehouse.is_default:
        print(f"note: the demo is loading into {warehouse.describe()}")
    steps = _Steps()
    print("marketpulse demo: loading the bundled sample data through the dlt pipelines")
    with steps.timed("load"):
        code = _ingest(config, warehouse, runner.sample_clients(), runner.ALL_SOURCES, quiet=quiet)
        if code != 0:
            return code
        code = _import_portfolio(
            warehouse, [runner.SAMPLE_DIR / "portfolio" / "sample_portfolios.csv"]
        )
        if code != 0:
            return code
    print("marketpulse demo: dbt build")
    # Every model and data test; dbt's unit tests (hand-computed rows for the window logic)
    # belong to `make test` (tests/dbt_project/test_unit_tests.py), not to a user's build.
    with steps.timed("build"):
        code = build(
            warehouse,
            "--quiet" if quiet else "--no-use-colors",
            "--exclude-resource-type",
            "unit_test",
        )
    if code != 0:
        print("error: dbt build failed; see the output above", file=sys.stderr)
        return code
    with steps.timed("optimize"):
        code = _demo_optimize(warehouse)
    if code == 0:
        with steps.timed("forecast"):
            code = _demo_forecast(warehouse)
    if code == 0:
        print("marketpulse demo: backtest the strategies of backtests.toml")
        with steps.timed("backtest"):
            code = _backtest(warehouse, "backtests.toml", None)
    print(steps.line())  # before the summary: its last line says how to open the dashboard
    summary = _summary(warehouse)
    return code or summary


class _Steps:
    """The demo's steps, each with its wall-clock and CPU seconds (this process and the dbt
    processes it waited for), printed as one line before the summary; bench.run reads it. CPU seconds
    are what a step costs on a quiet machine; wall seconds grow with other load."""

    def __init__(self) -> None:
        self.seconds: dict[str, tuple[float, float]] = {}
        self.started = time.perf_counter()

    def timed(self, name: str):  # type: ignore[no-untyped-def]
        from contextlib import contextmanager

        @contextmanager
        def clock():  # type: ignore[no-untyped-def]
            began, cpu = time.perf_counter(), _cpu_seconds()
            try:
                yield
            finally:
                self.seconds[name] = (time.perf_counter() - began, _cpu_seconds() - cpu)

        return clock()

    def line(self) -> str:
        total = time.perf_counter() - self.started
        parts = ", ".join(
            f"{name} {wall:.1f} (cpu {cpu:.1f})" for name, (wall, cpu) in self.seconds.items()
        )
        return f"marketpulse demo: {total:.1f} s: {parts}"


def _cpu_seconds() -> float:
    import resource

    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _import_portfolio(
    warehouse: Warehouse, files: list[str] | list[Path], skip_invalid: bool = False
) -> int:
    from marketpulse.portfolio.importing.importing import import_files

    return import_files(warehouse, files, skip_invalid=skip_invalid)


def _build(warehouse: Warehouse, dbt_args: list[str]) -> int:
    code = build(warehouse, *dbt_args)
    if code != 0:
        print("error: dbt build failed; see the output above", file=sys.stderr)
    return code


def _health(warehouse: Warehouse, send: bool) -> int:
    """Exit 1 when a check is critical (see marketpulse/ops/health.py for what is critical)."""
    health = health_check(warehouse)
    for line in health.table():
        print(line)
    if send:
        alert(warehouse, health.alerts)
    return 1 if health.critical else 0


def _artifacts(warehouse: Warehouse, out: str, files: list[str]) -> int:
    from marketpulse.ops.artifacts import copy_masked

    written = copy_masked([Path(f) for f in files], Path(out), warehouse.identifiers())
    names = ", ".join(path.name for path in written) or "nothing (no such files)"
    print(f"artifacts: {out}/: {names} (server and credentials masked)")
    return 0


def _market_open(at: str | None) -> int:
    from datetime import UTC, datetime

    from marketpulse.live import market_hours

    try:
        instant = market_hours.parse_instant(at) if at else datetime.now(UTC)
    except ValueError as exc:
        print(f"error: --at {exc}", file=sys.stderr)
        return 2
    code, line = market_hours.status_line(instant)
    print(line)
    return code


def _watch(config: IngestConfig, warehouse: Warehouse, args: argparse.Namespace) -> int:
    from marketpulse.live import watch

    if args.interval < 1:
        raise ConfigError("--interval must be at least 1 second")
    if args.symbols:
        config = replace(config, symbols=validate_symbols(args.symbols.split(",")))
    runner.check_warehouse(warehouse)
    return watch.main(config, warehouse, interval=args.interval, notify=args.notify)


def _summary(warehouse: Warehouse) -> int:
    try:
        print_summary(warehouse)
    except Exception as exc:  # duckdb / psycopg2 errors: missing file, schema or table
        reason = one_line(exc)
        if warehouse.exists() and warehouse.is_unreachable(exc):  # refused: no "build first"
            print(
                f"error: cannot {warehouse.connect_verb} {warehouse.describe()}: {reason}",
                file=sys.stderr,
            )
            return 2
        print(
            f"error: no marts to summarise in {warehouse.describe()} ({reason}); "
            "run `make demo` or `make build` first",
            file=sys.stderr,
        )
        return 2
    return 0


def _query(warehouse: Warehouse, sql: str) -> int:
    import pandas as pd

    try:
        frame = warehouse.query(sql)
    except Exception as exc:  # duckdb / psycopg2 errors: bad SQL, missing table, unreachable
        print(f"error: query failed on {warehouse.describe()}: {one_line(exc)}", file=sys.stderr)
        return 2
    with pd.option_context("display.width", 200, "display.max_columns", 50):
        print(frame.to_string(index=False))
    return 0


def _reset(warehouse: Warehouse, confirmed: bool) -> int:
    from marketpulse.warehouse import reset

    try:
        found = reset.targets(warehouse) if not confirmed else reset.reset(warehouse)
    except ConfigError:
        raise
    except Exception as exc:  # psycopg2 errors: unreachable server, not the schemas' owner
        print(f"error: reset failed on {warehouse.describe()}: {one_line(exc)}", file=sys.stderr)
        return 2
    if not found:
        print(f"nothing to reset: {warehouse.describe()} holds no marketpulse data")
        return 0
    print(("removed" if confirmed else "would remove") + f" from {warehouse.describe()}:")
    for item in found:
        print(f"  {item}")
    if not confirmed:
        print("nothing removed; run again with --yes (make reset YES=1) to remove them")
    return 0


def _grant_bi(warehouse: Warehouse) -> int:
    from marketpulse.ops.grants import bi_role_settings, grant_bi

    role, password = bi_role_settings()
    try:
        done = grant_bi(warehouse, role, password)
    except ConfigError:
        raise
    except Exception as exc:  # psycopg2 errors: unreachable, not allowed to create roles
        print(f"error: grant-bi failed on {warehouse.describe()}: {one_line(exc)}", file=sys.stderr)
        return 2
    for line in done:
        print(line)
    return 0


def _prune(warehouse: Warehouse, apply: bool, as_of: str | None, yes: bool = False) -> int:
    from datetime import UTC, date, datetime

    from marketpulse.ops.retention import load_retention, prune

    try:
        today = date.fromisoformat(as_of) if as_of else datetime.now(UTC).date()
    except ValueError as exc:
        raise ConfigError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from exc
    periods = load_retention()
    try:
        planned = prune(warehouse, periods, today)
    except ConfigError:
        raise
    except Exception as exc:  # duckdb / psycopg2 errors: missing file, unreachable server
        print(f"error: prune failed on {warehouse.describe()}: {one_line(exc)}", file=sys.stderr)
        return 2
    print(f"retention as of {today.isoformat()} on {warehouse.describe()}:")
    for line in planned.describe():
        print(f"  {line}")
    if not apply:
        print("dry run: nothing deleted; run `make prune APPLY=1` (or --apply) to delete")
        return 0
    emptied = planned.emptied()
    if emptied and not yes:
        what = "every row of " + ", ".join(f"{line.domain} ({line.table})" for line in emptied)
        if not sys.stdin.isatty():
            print(
                f"error: the prune would delete {what}; nothing deleted; run again with --yes"
                " (make prune APPLY=1 YES=1) to confirm",
                file=sys.stderr,
            )
            return 2
        answer = input(f"this deletes {what}; type yes to go on: ").strip().lower()
        if answer != "yes":
            print("nothing deleted")
            return 1
    try:
        done = prune(warehouse, periods, today, apply=True)
    except ConfigError:
        raise
    except Exception as exc:
        print(f"error: prune failed on {warehouse.describe()}: {one_line(exc)}", file=sys.stderr)
        return 2
    print("applied (one transaction):")
    for line in done.describe():
        print(f"  {line}")
    return 0


def _add_optimize_parser(commands) -> None:  # type: ignore[no-untyped-def]
    from marketpulse.portfolio.optimize import engine

    optimize = commands.add_parser(
        "optimize", help="mean-variance optimization (PyPortfolioOpt) -> optimization marts"
    )
    optimize.add_argument("--portfolio", help="portfolio_id: its latest holdings are the universe")
    optimize.add_argument("--symbols", help="comma-separated symbols: an ad-hoc universe instead")
    optimize.add_argument("--lookback", type=int, default=engine.DEFAULT_LOOKBACK, help="sessions")
    optimize.add_argument(
        "--max-weight", type=float, default=engine.DEFAULT_MAX_WEIGHT, help="cap per symbol"
    )
    optimize.add_argument("--allow-short", action="store_true", help="bounds -cap..cap")
    optimize.add_argument(
        "--frontier-points", type=int, default=engine.DEFAULT_FRONTIER_POINTS, help="at least 2"
    )


def _optimize(warehouse: Warehouse, args: argparse.Namespace) -> int:
    from marketpulse.portfolio.optimize.engine import Settings

    symbols = validate_symbols(args.symbols.split(",")) if args.symbols else None
    settings = Settings(args.lookback, args.max_weight, args.allow_short, args.frontier_points)
    return _run_optimization(warehouse, settings, args.portfolio, symbols)


def _run_optimization(warehouse: Warehouse, settings, portfolio, symbols) -> int:  # type: ignore[no-untyped-def]
    from marketpulse.portfolio.optimize import OptimizationError, report_lines, run_optimization

    try:
        run = run_optimization(warehouse, settings, portfolio, symbols)
    except OptimizationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # duckdb / psycopg2 / dlt errors: missing marts, unreachable server
        print(f"error: optimize failed on {warehouse.describe()}: {one_line(exc)}", file=sys.stderr)
        return 2
    for line in report_lines(run):
        print(line)
    return 0


def _demo_optimize(warehouse: Warehouse) -> int:
    """The demo's one optimization (issue 8): the sample portfolio, default settings."""
    from marketpulse.portfolio.optimize import SAMPLE_PORTFOLIO, has_run
    from marketpulse.portfolio.optimize.engine import Settings

    if has_run(warehouse, SAMPLE_PORTFOLIO):  # a second demo adds no rows
        print(f"marketpulse demo: {SAMPLE_PORTFOLIO} already optimized (`make optimize` for more)")
        return 0
    print(f"marketpulse demo: optimize {SAMPLE_PORTFOLIO}")
    return _run_optimization(warehouse, Settings(), SAMPLE_PORTFOLIO, None)


def _add_forecast_parser(commands) -> None:  # type: ignore[no-untyped-def]
    forecast = commands.add_parser(
        "forecast", help="walk-forward forecasts and market regimes -> forecast marts"
    )
    forecast.add_argument("--symbols", help="comma-separated symbols (default: every symbol)")
    forecast.add_argument("--since", help="YYYY-MM-DD: first session to forecast (default: all)")
    forecast.add_argument(
        "--refit", choices=("monthly", "quarterly"), default="monthly", help="refit schedule"
    )
    forecast.add_argument("--no-build", action="store_true", help="load only; no dbt build")
    forecast.add_argument(
        "--deep", action="store_true", help="add the LSTM (needs the deep extra: Keras 3 on JAX)"
    )


def _forecast(warehouse: Warehouse, args: argparse.Namespace) -> int:
    from datetime import date

    from marketpulse.forecast import Settings, lstm

    try:
        since = date.fromisoformat(args.since) if args.since else None
    except ValueError as exc:
        raise ConfigError(f"--since {args.since!r} is not a date (YYYY-MM-DD)") from exc
    symbols = validate_symbols(args.symbols.split(",")) if args.symbols else None
    if args.deep and not lstm.available():
        raise ConfigError(lstm.MISSING_EXTRA)
    settings = Settings(refit=args.refit, since=since)
    deep = lstm.Network() if args.deep else None
    return _run_forecast(warehouse, settings, symbols, args.no_build, deep=deep)


def _run_forecast(  # type: ignore[no-untyped-def]
    warehouse: Warehouse,
    settings,
    symbols=None,
    no_build: bool = False,
    regime_settings=None,
    deep=None,
) -> int:
    from marketpulse.forecast import ForecastError, report_lines, run_forecast
    from marketpulse.forecast import regimes as regime_model

    if regime_settings is None:
        since = pd_timestamp(settings.since)
        regime_settings = regime_model.Settings(refit=settings.refit, since=since)
    try:
        run = run_forecast(
            warehouse, settings, symbols, regime_settings, build=not no_build, deep=deep
        )
    except ForecastError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # duckdb / psycopg2 / dlt errors: missing marts, unreachable server
        print(f"error: forecast failed on {warehouse.describe()}: {one_line(exc)}", file=sys.stderr)
        return 2
    for line in report_lines(run):
        print(line)
    return 0


def pd_timestamp(day):  # type: ignore[no-untyped-def]
    import pandas as pd

    return pd.Timestamp(day) if day is not None else None


def _demo_forecast(warehouse: Warehouse) -> int:
    """The demo's walk-forward (marketpulse.forecast.DEMO_SETTINGS): a second demo adds no rows."""
    from marketpulse.forecast import DEMO_REGIME_SETTINGS, DEMO_SETTINGS

    print("marketpulse demo: walk-forward forecasts and market regimes")
    return _run_forecast(warehouse, DEMO_SETTINGS, regime_settings=DEMO_REGIME_SETTINGS)


def _backtest(warehouse: Warehouse, path: str, only: str | None, build: bool = True) -> int:
    """Exit 2 on a strategies-file error (one line naming the key), 1 when the backtest cannot
    run; a strategy without data is skipped with a warning and the others still land."""
    from marketpulse.backtest import config as backtest_config
    from marketpulse.backtest import report_lines, run_backtests
    from marketpulse.backtest.engine import BacktestError

    try:
        names = [name.strip() for name in only.split(",") if name.strip()] if only else None
        config = backtest_config.load(_project_path(path), names)
    except BacktestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        run = run_backtests(warehouse, config, build=build)
    except BacktestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # duckdb / psycopg2 / dlt errors: missing marts, unreachable server
        print(f"error: backtest failed on {warehouse.describe()}: {one_line(exc)}", file=sys.stderr)
        return 2
    for line in report_lines(run):
        print(line)
    for failure in run.failures:
        print(f"warning: skipped {failure}", file=sys.stderr)
    return 0


def _project_path(path: str) -> Path:
    """A relative strategies file is looked up in the working directory, then the project's."""
    from marketpulse.build.dbt import ROOT

    candidate = Path(path)
    if candidate.is_absolute() or candidate.exists():
        return candidate
    return ROOT / candidate


def _export(warehouse: Warehouse, args: argparse.Namespace) -> int:
    from pathlib import Path

    from marketpulse.portfolio.export import ExportError, export_portfolio, parse_formats

    try:
        formats = parse_formats(args.formats)
        written = export_portfolio(
            warehouse, args.portfolio, Path(args.out) if args.out else None, formats
        )
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
