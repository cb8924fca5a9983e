"""dlt load packages that outlive a run: one a killed run left behind, one the warehouse refused.

dlt keeps a package it could not finish in the pipeline's folder and, on the next `run`, loads
only that package (with a warning) and skips the new data; a package the destination refuses
(a NUL byte Postgres will not store) is retried first by every later run, which then fails too.
`run_pipeline` is how every pipeline of ours loads (the sources, the holdings import):

- a package left pending by an interrupted run is loaded first, deduplicated by dlt whatever
  its tables were marked (a job it had committed may run again), and its rows, counted in the
  warehouse by their `_dlt_load_id`, are reported as loaded by this run;
- a package that cannot be normalized or loaded is copied to `<pipelines dir>/quarantine/
  <pipeline>/<load id>` and aborted (dlt rewinds the pipeline's state to before it, so the
  next run fetches that data again), and the run reports it in one line.

A warehouse that is down or locked is not the package's fault: that package stays pending and
the next run loads it. See docs/decisions/0028-load-packages-set-aside-or-resumed.md.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlt.load.exceptions import LoadClientJobException
from dlt.pipeline.exceptions import PipelineStepFailed

from marketpulse.errors import one_line
from marketpulse.warehouse import Warehouse

QUARANTINE_DIR = "quarantine"
# Where dlt keeps a package's schema, and the table hint `"deduplicated": True` becomes in it.
SCHEMA_FILE = "schema.json"
DEDUPLICATED = "x-stage-data-deduplicated"


@dataclass(frozen=True)
class SetAside:
    """A package that could not be loaded, copied out of the pipeline's way."""

    pipeline_name: str
    load_id: str
    path: Path
    reason: str

    def line(self, retry: str) -> str:
        return (
            f"load package {self.load_id} could not be loaded ({self.reason}); set aside in "
            f"{self.path}; {retry}; delete that folder to drop it"
        )


@dataclass
class PipelineOutcome:
    resumed_rows: dict[str, int] = field(default_factory=dict)  # table -> rows of old packages
    resumed_packages: list[str] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)
    error: BaseException | None = None  # why the run failed (None: it loaded)


def run_pipeline(
    pipeline: Any, data: Any, warehouse: Warehouse, **run_args: Any
) -> PipelineOutcome:
    """Finish what an earlier run left pending, then extract, normalize and load `data`."""
    outcome = PipelineOutcome()
    if pipeline.has_pending_data:
        pending = pending_packages(pipeline)
        try:
            for load_id in pending:
                dedupe_when_resumed(pipeline, load_id)
            if pipeline.list_extracted_load_packages():
                pipeline.normalize()
            pipeline.load()
        except Exception as exc:  # dlt wraps every step's failure in PipelineStepFailed
            if not unloadable(exc, warehouse):
                outcome.error = exc
                return outcome
            outcome.set_aside += _set_aside_quietly(pipeline, exc)
            if pipeline.has_pending_data:  # it could not be set aside: this run cannot load
                outcome.error = exc
                return outcome
        else:
            outcome.resumed_packages = pending
            try:
                outcome.resumed_rows = rows_of_loads(pipeline, pending)
            except Exception:  # a count is a courtesy: the load itself succeeded
                outcome.resumed_rows = {}
    try:
        pipeline.run(data, **run_args)
    except Exception as exc:
        outcome.error = exc
        if unloadable(exc, warehouse):
            outcome.set_aside += _set_aside_quietly(pipeline, exc)
    return outcome


def _set_aside_quietly(pipeline: Any, exc: BaseException) -> list[SetAside]:
    """set_aside, or nothing when even that fails: the load's own error is what to report."""
    try:
        return set_aside(pipeline, _root_reason(exc))
    except Exception:
        return []


def pending_packages(pipeline: Any) -> list[str]:
    return sorted(
        {*pipeline.list_extracted_load_packages(), *pipeline.list_normalized_load_packages()}
    )


def unloadable(exc: BaseException, warehouse: Warehouse) -> bool:
    """Whether the package itself is the problem: a job the warehouse refused, or data dlt could
    not normalize; not a warehouse that is down, locked or refusing the login."""
    if not isinstance(exc, PipelineStepFailed) or exc.step not in ("normalize", "load"):
        return False
    chain = _chain(exc)
    if any(warehouse.is_unreachable(error) for error in chain[1:]):
        return False
    if exc.step == "normalize":
        return True
    return any(isinstance(error, LoadClientJobException) for error in chain)


def set_aside(pipeline: Any, reason: str) -> list[SetAside]:
    """Copy every pending package of `pipeline` to its quarantine folder, then abort them."""
    load_ids = pending_packages(pipeline)
    if not load_ids:
        return []
    target_dir = Path(pipeline.pipelines_dir) / QUARANTINE_DIR / pipeline.pipeline_name
    moved = []
    for load_id in load_ids:
        target = target_dir / load_id
        for source in _package_dirs(Path(pipeline.working_dir), load_id):
            shutil.copytree(source, target, dirs_exist_ok=True)
        moved.append(SetAside(pipeline.pipeline_name, load_id, target, reason))
    pipeline.abort_packages()  # if this fails too, the caller reports the load's own error
    return moved


def dedupe_when_resumed(pipeline: Any, load_id: str) -> None:
    """Take dlt's `deduplicated` mark (loading.MERGE_UNIQUE) off the tables of a package that
    a killed run left: a load job it had committed but not marked done runs again and puts its
    rows into the staging table a second time, so dlt must dedupe before it merges."""
    for folder in _package_dirs(Path(pipeline.working_dir), load_id):
        path = folder / SCHEMA_FILE
        if not path.is_file():
            continue
        schema = json.loads(path.read_text(encoding="utf-8"))
        marked = [t for t in schema.get("tables", {}).values() if t.pop(DEDUPLICATED, False)]
        if marked:  # dlt bumps the schema's version hash when it reads the changed file
            path.write_text(json.dumps(schema), encoding="utf-8")


def rows_of_loads(pipeline: Any, load_ids: Iterable[str]) -> dict[str, int]:
    """Rows in the warehouse that these loads wrote, per table (tables without dlt's load id
    column are not counted)."""
    ids = list(load_ids)
    schema = pipeline.default_schema
    counts: dict[str, int] = {}
    with pipeline.sql_client() as client:
        for table in schema.data_table_names():
            if "_dlt_load_id" not in schema.get_table_columns(table):
                continue
            name = client.make_qualified_table_name(table)
            rows = 0
            for load_id in ids:
                # names from dlt's schema of our own resources, the load id a bound parameter
                result = client.execute_sql(
                    f"select count(*) from {name} where _dlt_load_id = %s", load_id
                )
                rows += int(result[0][0])
            if rows:
                counts[table] = rows
    return counts


def _package_dirs(working_dir: Path, load_id: str) -> list[Path]:
    """Where dlt keeps a package: normalize/extracted/<id> or load/normalized/<id>."""
    return sorted(path for path in working_dir.glob(f"*/*/{load_id}") if path.is_dir())


def _chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _root_reason(exc: BaseException) -> str:
    last = _chain(exc)[-1]
    return f"{type(last).__name__}: {one_line(last)}"
