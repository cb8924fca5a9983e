{#
    How the per-symbol daily marts (unique key symbol, trading_date) are
    updated incrementally, per adapter. Each model configures
        incremental_strategy=incremental_strategy(),
        partition_by=incremental_partition_by(),
    and selects its new and recomputed rows, as on every adapter.

    DuckDB, Postgres: delete+insert on the unique key; no partitions; the model
    selects the new and recomputed rows only.

    Spark (plain parquet: no merge, no delete+insert): the table is partitioned
    by trading_month (the first day of trading_date's month, a column of every
    such mart on every adapter) and updated with insert_overwrite, which
    dbt-spark runs as a dynamic partition overwrite: every month the select
    returns is replaced by exactly those rows, other months are left alone. So
    the select must return whole months: the new and recomputed rows plus the
    stored rows of each month they touch that they do not replace (by unique
    key): macros/spark_insert_overwrite.sql adds the stored rows, so the model
    SQL stays the same on every adapter. Spark reads {{ this }} while it
    overwrites it (the new files are written aside and swapped in when the job
    ends), so no staging table is needed.
    docs/decisions/0014-spark-and-the-parquet-lake.md.
#}
{% macro incremental_strategy() -%}
    {{ return(adapter.dispatch('incremental_strategy', 'marketpulse')()) }}
{%- endmacro %}

{% macro default__incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{% macro incremental_partition_by() -%}
    {{ return(adapter.dispatch('incremental_partition_by', 'marketpulse')()) }}
{%- endmacro %}

{% macro default__incremental_partition_by() -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__incremental_partition_by() -%}
    {{ return(['trading_month']) }}
{%- endmacro %}

{#
    The first day of the month of a date column, as a date: the partition
    column trading_month.
#}
{% macro month_start(column) -%}
    cast({{ dbt.date_trunc('month', column) }} as date)
{%- endmacro %}
