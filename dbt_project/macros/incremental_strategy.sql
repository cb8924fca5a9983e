{#
    The incremental strategy of the daily marts, per adapter: delete+insert on
    the unique key where the adapter has it (DuckDB, Postgres); merge on Spark
    (Delta), which has no delete+insert.
#}
{% macro incremental_strategy() -%}
    {{ return(adapter.dispatch('incremental_strategy', 'marketpulse')()) }}
{%- endmacro %}

{% macro default__incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__incremental_strategy() -%}
    {{ return('merge') }}
{%- endmacro %}
