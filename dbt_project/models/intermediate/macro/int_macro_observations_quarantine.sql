{#
    One row per FRED observation vintage the marts leave out, with the reason:
    missing_value (FRED reported "."), negative_value (a negative value in a
    series that cannot be negative, var fred_non_negative_series).
#}

with observations as (

    select * from {{ ref('stg_fred__observations') }}

),

final as (

    select
        indicator_id,
        observation_date,
        realtime_start,
        value,
        data_origin,
        loaded_at,
        case
            when is_missing then 'missing_value'
            else 'negative_value'
        end as reason_code
    from observations
    where
        is_missing
        or {{ marketpulse.fred_value_is_impossible('indicator_id', 'value') }}

)

select * from final
