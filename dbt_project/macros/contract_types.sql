{#
    Model contracts (`contract: enforced`) declare their column types once, in
    the standard SQL names DuckDB and Postgres share: text, double precision,
    timestamp with time zone, integer, bigint, boolean, date. dbt checks a
    contract by casting nulls to the declared types (get_empty_schema_sql) and
    comparing that query's columns with the model's. Spark has none of text,
    double precision or timestamp with time zone, so on Spark the declared
    types are mapped to its own (string, double, timestamp) before the cast;
    the comparison itself is unchanged. Other adapters use dbt's default.
#}
{% macro spark__get_empty_schema_sql(columns) %}
    {%- set spark_types = {
        'text': 'string',
        'varchar': 'string',
        'character varying': 'string',
        'double precision': 'double',
        'float8': 'double',
        'timestamp with time zone': 'timestamp',
        'timestamptz': 'timestamp',
    } -%}
    {%- set mapped = {} -%}
    {%- for name in columns -%}
        {%- set column = {} -%}
        {%- do column.update(columns[name]) -%}
        {%- if column.get('data_type') is not none -%}
            {%- set declared = column['data_type'] | trim | lower -%}
            {%- do column.update({'data_type': spark_types.get(declared, column['data_type'])}) -%}
        {%- endif -%}
        {%- do mapped.update({name: column}) -%}
    {%- endfor -%}
    {{ return(dbt.default__get_empty_schema_sql(mapped)) }}
{% endmacro %}
