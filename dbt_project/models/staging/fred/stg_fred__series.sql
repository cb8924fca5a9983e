with source as (

    select * from {{ source('fred', 'series') }}

),

renamed as (

    select
        cast(series_id as {{ dbt.type_string() }}) as indicator_id,
        cast(title as {{ dbt.type_string() }}) as title,
        cast(frequency as {{ dbt.type_string() }}) as frequency,
        cast(frequency_short as {{ dbt.type_string() }}) as frequency_short,
        cast(units as {{ dbt.type_string() }}) as units,
        cast(units_short as {{ dbt.type_string() }}) as units_short,
        cast(seasonal_adjustment as {{ dbt.type_string() }}) as seasonal_adjustment,
        cast(
            seasonal_adjustment_short as {{ dbt.type_string() }}
        ) as seasonal_adjustment_short,
        last_updated_at,
        cast(observation_start as date) as observation_start_date,
        cast(observation_end as date) as observation_end_date,
        cast(data_origin as {{ dbt.type_string() }}) as data_origin,
        _loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by indicator_id
            order by loaded_at desc
        ) as load_rank
    from renamed

),

final as (

    select
        indicator_id,
        title,
        frequency,
        frequency_short,
        units,
        units_short,
        seasonal_adjustment,
        seasonal_adjustment_short,
        last_updated_at,
        observation_start_date,
        observation_end_date,
        data_origin,
        loaded_at
    from ranked
    where load_rank = 1

)

select * from final
