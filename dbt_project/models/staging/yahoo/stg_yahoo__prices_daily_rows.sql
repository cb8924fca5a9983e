{#
    Every raw prices_daily row, renamed and cast, NOT deduplicated: the
    quarantine's duplicate-key check needs each copy. key_row_number = 1 is
    the version staging keeps (latest load; ties broken on the values so the
    choice is deterministic); key_row_count > 1 means the natural key is
    duplicated in raw.
#}

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

final as (

    select
        *,
        row_number() over (
            partition by symbol, trading_date
            order by
                loaded_at desc,
                close desc nulls last,
                open desc nulls last,
                high desc nulls last,
                low desc nulls last,
                volume desc nulls last
        ) as key_row_number,
        count(*) over (partition by symbol, trading_date) as key_row_count
    from renamed

)

select * from final
