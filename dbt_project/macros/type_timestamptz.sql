{#
    An instant: timestamp with time zone on DuckDB and Postgres (what dlt
    loads). Spark's timestamp is already a local-time-zone instant.
#}
{% macro type_timestamptz() -%}
    {{ return(adapter.dispatch('type_timestamptz', 'marketpulse')()) }}
{%- endmacro %}

{% macro default__type_timestamptz() -%}
    timestamp with time zone
{%- endmacro %}

{% macro spark__type_timestamptz() -%}
    timestamp
{%- endmacro %}
