{#
    `select <columns> from source(...)`, or an empty relation of the same columns while the
    raw table does not exist yet (raw_portfolio.optimization_* appear on the first
    `python -m ingest optimize`). `columns`: a list of [name, type] pairs, type one of
    text, double, bigint, date, timestamp (with time zone), boolean.
#}
{% macro optimization_source_or_empty(source_name, table_name, columns) -%}
    {%- set raw = source(source_name, table_name) -%}
    {%- set loaded = not execute or adapter.get_relation(
        database=raw.database, schema=raw.schema, identifier=raw.identifier
    ) is not none -%}
    {%- set types = {
        'text': dbt.type_string(),
        'double': marketpulse.type_double(),
        'bigint': dbt.type_bigint(),
        'date': 'date',
        'timestamp': 'timestamp with time zone',
        'boolean': dbt.type_boolean(),
    } -%}
    {%- if loaded -%}
        select
        {%- for name, type in columns %}
            {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
        from {{ raw }}
    {%- else -%}
        select
        {%- for name, type in columns %}
            cast(null as {{ types[type] }}) as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
        where 1 = 0
    {%- endif -%}
{%- endmacro %}
