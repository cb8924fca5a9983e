{#
    The combination of combination_of_columns is unique: the model's primary key.
    Fails with one row per duplicated key.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with key_counts as (

    select
        {{ combination_of_columns | join(',\n        ') }},
        count(*) as row_count
    from {{ model }}
    group by
        {{ combination_of_columns | join(',\n        ') }}

)

select * from key_counts
where row_count > 1

{% endtest %}
