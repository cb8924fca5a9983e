{#
    One row per drawdown episode of a symbol: from a peak (a session closing at
    its running high) through the sessions below it to the recovery, the first
    session closing at or above the peak again (null while still below).
    Every episode is kept, however shallow; filter on depth.
#}
with drawdowns as (

    select * from {{ ref('fct_drawdowns') }}

),

numbered as (

    select
        symbol,
        trading_date,
        peak_date,
        drawdown,
        -- bigint on every adapter (Spark's row_number is an int).
        cast(row_number() over (partition by symbol order by trading_date) as bigint)
            as session_number
    from drawdowns

),

underwater as (

    select * from numbered
    where trading_date > peak_date

),

episodes as (

    select
        symbol,
        peak_date,
        min(drawdown) as depth,  -- noqa: RF04
        count(*) as underwater_sessions,
        max(session_number) as last_underwater_session
    from underwater
    group by symbol, peak_date

),

troughs as (

    select
        underwater.symbol,
        underwater.peak_date,
        min(underwater.session_number) as trough_session
    from underwater
    inner join episodes
        on
            underwater.symbol = episodes.symbol
            and underwater.peak_date = episodes.peak_date
            and underwater.drawdown = episodes.depth
    group by underwater.symbol, underwater.peak_date

),

final as (

    select
        episodes.symbol,
        episodes.peak_date,
        trough.trading_date as trough_date,
        recovery.trading_date as recovery_date,
        episodes.depth,
        trough.session_number - peak.session_number as decline_trading_days,
        coalesce(recovery.session_number, episodes.last_underwater_session)
        - peak.session_number as length_trading_days,
        recovery.session_number is not null as is_recovered
    from episodes
    inner join troughs
        on
            episodes.symbol = troughs.symbol
            and episodes.peak_date = troughs.peak_date
    inner join numbered as peak
        on
            episodes.symbol = peak.symbol
            and episodes.peak_date = peak.trading_date
    inner join numbered as trough
        on
            troughs.symbol = trough.symbol
            and troughs.trough_session = trough.session_number
    left join numbered as recovery
        on
            episodes.symbol = recovery.symbol
            and episodes.last_underwater_session + 1 = recovery.session_number

)

select * from final
