with prices_flagged as (

    select * from {{ ref('int_prices_flagged') }}

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
        adj_close,
        is_outlier
    from prices_flagged
    where close is not null

)

select * from final
