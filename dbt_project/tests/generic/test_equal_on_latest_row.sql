{#
    On the latest row of each partition (by order_by), column_name equals
    compare_to, e.g. adj_close = close on each symbol's latest trading_date.
    Fails with the latest rows where they differ (nulls count as different).
#}
{% test equal_on_latest_row(model, column_name, compare_to, partition_by, order_by) %}

with ranked as (

    select
        {{ partition_by }} as partition_key,
        {{ order_by }} as order_key,
        {{ column_name }} as actual_value,
        {{ compare_to }} as expected_value,
        row_number() over (
            partition by {{ partition_by }}
            order by {{ order_by }} desc
        ) as recency_rank
    from {{ model }}

)

select *
from ranked
where
    recency_rank = 1
    and not coalesce(actual_value = expected_value, false)

{% endtest %}
