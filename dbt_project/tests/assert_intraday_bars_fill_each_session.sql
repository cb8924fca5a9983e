-- One 30-minute bar per slot of every NYSE session, half days included, for every symbol:
-- no bar on a non-trading day, no session missing between a symbol's first and last session,
-- and every session but the symbol's latest (which may still be in progress) holds exactly
-- the bars from the open to the close, 30 minutes apart. The alignment of the first bar to
-- 09:30 New York time is checked against exchange_calendars in tests/e2e.

with bars as (

    select * from {{ ref('fct_prices_intraday') }}

),

trading_days as (

    select * from {{ ref('dim_date') }}

),

nyse_calendar as (

    select * from {{ ref('nyse_calendar') }}

),

sessions as (

    select
        bars.symbol,
        bars.session_date,
        count(*) as bars,
        min(bars.bar_start_at) as first_bar_at,
        max(bars.bar_start_at) as last_bar_at
    from bars
    group by bars.symbol, bars.session_date

),

off_grid as (

    select
        bars.symbol,
        bars.session_date,
        'bar not on the 30-minute grid of its session' as failure
    from bars
    inner join sessions
        on bars.symbol = sessions.symbol and bars.session_date = sessions.session_date
    where
        mod(
            cast(
                {{ marketpulse.seconds_between('sessions.first_bar_at', 'bars.bar_start_at') }}
                as {{ dbt.type_bigint() }}
            ),
            30 * 60
        ) <> 0

),

expected as (

    -- Regular sessions run 09:30-16:00 (13 bars); early closes end at close_time_local.
    select
        sessions.symbol,
        sessions.session_date,
        sessions.bars,
        sessions.first_bar_at,
        sessions.last_bar_at,
        trading_days.is_trading_day,
        case
            when nyse_calendar.close_time_local is null then 13
            else (
                cast(substr(nyse_calendar.close_time_local, 1, 2) as integer) * 60
                + cast(substr(nyse_calendar.close_time_local, 4, 2) as integer)
                - 570
            ) / 30
        end as expected_bars,
        max(sessions.session_date) over (partition by sessions.symbol) as latest_session
    from sessions
    inner join trading_days
        on sessions.session_date = trading_days.date_day
    left join nyse_calendar
        on
            sessions.session_date = nyse_calendar.calendar_date
            and nyse_calendar.event_type = 'early_close'

),

wrong_sessions as (

    select
        symbol,
        session_date,
        case
            when not is_trading_day then 'bars on a day the NYSE is closed'
            when bars > expected_bars then 'more bars than the session has slots'
            when session_date < latest_session and bars <> expected_bars
                then 'a complete session lacks bars'
            else 'first and last bar are not a whole session apart'
        end as failure
    from expected
    where
        not is_trading_day
        or bars > expected_bars
        or (
            session_date < latest_session
            and (
                bars <> expected_bars
                or {{ marketpulse.seconds_between('first_bar_at', 'last_bar_at') }}
                <> (expected_bars - 1) * 30 * 60
            )
        )

),

symbol_spans as (

    select
        symbol,
        min(session_date) as first_session,
        max(session_date) as last_session
    from sessions
    group by symbol

),

missing_sessions as (

    select
        symbol_spans.symbol,
        trading_days.date_day as session_date,
        'trading session without bars' as failure
    from symbol_spans
    inner join trading_days
        on
            trading_days.date_day between symbol_spans.first_session
            and symbol_spans.last_session
            and trading_days.is_trading_day
    left join sessions
        on
            symbol_spans.symbol = sessions.symbol
            and trading_days.date_day = sessions.session_date
    where sessions.symbol is null

),

final as (

    select * from off_grid
    union all
    select * from wrong_sessions
    union all
    select * from missing_sessions

)

select * from final
