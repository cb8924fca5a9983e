{#
    The incremental strategy of the large facts, per adapter: delete+insert on
    the unique key (DuckDB, Postgres). Other adapters get their own version.
#}
{% macro marts_incremental_strategy() -%}
    {{ return(adapter.dispatch('marts_incremental_strategy', 'marketpulse')()) }}
{%- endmacro %}

{% macro default__marts_incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}
