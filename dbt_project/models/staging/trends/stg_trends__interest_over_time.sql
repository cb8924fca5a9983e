{#- Until the trends source's first load its raw table does not exist: this model is then an
    empty relation of the same columns, and so are the marts built on it
    (macros/source_or_empty.sql, docs/decisions/0033). -#}
{%- set double = marketpulse.type_double() -%}
{%- set text = dbt.type_string() -%}

with source as (

    {{ marketpulse.source_or_empty('trends', 'interest_over_time', {
        'keyword': text,
        'geo': text,
        'observed_date': 'date',
        'interest_score': dbt.type_int(),
        'is_partial': dbt.type_boolean(),
        'timeframe': text,
        'data_origin': text,
        '_loaded_at': marketpulse.type_timestamptz(),
    }) }}

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
