{%- set volume_lookback_sessions = 20 -%}

with bars as (

    select * from {{ ref('fct_prices_intraday') }}
    where is_complete

),

daily as (

    select * from {{ ref('fct_prices_daily') }}

),

session_bars as (

    -- bar_number counts the 30-minute slots since the open: the same number is the same time
    -- of day on every session (NYSE always opens at 09:30 New York time).
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
        -- bigint on every adapter (Spark's row_number() is an int)
        cast(row_number() over (
            partition by symbol, session_date
            order by bar_start_at
        ) as {{ dbt.type_bigint() }}) as bar_number,
        dense_rank() over (
            partition by symbol
            order by session_date desc
        ) - 1 as sessions_ago,
        cast(sum(volume) over (
            partition by symbol, session_date
            order by bar_start_at
            rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as session_volume,
        sum((high + low + close) / 3 * volume) over (
            partition by symbol, session_date
            order by bar_start_at
            rows between unbounded preceding and current row
        ) as session_price_volume,
        row_number() over (
            partition by symbol
            order by bar_start_at desc
        ) as recency
    from bars

),

latest as (

    select * from session_bars
    where recency = 1

),

same_time_history as (

    select
        latest.symbol,
        avg(cast(history.session_volume as {{ marketpulse.type_double() }}))
            as avg_session_volume_same_time,
        count(*) as volume_history_sessions
    from latest
    inner join session_bars as history
        on
            latest.symbol = history.symbol
            and latest.bar_number = history.bar_number
            and history.sessions_ago between 1 and {{ volume_lookback_sessions }}
    group by latest.symbol

),

previous_session as (

    select
        latest.symbol,
        max(daily.trading_date) as previous_trading_date
    from latest
    inner join daily
        on
            latest.symbol = daily.symbol
            and latest.session_date > daily.trading_date
    group by latest.symbol

),

previous_close as (

    select
        previous_session.symbol,
        previous_session.previous_trading_date,
        daily.close as previous_close
    from previous_session
    inner join daily
        on
            previous_session.symbol = daily.symbol
            and previous_session.previous_trading_date = daily.trading_date

),

final as (

    select
        latest.symbol,
        latest.bar_start_at,
        latest.session_date,
        latest.exchange_timezone,
        latest.bar_number,
        latest.open as bar_open,
        latest.high as bar_high,
        latest.low as bar_low,
        latest.close as last_price,
        latest.volume as bar_volume,
        previous_close.previous_trading_date,
        previous_close.previous_close,
        latest.session_volume,
        same_time_history.avg_session_volume_same_time,
        latest.close - previous_close.previous_close as net_change,
        (latest.close - previous_close.previous_close)
        / nullif(previous_close.previous_close, 0) as change_pct,
        latest.session_price_volume / nullif(latest.session_volume, 0) as session_vwap,
        coalesce(same_time_history.volume_history_sessions, 0) as volume_history_sessions,
        latest.session_volume
        / nullif(same_time_history.avg_session_volume_same_time, 0) as relative_volume
    from latest
    left join previous_close
        on latest.symbol = previous_close.symbol
    left join same_time_history
        on latest.symbol = same_time_history.symbol

)

select * from final
