-- What was known on each trading date: the newest observation of each indicator published
-- (realtime_start) on or before that date, in the vintage current on that date.
--
-- No range join: a vintage can only change the answer on its release date, and only if it
-- belongs to the newest observation known by then. Those releases are unioned with the
-- trading-date spine; a running count of releases numbers the runs of trading dates that
-- share one release, and a max over each run carries the release forward (a portable
-- "last value, ignoring nulls"). Linear in releases plus trading dates, after a sort.
with observations as (

    select * from {{ ref('fct_macro_observations') }}

),

trading_days as (

    select date_day from {{ ref('dim_date') }}
    where is_trading_day

),

known_so_far as (

    select
        indicator_id,
        observation_date,
        realtime_start,
        value,
        max(observation_date) over (
            partition by indicator_id
            order by realtime_start
            range between unbounded preceding and current row
        ) as newest_known_observation_date
    from observations

),

headline_releases as (

    select
        indicator_id,
        realtime_start as event_date,
        0 as is_trading_date,
        observation_date,
        realtime_start,
        value
    from known_so_far
    where observation_date = newest_known_observation_date

),

first_known as (

    select
        indicator_id,
        min(realtime_start) as first_known_date
    from observations
    group by indicator_id

),

last_known as (

    select max(realtime_start) as last_known_date
    from observations

),

spine as (

    select
        first_known.indicator_id,
        trading_days.date_day as event_date,
        1 as is_trading_date,
        cast(null as date) as observation_date,
        cast(null as date) as realtime_start,
        cast(null as {{ marketpulse.type_double() }}) as value
    from first_known
    cross join last_known
    inner join trading_days
        on
            first_known.first_known_date <= trading_days.date_day
            and last_known.last_known_date >= trading_days.date_day

),

events as (

    select * from headline_releases
    union all
    select * from spine

),

-- On a release day the release sorts before the trading date: published that day (before
-- the close) means known that day.
numbered as (

    select
        *,
        count(realtime_start) over (
            partition by indicator_id
            order by event_date, is_trading_date
            rows between unbounded preceding and current row
        ) as release_run
    from events

),

carried as (

    select
        indicator_id,
        event_date,
        is_trading_date,
        max(observation_date) over (
            partition by indicator_id, release_run
        ) as observation_date,
        max(realtime_start) over (
            partition by indicator_id, release_run
        ) as realtime_start,
        max(value) over (
            partition by indicator_id, release_run
        ) as value
    from numbered

),

final as (

    select
        event_date as trading_date,
        indicator_id,
        observation_date,
        realtime_start,
        value
    from carried
    where is_trading_date = 1

)

select * from final
