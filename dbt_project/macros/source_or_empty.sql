{#
    A source table that may not exist yet, as a select of typed columns.

    Opt-in sources (a portfolio import, an optimization run) create their raw
    table on their first load. Until then a staging model over them must still
    build, as an empty relation of the same columns, so `dbt build` works on a
    warehouse that never loaded them. When the table exists, a listed column it
    lacks is a typed null (dlt creates a column only once a value arrives).

    columns: a mapping of column name -> SQL type, in output order, e.g.
        {'symbol': dbt.type_string(), 'as_of_date': 'date'}
    Use it as the body of the staging model's `source` import CTE:
        with source as ( {{ marketpulse.source_or_empty('portfolio', 'holdings', columns) }} )
#}
{% macro source_or_empty(source_name, table_name, columns) -%}
    {{ return(adapter.dispatch('source_or_empty', 'marketpulse')(source_name, table_name, columns)) }}
{%- endmacro %}

{% macro default__source_or_empty(source_name, table_name, columns) -%}
    {%- set raw = source(source_name, table_name) -%}
    {%- set relation = none -%}
    {%- set present = [] -%}
    {#- A unit test's fixture stands for the source: it has every column. -#}
    {%- set is_fixture = raw is string or raw.is_cte -%}
    {%- if is_fixture -%}
        {%- set relation = raw -%}
        {%- for name in columns -%}
            {%- do present.append(name | lower) -%}
        {%- endfor -%}
    {%- elif execute -%}
        {%- set relation = adapter.get_relation(
            database=raw.database, schema=raw.schema, identifier=raw.identifier
        ) -%}
        {%- if relation is not none -%}
            {%- for column in adapter.get_columns_in_relation(relation) -%}
                {%- do present.append(column.name | lower) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    select
    {%- for name, data_type in columns.items() %}
        {% if name | lower in present -%}
            cast({{ adapter.quote(name) }} as {{ data_type }}) as {{ name }}
        {%- else -%}
            cast(null as {{ data_type }}) as {{ name }}
        {%- endif -%}
        {{- "," if not loop.last }}
    {%- endfor %}
    {% if relation is not none -%}
        from {{ raw }}
    {%- else -%}
        where 1 = 0
    {%- endif %}
{%- endmacro %}
