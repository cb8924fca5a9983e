{#- Until the fred source's first load its raw table does not exist: this model is then an
    empty relation of the same columns, and so are the marts built on it
    (macros/source_or_empty.sql, docs/decisions/0033). -#}
{%- set double = marketpulse.type_double() -%}
{%- set text = dbt.type_string() -%}

with source as (

    {{ marketpulse.source_or_empty('fred', 'series', {
        'series_id': text,
        'title': text,
        'frequency': text,
        'frequency_short': text,
        'units': text,
        'units_short': text,
        'seasonal_adjustment': text,
        'seasonal_adjustment_short': text,
        'last_updated_at': marketpulse.type_timestamptz(),
        'observation_start': 'date',
        'observation_end': 'date',
        'data_origin': text,
        '_loaded_at': marketpulse.type_timestamptz(),
    }) }}

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
