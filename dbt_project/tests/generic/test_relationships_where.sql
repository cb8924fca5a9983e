{#
    Like the built-in relationships test, but the parent rows must also match
    to_condition, e.g. every trading_date must be a trading day in dim_date.
#}
{% test relationships_where(model, column_name, to, field, to_condition='1 = 1') %}

with child as (

    select {{ column_name }} as child_key
    from {{ model }}
    where {{ column_name }} is not null

),

parent as (

    select {{ field }} as parent_key
    from {{ to }}
    where {{ to_condition }}

)

select child.child_key
from child
left join parent
    on child.child_key = parent.parent_key
where parent.parent_key is null

{% endtest %}
