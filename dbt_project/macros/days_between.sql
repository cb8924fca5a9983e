{#
    Whole calendar days from start_date to end_date (dates, not timestamps).
    dbt.datediff casts to timestamps on DuckDB; date arithmetic is exact and
    short on DuckDB and Postgres, and Spark has datediff(end, start).
#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'marketpulse')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    cast(({{ end_date }}) - ({{ start_date }}) as integer)
{%- endmacro %}

{% macro spark__days_between(start_date, end_date) -%}
    datediff({{ end_date }}, {{ start_date }})
{%- endmacro %}
