with series as (

    select * from {{ ref('stg_fred__series') }}

),

final as (

    select
        indicator_id,
        title,
        frequency,
        units,
        seasonal_adjustment
    from series

)

select * from final
