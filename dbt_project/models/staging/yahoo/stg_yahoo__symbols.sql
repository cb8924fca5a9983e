with source as (

    select * from {{ source('yahoo', 'symbols') }}

),

renamed as (

    select
        cast(symbol as {{ dbt.type_string() }}) as symbol,
        cast(name as {{ dbt.type_string() }}) as symbol_name,
        cast(quote_type as {{ dbt.type_string() }}) as quote_type,
        cast(sector as {{ dbt.type_string() }}) as sector,
        cast(industry as {{ dbt.type_string() }}) as industry,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(exchange as {{ dbt.type_string() }}) as exchange,
        cast(exchange_name as {{ dbt.type_string() }}) as exchange_name,
        cast(exchange_timezone as {{ dbt.type_string() }}) as exchange_timezone,
        cast(data_origin as {{ dbt.type_string() }}) as data_origin,
        _loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by symbol
            order by loaded_at desc
        ) as load_rank
    from renamed

),

final as (

    select
        symbol,
        symbol_name,
        quote_type,
        sector,
        industry,
        currency,
        exchange,
        exchange_name,
        exchange_timezone,
        data_origin,
        loaded_at
    from ranked
    where load_rank = 1

)

select * from final
