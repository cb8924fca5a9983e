with observations as (

    select * from {{ ref('stg_fred__observations') }}

),

-- FRED's "." (missing) rows stay visible in stg_fred__observations (is_missing);
-- the mart holds observed values only.
final as (

    select
        indicator_id,
        observation_date,
        value
    from observations
    where not is_missing

)

select * from final
