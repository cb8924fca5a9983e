with source as (

    select * from {{ source('trends', 'interest_over_time') }}

),

renamed as (

    select
        cast(keyword as {{ dbt.type_string() }}) as keyword,
        cast(geo as {{ dbt.type_string() }}) as geo,
        cast(observed_date as date) as observed_date,
        cast(interest_score as integer) as interest_score,
        cast(is_partial as boolean) as is_partial,
        cast(timeframe as {{ dbt.type_string() }}) as timeframe,
        cast(data_origin as {{ dbt.type_string() }}) as data_origin,
        _loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by keyword, geo, observed_date
            order by loaded_at desc
        ) as load_rank
    from renamed

),

final as (

    select
        keyword,
        geo,
        observed_date,
        interest_score,
        is_partial,
        timeframe,
        data_origin,
        loaded_at
    from ranked
    where load_rank = 1

)

select * from final
