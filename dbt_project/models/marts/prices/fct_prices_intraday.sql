with bars as (

    select * from {{ ref('stg_yahoo__prices_intraday') }}

),

final as (

    select
        symbol,
        bar_start_at,
        session_date,
        exchange_timezone,
        open,
        high,
        low,
        close,
        volume,
        is_complete
    from bars
    where close is not null

)

select * from final
