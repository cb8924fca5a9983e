with source as (

    select * from {{ source('fred', 'observations') }}

),

renamed as (

    select
        cast(series_id as {{ dbt.type_string() }}) as indicator_id,
        cast(observation_date as date) as observation_date,
        cast(value as {{ marketpulse.type_double() }}) as value,
        cast(data_origin as {{ dbt.type_string() }}) as data_origin,
        _loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by indicator_id, observation_date
            order by loaded_at desc
        ) as load_rank
    from renamed

),

final as (

    select
        indicator_id,
        observation_date,
        value,
        data_origin,
        loaded_at,
        value is null as is_missing
    from ranked
    where load_rank = 1

)

select * from final
