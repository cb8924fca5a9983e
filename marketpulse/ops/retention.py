"""Retention: how long each domain's raw data is kept, applied only by an explicit prune.

`python -m marketpulse prune` (`make prune`) reports, per raw table, how many rows are older than the
domain's retention and would be deleted; `--apply` deletes them. The periods come from the
`[retention]` section of `.dlt/config.toml` (design documents' defaults: prices 2 years, macro 5
years, trends 1 year, news 3 months), overridable like any dlt setting, e.g.
RETENTION__PRICES="3 years". "forever" keeps a domain whole. Table and column names come from
RETENTION_TABLES below, never from input; the cut-off date is always a bound parameter.

A prune propagates (docs/decisions/0033-retention-propagates.md): in the same transaction it
empties the incremental marts and intermediate models built from a pruned domain
(INCREMENTAL_MARTS, INCREMENTAL_INTERMEDIATE), so the next `dbt build` recomputes them in full
from the retained rows, as a fresh build would; the table marts are rebuilt by every build
anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import dlt

from marketpulse.warehouse import ConfigError, Session, Warehouse

DEFAULT_RETENTION = {
    "prices": "2 years",
    "macro": "5 years",
    "trends": "1 year",
    "news": "3 months",
}
# Per domain: (schema, table, the column that dates a row). Domains whose tables do not exist in
# this warehouse (yet) have nothing to prune.
RETENTION_TABLES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "prices": (
        ("raw_yahoo", "prices_daily", "trading_date"),
        ("raw_yahoo", "corporate_actions", "ex_date"),
        ("raw_yahoo", "prices_intraday", "session_date"),
    ),
    "macro": (("raw_fred", "observations", "observation_date"),),
    "trends": (("raw_trends", "interest_over_time", "observed_date"),),
    "news": (
        ("raw_news", "headlines", "published_at"),
        ("raw_news", "headlines_quarantine", "_loaded_at"),  # rejected items, by load time
    ),
}
# The incremental marts (materialized='incremental' in dbt_project/models/marts; a test keeps
# this in step with dbt's manifest) and the domains they are built from. An incremental run
# only adds and replaces rows, and its windows and recurrences continue from the stored rows:
# after a prune they would keep the pruned rows and values computed from them.
INCREMENTAL_MARTS: dict[str, tuple[str, ...]] = {
    "fct_prices_daily": ("prices",),
    "fct_technical_indicators": ("prices",),
    "fct_drawdowns": ("prices",),
    "fct_rolling_risk": ("prices", "macro"),
    "fct_sector_rotation": ("prices",),
    "fct_quality_points": ("prices", "macro"),
    "fct_prices_weekly": ("prices",),
    "fct_drawdown_episodes": ("prices",),
}
# The same for the incremental models under dbt_project/models/intermediate (schema
# intermediate; docs/decisions/0039-incremental-daily-returns.md).
INCREMENTAL_INTERMEDIATE: dict[str, tuple[str, ...]] = {
    "int_daily_returns_enriched": ("prices", "macro"),
}
PERIOD = re.compile(r"^\s*(\d+)\s*(day|week|month|year)s?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class PruneLine:
    domain: str
    table: str
    column: str
    cutoff: date | None
    rows: int | None  # None: the table does not exist here
    applied: bool
    total: int | None = None  # every row of the table, before the prune

    def describe(self) -> str:
        if self.cutoff is None:
            return f"{self.domain:<7} {self.table:<32} kept forever"
        if self.rows is None:
            return f"{self.domain:<7} {self.table:<32} nothing to prune (no such table here)"
        verb = "deleted" if self.applied else "would delete"
        of = f" of {self.total:,}" if self.total is not None else ""
        return (
            f"{self.domain:<7} {self.table:<32} {verb} {self.rows:,}{of} rows"
            f" ({self.column} < {self.cutoff.isoformat()})"
        )


@dataclass(frozen=True)
class Pruned:
    """What a prune did (or would do): per raw table, and the incremental models it emptied."""

    lines: list[PruneLine]
    cleared_marts: list[str]
    applied: bool

    def emptied(self) -> list[PruneLine]:
        """The tables that would lose every row they have: a prune that needs confirmation."""
        return [line for line in self.lines if line.rows and line.rows == line.total]

    def describe(self) -> list[str]:
        lines = [line.describe() for line in self.lines]
        verb = "emptied" if self.applied else "would be emptied"
        for model in self.cleared_marts:
            schema = model.split(".")[0]
            lines.append(f"{schema:<7} {model:<32} {verb}: the next build recomputes it in full")
        return lines


def load_retention() -> dict[str, str]:
    """The retention period per domain from `[retention]` (defaults from the design documents)."""
    periods = dict(DEFAULT_RETENTION)
    for domain in periods:
        value = dlt.config.get(f"retention.{domain}", str)
        if value is not None:
            periods[domain] = str(value)
    for domain, value in periods.items():
        cutoff_date(value, date(2000, 1, 1), domain)  # validate every period up front
    return periods


def cutoff_date(period: str, today: date, domain: str = "") -> date | None:
    """The first date kept: `today` minus the period; None when the domain is kept forever."""
    if period.strip().lower() == "forever":
        return None
    match = PERIOD.match(period)
    if not match:
        raise ConfigError(
            f"retention.{domain} = {period!r} is not a period "
            "(e.g. '2 years', '3 months', '90 days', or 'forever')"
        )
    count, unit = int(match.group(1)), match.group(2).lower()
    if unit == "day":
        return date.fromordinal(today.toordinal() - count)
    if unit == "week":
        return date.fromordinal(today.toordinal() - 7 * count)
    months = count * 12 if unit == "year" else count
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    month += 1
    day = min(today.day, _days_in_month(year, month))
    return date(year, month, day)


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - date(year, month, 1)).days


def prune(
    warehouse: Warehouse, periods: dict[str, str], today: date, apply: bool = False
) -> Pruned:
    """Count (dry run) or delete the raw rows older than each domain's retention; with `apply`,
    also empty the incremental marts built from a domain that lost rows."""
    if not warehouse.exists():
        raise ConfigError(
            f"no warehouse at {warehouse.describe()}; run `make demo` or `make ingest` first"
        )
    if apply and warehouse.append_only:
        raise ConfigError(f"prune reports only: {warehouse.append_only}")
    lines: list[PruneLine] = []
    cleared: list[str] = []
    # One session: with --apply one transaction, all tables or none.
    with warehouse.session(read_only=not apply) as session:
        existing = _existing_columns(session)
        for domain, tables in RETENTION_TABLES.items():
            cutoff = cutoff_date(periods.get(domain, "forever"), today, domain)
            for schema, table, column in tables:
                name = f"{schema}.{table}"
                if cutoff is None or column not in existing.get((schema, table), set()):
                    lines.append(PruneLine(domain, name, column, cutoff, None, False))
                    continue
                where = f'from "{schema}"."{table}" where "{column}" < :cutoff'
                rows = _count(session, f"select count(*) {where}", {"cutoff": cutoff})
                total = _count(session, f'select count(*) from "{schema}"."{table}"', {})
                if apply and rows:
                    session.execute(f"delete {where}", {"cutoff": cutoff})
                lines.append(PruneLine(domain, name, column, cutoff, rows, apply, total))
        pruned = {line.domain for line in lines if line.rows}
        for schema, models in (
            ("intermediate", INCREMENTAL_INTERMEDIATE),
            ("marts", INCREMENTAL_MARTS),
        ):
            for model, domains in models.items():
                if pruned & set(domains) and (schema, model) in existing:
                    if apply:
                        session.execute(f'delete from "{schema}"."{model}"', {})
                    cleared.append(f"{schema}.{model}")
    return Pruned(lines, cleared, apply)


def _count(session: Session, sql: str, params: dict[str, Any]) -> int:
    ((rows,),) = session.rows(sql, params)
    return int(rows)


def _existing_columns(session: Session) -> dict[tuple[str, str], set[str]]:
    schemas = sorted({schema for tables in RETENTION_TABLES.values() for schema, _, _ in tables})
    schemas.extend(["intermediate", "marts"])
    return session.columns(schemas)
