with observations as (

    select * from {{ ref('stg_fred__observations') }}

),

-- FRED's "." (missing) rows stay visible in stg_fred__observations (is_missing);
-- the mart holds observed values only, and none int_macro_observations_quarantine rejects.
final as (

    select
        indicator_id,
        observation_date,
        value
    from observations
    where
        not is_missing
        and not {{ marketpulse.fred_value_is_impossible('indicator_id', 'value') }}

)

select * from final
