"""The floor of a daily refresh: what dbt itself costs for the refresh's nodes when they do no
work (docs/decisions/0035-refresh-floor.md).

`dbt ls` lists the models the daily refresh selects (bench/steps.py REFRESH_SELECTION) with
their materializations. A scratch dbt project gets one model per listed model, same
materialization (a view, a table, an incremental delete+insert on (symbol, trading_date)), each
selecting one session of `symbols` rows from a one-row-per-symbol relation: the smallest
possible "new day". It is built once (creating the incremental tables), then run again and
timed the way the refresh is (dbt's node times, run_results.json), on the same warehouse,
in a schema of its own that is dropped afterwards. The ratio of this floor to the full build
is the least a refresh of that many nodes can cost on this warehouse, whatever the models do.
"""

from __future__ import annotations

import json
import sys
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

from bench.process import run_process
from bench.warehouses import WarehouseBench
from marketpulse.build.dbt import dbt_env
from marketpulse.warehouse import Warehouse

FLOOR_SCHEMA = "bench_refresh_floor"

_PROJECT = """\
name: refresh_floor
version: "1.0"
profile: marketpulse
config-version: 2
model-paths: ["models"]
models:
  refresh_floor:
    +schema: {schema}
"""

# The default generate_schema_name would prefix the target's schema; keep one plain schema.
_SCHEMA_MACRO = """\
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name }}
{%- endmacro %}
"""

_DAY = """\
{{{{ config(materialized='table') }}}}
select
    'S' || cast(n as {text}) as symbol,
    cast('2026-01-02' as date) as trading_date,
    cast(n as {double}) as value
from ({series}) as symbols(n)
"""

_MODEL = {
    "view": "{{ config(materialized='view') }}\nselect * from {{ ref('new_day') }}\n",
    "table": "{{ config(materialized='table') }}\nselect * from {{ ref('new_day') }}\n",
    "incremental": (
        "{{ config(materialized='incremental', incremental_strategy='delete+insert',"
        " unique_key=['symbol', 'trading_date']) }}\n"
        "select * from {{ ref('new_day') }}\n"
        "{% if is_incremental() %}\n"
        "where trading_date >= (select max(trading_date) from {{ this }})\n"
        "{% endif %}\n"
    ),
}

_SERIES = {
    "duckdb": ("varchar", "double", "select range from range(1, {symbols} + 1)"),
    "postgres": ("text", "double precision", "select generate_series(1, {symbols})"),
}


def refresh_nodes(
    bench: WarehouseBench, warehouse: Warehouse, selection: tuple[str, ...]
) -> list[dict[str, str]]:
    """The models `selection` picks: name and materialization."""
    executable = Path(sys.executable).with_name("dbt")
    finished = run_process(
        [
            str(executable),
            "--quiet",
            "ls",
            "--resource-type",
            "model",
            "--output",
            "json",
            "--output-keys",
            "name",
            "--output-keys",
            "config",
            "--select",
            *selection,
        ],
        dbt_env(warehouse),
    )
    nodes = []
    for line in finished.output.splitlines():
        line = line.strip()
        if line.startswith("{"):
            node = json.loads(line)
            nodes.append({"name": node["name"], "materialized": node["config"]["materialized"]})
    return nodes


def refresh_floor(
    bench: WarehouseBench,
    warehouse: Warehouse,
    selection: tuple[str, ...],
    symbols: int,
) -> dict[str, Any]:
    """dbt's node seconds for no-op stand-ins of the refresh's models (see the module)."""
    if bench.name not in _SERIES:
        return {"seconds": None, "node_seconds": None, "nodes": 0, "note": "not measured"}
    nodes = refresh_nodes(bench, warehouse, selection)
    text, double, series = _SERIES[bench.name]
    with tempfile.TemporaryDirectory(prefix="refresh_floor_") as folder:
        project = Path(folder)
        (project / "models").mkdir()
        (project / "macros").mkdir()
        (project / "dbt_project.yml").write_text(_PROJECT.format(schema=FLOOR_SCHEMA))
        (project / "macros" / "schema.sql").write_text(_SCHEMA_MACRO)
        (project / "models" / "new_day.sql").write_text(
            _DAY.format(text=text, double=double, series=series.format(symbols=symbols))
        )
        for index, node in enumerate(nodes):
            body = _MODEL.get(node["materialized"], _MODEL["table"])
            (project / "models" / f"node_{index:03d}.sql").write_text(body)
        env = dbt_env(warehouse) | {
            "DBT_PROJECT_DIR": str(project),
            "DBT_TARGET_PATH": str(project / "target"),
            "DBT_LOG_PATH": str(project / "logs"),
        }
        executable = str(Path(sys.executable).with_name("dbt"))
        command = [executable, "--quiet", "--no-use-colors", "run", *bench.dbt_args()]
        try:
            run_process([*command, "--full-refresh"], env)
            # Timed: the second run, every incremental table existing (a daily refresh).
            finished = run_process([*command, "--exclude", "new_day"], env)
            results = json.loads((project / "target" / "run_results.json").read_text())
        finally:
            _drop_schema(bench, warehouse)
    return {
        "seconds": finished.seconds,
        "node_seconds": sum(r["execution_time"] for r in results["results"]),
        "nodes": len(results["results"]),
        "materializations": {
            kind: sum(1 for n in nodes if n["materialized"] == kind)
            for kind in sorted({n["materialized"] for n in nodes})
        },
    }


def _drop_schema(bench: WarehouseBench, warehouse: Warehouse) -> None:
    with closing(warehouse.connect(read_only=False)) as connection:
        connection.cursor().execute(f"drop schema if exists {FLOOR_SCHEMA} cascade")
        if bench.name != "duckdb":
            connection.commit()
