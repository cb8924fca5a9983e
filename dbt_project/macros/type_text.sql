{#
    Unbounded text, the type mart contracts declare for strings. Seeds load
    varchar columns, which Postgres reports as character varying: an
    incremental model with on_schema_change='fail' needs the exact type.
#}
{% macro type_text() -%}
    {{ return(adapter.dispatch('type_text', 'marketpulse')()) }}
{%- endmacro %}

{% macro default__type_text() -%}
    text
{%- endmacro %}

{% macro spark__type_text() -%}
    string
{%- endmacro %}
