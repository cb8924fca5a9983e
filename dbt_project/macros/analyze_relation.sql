{#
    post-hook of the marts: refresh the planner's statistics of the table just
    written. Postgres only: autovacuum analyzes a table some time after a bulk
    write, and until then the planner underestimates its rows (66x measured on
    fct_prices_daily after an incremental load, issue 16) and picks nested loops
    for the marts that read it. DuckDB and Spark keep their statistics as they write.
#}
{% macro analyze_relation() -%}
    {{ return(adapter.dispatch('analyze_relation', 'marketpulse')()) }}
{%- endmacro %}

{% macro default__analyze_relation() -%}
{%- endmacro %}

{% macro postgres__analyze_relation() -%}
    {%- if model.config.materialized in ('table', 'incremental') -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
