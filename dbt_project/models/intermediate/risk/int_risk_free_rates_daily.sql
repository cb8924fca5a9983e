{#
    The daily risk-free return for every NYSE session: the last observation of
    var('risk_free_series') (FRED DGS3MO, percent a year) on or before the
    session, carried forward, converted to a daily rate compounding over 252
    sessions: (1 + yield / 100) ^ (1 / 252) - 1. See
    docs/decisions/0006-risk-and-rotation-definitions.md.
#}
{%- set trading_days_per_year = 252 -%}

with calendar as (

    select date_day from {{ ref('dim_date') }}
    where is_trading_day

),

observations as (

    select
        observation_date,
        value
    from {{ ref('fct_macro_observations') }}
    where
        indicator_id = '{{ var("risk_free_series") }}'
        -- the series as FRED shows it today (revisions of a Treasury yield are rare)
        and is_latest_vintage

),

-- Sessions and observations on one time line; a range frame includes an
-- observation dated the same day as the session.
events as (

    select
        date_day as event_date,
        true as is_session,
        cast(null as date) as observation_date
    from calendar

    union all

    select
        observation_date as event_date,
        false as is_session,
        observation_date
    from observations

),

carried_forward as (

    select
        event_date as trading_date,
        is_session,
        max(observation_date) over (
            order by event_date
            range between unbounded preceding and current row
        ) as rate_observation_date
    from events

),

final as (

    select
        carried_forward.trading_date,
        carried_forward.rate_observation_date,
        observations.value as risk_free_rate_annual_pct,
        power(
            1 + observations.value / 100,
            1 / cast({{ trading_days_per_year }} as {{ marketpulse.type_double() }})
        ) - 1 as risk_free_rate_daily
    from carried_forward
    left join observations
        on carried_forward.rate_observation_date = observations.observation_date
    where carried_forward.is_session

)

select * from final
