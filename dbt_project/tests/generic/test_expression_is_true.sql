{#
    A row-level invariant: fails with every row where expression is not true
    (false or null). Optionally limited to rows matching where_clause.
    Applied to a column, the expression is prefixed with the column name
    (expression: ">= 0" on column volume checks "volume >= 0").
#}
{% test expression_is_true(model, expression, column_name=none, where_clause=none) %}

{%- set full_expression = (column_name ~ ' ' ~ expression) if column_name else expression -%}

select *
from {{ model }}
where
    not coalesce({{ full_expression }}, false)
    {%- if where_clause %}
    and ({{ where_clause }})
    {%- endif %}

{% endtest %}
