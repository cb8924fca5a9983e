{#
    Aggregates: the value of `value` on the row with the smallest (first_by) or the
    largest (last_by) `order_by` in the group, without a window sort (DuckDB arg_min_null /
    arg_max_null, Spark min_by / max_by, Postgres the first element of an ordered array_agg).
    `order_by` must be unique within a group (a trading date per symbol and week).
#}
{% macro first_by(value, order_by) -%}
    {{ return(adapter.dispatch('first_by', 'marketpulse')(value, order_by)) }}
{%- endmacro %}

{% macro last_by(value, order_by) -%}
    {{ return(adapter.dispatch('last_by', 'marketpulse')(value, order_by)) }}
{%- endmacro %}

{% macro default__first_by(value, order_by) -%}
    (array_agg({{ value }} order by {{ order_by }}))[1]
{%- endmacro %}

{% macro default__last_by(value, order_by) -%}
    (array_agg({{ value }} order by {{ order_by }} desc))[1]
{%- endmacro %}

{% macro duckdb__first_by(value, order_by) -%}
    arg_min_null({{ value }}, {{ order_by }})
{%- endmacro %}

{% macro duckdb__last_by(value, order_by) -%}
    arg_max_null({{ value }}, {{ order_by }})
{%- endmacro %}

{% macro spark__first_by(value, order_by) -%}
    min_by({{ value }}, {{ order_by }})
{%- endmacro %}

{% macro spark__last_by(value, order_by) -%}
    max_by({{ value }}, {{ order_by }})
{%- endmacro %}
