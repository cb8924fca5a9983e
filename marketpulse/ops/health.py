"""`make health`: is the platform fit to serve? One table, non-zero exit on anything critical.

critical (exit 1): the warehouse cannot be opened; a source's (or dbt build's) latest run
failed; live data missing for more than 6 hours of NYSE market time.
warning (exit 0): a source never ran, never loaded a row (its marts are empty) or its latest run
was partial; an entity's 30-day quality score under 0.7; a quality check (completeness, gaps,
freshness) failing; a portfolio older than the retained prices (not valued).
ok / info: everything else, e.g. sample data, whose freshness is not judged.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from marketpulse.errors import one_line
from marketpulse.ingest.runner import SOURCES
from marketpulse.ops.alerts import Alert, conditions
from marketpulse.ops.alerts.config import QUALITY_THRESHOLD, STALE_MARKET_HOURS
from marketpulse.warehouse import Warehouse

LEVELS = ("ok", "info", "warning", "critical")
LAST_RUNS_SQL = (
    "select source, status, finished_at, error, run_id from raw_audit.pipeline_runs"
    " order by finished_at"
)
DATA_SQL = "select max(_loaded_at), min(data_origin), max(data_origin) from {table}"
NO_QUALITY = "no fct_data_quality yet (run `make build`)"
UNVALUED_PORTFOLIOS_SQL = (
    "select portfolio_id, inception_date,"
    " (select min(trading_date) from marts.fct_prices_daily)"
    " from marts.dim_portfolio where is_before_retained_prices order by portfolio_id"
)


@dataclass(frozen=True)
class Check:
    name: str
    level: str
    detail: str


@dataclass
class Health:
    checks: list[Check] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)

    def add(self, name: str, level: str, detail: str) -> None:
        self.checks.append(Check(name, level, detail))

    @property
    def critical(self) -> bool:
        return any(check.level == "critical" for check in self.checks)

    def table(self) -> list[str]:
        width = max([len(check.name) for check in self.checks] + [5])
        lines = [f"{'check':<{width}}  {'status':<8}  detail", f"{'-' * width}  --------  ------"]
        lines += [f"{c.name:<{width}}  {c.level:<8}  {c.detail}" for c in self.checks]
        return lines


def _when(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "never"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    hours = (now - value).total_seconds() / 3600
    ago = f"{hours:.1f} h ago" if hours < 48 else f"{hours / 24:.0f} days ago"
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({ago})"


def check(
    warehouse: Warehouse,
    now: datetime | None = None,
    quality_threshold: float = QUALITY_THRESHOLD,
    stale_market_hours: float = STALE_MARKET_HOURS,
    sources: Sequence[str] = SOURCES,
) -> Health:
    now = now or datetime.now(UTC)
    health = Health()
    if not warehouse.exists():
        reason = "no such file; run `make demo` or `make ingest` first"
        health.add("warehouse", "critical", f"cannot open {warehouse.describe()}: {reason}")
        health.alerts += conditions.warehouse_unreachable(f"{warehouse.describe()}: {reason}")
        return health
    try:
        with closing(warehouse.connect(read_only=True, timeout=5)) as connection:
            connection.cursor().execute("select 1")
    except Exception as exc:
        reason = one_line(exc)
        health.add("warehouse", "critical", f"cannot open {warehouse.describe()}: {reason}")
        health.alerts += conditions.warehouse_unreachable(reason)
        return health
    health.add("warehouse", "ok", warehouse.describe())
    _runs(health, warehouse, now, sources)
    _freshness(health, warehouse, now, stale_market_hours)
    _quality(health, warehouse, quality_threshold)
    _portfolios(health, warehouse)
    return health


def _runs(health: Health, warehouse: Warehouse, now: datetime, sources: Sequence[str]) -> None:
    rows = conditions._query(warehouse, LAST_RUNS_SQL)
    latest: dict[str, tuple[Any, ...]] = {}
    last_ok: dict[str, datetime] = {}
    for source, status, finished_at, error, run_id in rows or []:
        latest[source] = (status, finished_at, error, run_id)
        if status == "success":
            last_ok[source] = finished_at
    for source in (*sources, "dbt"):
        name = f"run {source}" if source != "dbt" else "build dbt"
        if source not in latest:
            level = "warning" if source != "dbt" else "info"
            health.add(name, level, "no run recorded in raw_audit.pipeline_runs")
            continue
        status, finished_at, error, run_id = latest[source]
        success = f"last success {_when(last_ok.get(source), now)}"
        if status == "failed":
            health.add(name, "critical", f"latest run {run_id} failed: {error}; {success}")
        elif status == "partial":
            stale = _not_refreshed(warehouse, run_id, source)
            health.add(name, "warning", f"latest run {run_id} partial{stale}; {success}")
        else:
            health.add(name, "ok", success)


def _not_refreshed(warehouse: Warehouse, run_id: str, source: str) -> str:
    """`: not refreshed: XOM, ZZZZ`: the items a partial run failed, whose data is stale."""
    sql = (
        "select item from raw_audit.pipeline_run_failures"
        " where run_id = :run_id and source = :source order by item"
    )
    with warehouse.session(read_only=True) as session:
        items = [row[0] for row in session.rows(sql, {"run_id": run_id, "source": source})]
    if not items:
        return ""
    shown = ", ".join(items[:10]) + (f" and {len(items) - 10} more" if len(items) > 10 else "")
    return f": not refreshed: {shown}"


def _freshness(health: Health, warehouse: Warehouse, now: datetime, hours: float) -> None:
    for source, table in conditions.FRESHNESS_TABLES.items():
        rows = conditions._query(warehouse, DATA_SQL.format(table=table))  # constant names
        if not rows or rows[0][0] is None:
            health.add(
                f"fresh {source}",
                "warning",
                f"never loaded: no rows in {table}; its marts are empty until `make ingest`",
            )
            continue
        loaded_at, first_origin, last_origin = rows[0]
        if first_origin != "live" or last_origin != "live":
            health.add(
                f"fresh {source}",
                "info",
                f"sample data, not judged; loaded {_when(loaded_at, now)}",
            )
            continue
        if loaded_at.tzinfo is None:
            loaded_at = loaded_at.replace(tzinfo=UTC)
        elapsed = conditions.market_time_between(loaded_at, now)
        alerts = conditions.stale({source: loaded_at}, now, hours)
        health.alerts += alerts
        level = "critical" if alerts else "ok"
        market = elapsed.total_seconds() / 3600
        health.add(
            f"fresh {source}",
            level,
            f"last load {_when(loaded_at, now)}; {market:.1f} market hours since (limit {hours:g})",
        )


def _quality(health: Health, warehouse: Warehouse, threshold: float) -> None:
    rows = conditions.quality_rows(warehouse)
    if rows is None:
        health.add("quality", "info", NO_QUALITY)
        return
    if not rows:
        health.add("quality", "warning", "fct_data_quality has no 30d rows")
        return
    grades: dict[str, int] = {}
    for _, _, _, grade, _ in rows:
        grades[str(grade)] = grades.get(str(grade), 0) + 1
    low = conditions.low_quality(rows, threshold)
    health.alerts += low
    summary = ", ".join(f"{grade} {count}" for grade, count in sorted(grades.items()))
    as_of = rows[0][4]
    worst = ", ".join(f"{r[1]} {float(r[2]):.2f}" for r in rows[:3] if r[2] is not None)
    health.add(
        "quality",
        "warning" if low else "ok",
        f"{len(rows)} entities as of {as_of}: {summary}; "
        f"{len(low)} under {threshold:g}; worst: {worst}",
    )
    failing = conditions._query(
        warehouse,
        "select"
        " sum(case when passes_completeness then 0 else 1 end),"
        " sum(case when passes_gaps then 0 else 1 end),"
        " sum(case when passes_freshness then 0 else 1 end)"
        " from marts.fct_data_quality where window_name = '30d'"
        " and as_of_date = (select max(as_of_date) from marts.fct_data_quality"
        " where window_name = '30d')",
    )
    if failing:
        completeness, gaps, freshness = (int(value or 0) for value in failing[0])
        level = "warning" if completeness or gaps or freshness else "ok"
        health.add(
            "quality checks",
            level,
            f"failing: completeness {completeness}, gaps {gaps}, freshness {freshness}",
        )


def _portfolios(health: Health, warehouse: Warehouse) -> None:
    """Portfolios whose history starts before the retained prices (a prune): not valued."""
    rows = conditions._query(warehouse, UNVALUED_PORTFOLIOS_SQL)  # None: no such mart/column
    if not rows:
        return
    first_priced = rows[0][2]
    names = ", ".join(
        f"{portfolio_id} (inception {inception})" for portfolio_id, inception, _ in rows
    )
    health.add(
        "portfolios",
        "warning",
        f"not valued, older than the retained prices (from {first_priced}): {names}",
    )
