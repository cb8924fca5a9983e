with observations as (

    select * from {{ ref('stg_fred__observations') }}

),

-- First and latest vintage are ranked over every vintage, missing ones included, so a value
-- FRED later withdrew (".") is not mistaken for the latest.
ranked as (

    select
        *,
        row_number() over (
            partition by indicator_id, observation_date
            order by realtime_start
        ) as vintage_number,
        row_number() over (
            partition by indicator_id, observation_date
            order by realtime_start desc
        ) as vintage_number_from_latest
    from observations

),

-- FRED's "." (missing) rows stay visible in stg_fred__observations (is_missing);
-- the mart holds observed values only, and none int_macro_observations_quarantine rejects.
final as (

    select
        indicator_id,
        observation_date,
        realtime_start,
        realtime_end,
        value,
        is_first_seen_stamp,
        vintage_number_from_latest = 1 as is_latest_vintage,
        vintage_number = 1 as is_first_release
    from ranked
    where
        not is_missing
        and not {{ marketpulse.fred_value_is_impossible('indicator_id', 'value') }}

)

select * from final
