{#
    The UTC calendar date of a timestamp with time zone, whatever the session's
    TimeZone setting is (a plain cast to date would use the session zone).
#}
{% macro utc_date(column) -%}
    {{ return(adapter.dispatch('utc_date', 'marketpulse')(column)) }}
{%- endmacro %}

{% macro default__utc_date(column) -%}
    cast(({{ column }} at time zone 'UTC') as date)
{%- endmacro %}

{% macro spark__utc_date(column) -%}
    to_date({{ column }})
{%- endmacro %}
