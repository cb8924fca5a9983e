-- One row per symbol and session that passed every hard rule: the only price
-- rows the marts see. Rejected rows are listed in int_prices_quarantine.
with checked as (

    select * from {{ ref('int_prices_checked') }}

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
    from checked
    where not is_rejected

)

select * from final
