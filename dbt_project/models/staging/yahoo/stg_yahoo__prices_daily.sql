with price_rows as (

    select * from {{ ref('stg_yahoo__prices_daily_rows') }}

),

-- One row per natural key: the latest load wins (see stg_yahoo__prices_daily_rows).
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
    from price_rows
    where key_row_number = 1

)

select * from final
