{#
    8-byte floating point. dbt's type_float() renders "float", which is only
    4 bytes on DuckDB, so prices use this instead.
#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'marketpulse')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
