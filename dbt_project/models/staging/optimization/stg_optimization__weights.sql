{#- raw_portfolio.optimization_weights appears on the first `python -m marketpulse optimize`:
    until then this model is an empty relation of the same columns. -#}
with source as (

    {{ marketpulse.source_or_empty('optimization', 'optimization_weights', {
        'run_id': dbt.type_string(),
        'method': dbt.type_string(),
        'point_index': 'integer',
        'symbol': dbt.type_string(),
        'weight': marketpulse.type_double(),
    }) }}

),

final as (

    select
        run_id,
        method,  -- noqa: RF04
        point_index,
        symbol,
        weight
    from source

)

select * from final
