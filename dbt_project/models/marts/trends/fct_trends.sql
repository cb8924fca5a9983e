with interest as (

    select * from {{ ref('stg_trends__interest_over_time') }}

),

final as (

    select
        keyword,
        geo,
        observed_date,
        interest_score,
        is_partial,
        loaded_at
    from interest

)

select * from final
