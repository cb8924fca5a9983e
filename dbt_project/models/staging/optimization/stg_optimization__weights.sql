with source as (

    {{ optimization_source_or_empty('optimization', 'optimization_weights', [
        ['run_id', 'text'],
        ['method', 'text'],
        ['point_index', 'bigint'],
        ['symbol', 'text'],
        ['weight', 'double'],
    ]) }}

),

final as (

    select
        cast(run_id as {{ dbt.type_string() }}) as run_id,
        cast(method as {{ dbt.type_string() }}) as method,  -- noqa: RF04
        cast(point_index as integer) as point_index,
        cast(symbol as {{ dbt.type_string() }}) as symbol,
        cast(weight as {{ marketpulse.type_double() }}) as weight
    from source

)

select * from final
