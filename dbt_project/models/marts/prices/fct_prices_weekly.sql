with prices as (

    select * from {{ ref('fct_prices_daily') }}

),

weekly as (

    select
        symbol,
        trading_date,
        adj_open,
        adj_high,
        adj_low,
        adj_close,
        volume,
        cast({{ dbt.date_trunc('week', 'trading_date') }} as date) as week_start_date
    from prices

),

-- One group by, no window sort: the week's open and close are the values on its
-- first and last trading date (arg_min / arg_max, see macros/value_at_extreme.sql).
final as (

    select
        symbol,
        week_start_date,
        min(trading_date) as first_trading_date,
        max(trading_date) as last_trading_date,
        cast(count(*) as integer) as trading_days,
        {{ marketpulse.first_by('adj_open', 'trading_date') }} as adj_open,
        max(adj_high) as adj_high,
        min(adj_low) as adj_low,
        {{ marketpulse.last_by('adj_close', 'trading_date') }} as adj_close,
        cast(sum(volume) as bigint) as volume
    from weekly
    group by symbol, week_start_date

)

select * from final
