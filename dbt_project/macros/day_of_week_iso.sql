{# ISO day of week of a date expression: Monday = 1 ... Sunday = 7. #}
{% macro day_of_week_iso(date_expr) -%}
    {{ return(adapter.dispatch('day_of_week_iso', 'marketpulse')(date_expr)) }}
{%- endmacro %}

{% macro default__day_of_week_iso(date_expr) -%}
    cast(extract(isodow from {{ date_expr }}) as integer)
{%- endmacro %}

{# Spark's dayofweek() is Sunday = 1 ... Saturday = 7. #}
{% macro spark__day_of_week_iso(date_expr) -%}
    cast(((dayofweek({{ date_expr }}) + 5) % 7) + 1 as integer)
{%- endmacro %}
