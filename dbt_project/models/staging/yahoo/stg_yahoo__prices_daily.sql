with source as (

    select * from {{ source('yahoo', 'prices_daily') }}

),

renamed as (

    select
        cast(symbol as {{ dbt.type_string() }}) as symbol,
        cast(trading_date as date) as trading_date,
        cast(open as {{ marketpulse.type_double() }}) as open,
        cast(high as {{ marketpulse.type_double() }}) as high,
        cast(low as {{ marketpulse.type_double() }}) as low,
        cast(close as {{ marketpulse.type_double() }}) as close,
        cast(adj_close as {{ marketpulse.type_double() }}) as yahoo_adj_close,
        cast(volume as {{ dbt.type_bigint() }}) as volume,
        cast(exchange_timezone as {{ dbt.type_string() }}) as exchange_timezone,
        cast(data_origin as {{ dbt.type_string() }}) as data_origin,
        _loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by symbol, trading_date
            order by loaded_at desc
        ) as load_rank
    from renamed

),

final as (

    select
        symbol,
        trading_date,
        open,
        high,
        low,
        close,
        yahoo_adj_close,
        volume,
        exchange_timezone,
        data_origin,
        loaded_at
    from ranked
    where load_rank = 1

)

select * from final
