with prices as (

    select * from {{ ref('fct_prices_daily') }}

),

numbered as (

    select
        symbol,
        trading_date,
        adj_open,
        adj_high,
        adj_low,
        adj_close,
        volume,
        cast({{ dbt.date_trunc('week', 'trading_date') }} as date) as week_start_date,
        row_number() over (
            partition by symbol, {{ dbt.date_trunc('week', 'trading_date') }}
            order by trading_date
        ) as from_week_start,
        row_number() over (
            partition by symbol, {{ dbt.date_trunc('week', 'trading_date') }}
            order by trading_date desc
        ) as from_week_end
    from prices

),

final as (

    select
        symbol,
        week_start_date,
        min(trading_date) as first_trading_date,
        max(trading_date) as last_trading_date,
        cast(count(*) as integer) as trading_days,
        max(case when from_week_start = 1 then adj_open end) as adj_open,
        max(adj_high) as adj_high,
        min(adj_low) as adj_low,
        max(case when from_week_end = 1 then adj_close end) as adj_close,
        cast(sum(volume) as bigint) as volume
    from numbered
    group by symbol, week_start_date

)

select * from final
