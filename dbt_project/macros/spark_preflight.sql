{#
    on-run-start, Spark only, before anything is read or written: can the
    executors write where the driver reads? On a cluster, Spark's warehouse and
    the lake must be storage every node sees (one mount on each, or an object
    store). A path only the driver's disk has does not fail by itself: each
    executor writes into its own disk, the driver commits what it finds (nothing)
    and dbt prints OK with the rows lost (issue 20: `dbt seed` printed
    INSERT 11 and the table held 0 rows).

    So one Spark job writes a marker (this run's invocation id, two tasks) under
    <location>/_marketpulse_preflight with executor tasks, and the driver lists
    and reads it back; anything but both rows stops the run with one line naming
    the location and the setting that fixes it. The marker folder stays (two
    tiny files, overwritten by the next run); no reader looks at it.
    var spark_preflight: false skips it (a service where the locations are known good).
    docs/decisions/0042-spark-table-swap-and-preflight.md.
#}
{% macro spark_preflight() -%}
    {{ return(adapter.dispatch('spark_preflight', 'marketpulse')()) }}
{%- endmacro %}

{% macro default__spark_preflight() -%}
{%- endmacro %}

{% macro spark__spark_preflight() -%}
    {%- if not execute or not var('spark_preflight', true) -%}
        {{ return('') }}
    {%- endif -%}
    {%- if run_query('set spark.master').columns[1].values()[0].startswith('local') -%}
        {{ return('') }}  {#- one process: the executors are the driver -#}
    {%- endif -%}
    {%- set warehouse = run_query('set spark.sql.warehouse.dir').columns[1].values()[0] -%}
    {%- set locations = [
        (warehouse, "Spark's warehouse", 'MARKETPULSE_SPARK_WAREHOUSE_URL'),
        (var('raw_lake_url'), 'the lake', 'MARKETPULSE_LAKE_URL'),
    ] -%}
    {%- for root, name, setting in locations -%}
        {%- set folder = root.rstrip('/') ~ '/_marketpulse_preflight' -%}
        {%- do run_query(
            "insert overwrite directory '" ~ folder ~ "' using parquet"
            ~ " select '" ~ invocation_id ~ "' as marker, id from range(0, 2, 1, 2)"
        ) -%}
        {%- do run_query(
            'create or replace temporary view marketpulse_preflight (marker string, id bigint)'
            ~ " using parquet options (path '" ~ folder ~ "')"
        ) -%}
        {%- set found = run_query(
            "select count(*) from marketpulse_preflight where marker = '" ~ invocation_id ~ "'"
        ).columns[0].values()[0] | int -%}
        {%- if found != 2 -%}
            {{ exceptions.raise_compiler_error(
                'Spark executors wrote a marker to ' ~ folder ~ ' and the driver read back '
                ~ found ~ ' of its 2 rows: ' ~ name ~ ' (' ~ root ~ ') is not storage every node'
                ~ ' of the cluster sees; set ' ~ setting ~ ' to a folder mounted at the same path'
                ~ ' on every node or an object-store URL (docs/spark.md)'
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {%- do run_query('drop view if exists marketpulse_preflight') -%}
{%- endmacro %}
