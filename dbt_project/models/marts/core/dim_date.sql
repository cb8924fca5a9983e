with date_spine as (

    {{ marketpulse.calendar_spine(var('calendar_start'), var('calendar_end')) }}

),

nyse_calendar as (

    select * from {{ ref('nyse_calendar') }}

),

calendar_days as (

    select
        date_spine.date_day,
        cast(extract(year from date_spine.date_day) as integer) as year,
        cast(extract(quarter from date_spine.date_day) as integer) as quarter,
        cast(extract(month from date_spine.date_day) as integer) as month,
        {{ marketpulse.day_of_week_iso('date_spine.date_day') }} as day_of_week,
        coalesce(nyse_calendar.event_type = 'holiday', false) as is_holiday,
        coalesce(nyse_calendar.event_type = 'early_close', false) as is_early_close
    from date_spine
    left join nyse_calendar
        on date_spine.date_day = nyse_calendar.calendar_date

),

trading_days as (

    select
        date_day,
        year,
        quarter,
        month,
        day_of_week,
        is_early_close,
        day_of_week <= 5 and not is_holiday as is_trading_day
    from calendar_days

),

final as (

    select
        date_day,
        is_trading_day,
        is_early_close,
        year,
        quarter,
        month,
        day_of_week,
        coalesce(
            is_trading_day
            and date_day = max(case when is_trading_day then date_day end) over (
                partition by year, month
            ),
            false
        ) as is_month_end_trading_day
    from trading_days

)

select * from final
