with prices_adjusted as (

    select * from {{ ref('int_prices_adjusted') }}

),

final as (

    select
        symbol,
        trading_date,
        open,
        high,
        low,
        close,
        volume,
        dividend,
        split_ratio,
        adj_factor,
        adj_open,
        adj_high,
        adj_low,
        adj_close
    from prices_adjusted
    where close is not null

)

select * from final
