{#
    Whole seconds from start_ts to end_ts (timestamps): the number of second
    boundaries crossed, like dbt.datediff(..., 'second') on DuckDB and
    Postgres, which this keeps. dbt-spark's datediff wraps each side in
    assert_not_null and ceil/floor; unix_seconds (which truncates the
    fraction) says the same in one line.
#}
{% macro seconds_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('seconds_between', 'marketpulse')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__seconds_between(start_ts, end_ts) -%}
    {{ dbt.datediff(start_ts, end_ts, 'second') }}
{%- endmacro %}

{% macro spark__seconds_between(start_ts, end_ts) -%}
    (unix_seconds({{ end_ts }}) - unix_seconds({{ start_ts }}))
{%- endmacro %}
