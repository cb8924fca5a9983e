{#
    Spark only (dbt-spark's insert_overwrite strategy calls this macro; the
    project's copy replaces the adapter's). An incremental model with a
    unique_key and partition_by selects only its new and recomputed rows, but a
    dynamic partition overwrite (dbt-spark sets partitionOverwriteMode=dynamic)
    replaces every partition it writes with exactly what it writes. So the
    statement writes whole partitions: the model's rows (source_relation, the
    temporary view of the model's select) plus the stored rows of each
    partition they touch whose unique key they do not replace. Partitions the
    model does not touch are left as they are. The result is what delete+insert
    on the unique key gives on DuckDB and Postgres (macros/incremental_strategy.sql).

    Spark reads the table while it overwrites it: the new files are written
    aside and swapped in when the job commits (checked by
    tests/e2e/test_spark_incremental.py), so no staging copy is needed.
    Without a unique_key or partition_by, as in dbt-spark: the select
    replaces the partitions it writes (or the table).
#}
{% macro get_insert_overwrite_sql(source_relation, target_relation, existing_relation) %}
    {%- set dest_columns = adapter.get_columns_in_relation(target_relation) -%}
    {%- set dest_cols_csv = dest_columns | map(attribute='quoted') | join(', ') -%}
    {%- set unique_key = config.get('unique_key') -%}
    {%- set unique_key = [unique_key] if unique_key is string else unique_key -%}
    {%- set partition_by = config.get('partition_by') -%}
    {%- set partition_by = [partition_by] if partition_by is string else partition_by -%}
    {% if existing_relation.is_iceberg %}
    insert overwrite {{ target_relation }}
    {% else %}
    insert overwrite table {{ target_relation }}
    {{ partition_cols(label="partition") }}
    {% endif %}
    select {{ dest_cols_csv }} from {{ source_relation }}
    {%- if unique_key and partition_by %}
    union all
    select {% for column in dest_columns %}stored.{{ column.quoted }}{{ ', ' if not loop.last }}{% endfor %}
    from {{ target_relation }} as stored
    where
        ({{ partition_by | join(', ') }}) in (
            select {{ partition_by | join(', ') }} from {{ source_relation }}
        )
        and not exists (
            select 1
            from {{ source_relation }} as replacing
            where
            {%- for column in unique_key %}
                replacing.{{ column }} = stored.{{ column }}{{ ' and' if not loop.last }}
            {%- endfor %}
        )
    {%- endif %}
{% endmacro %}
