{#- The intraday source is opt-in (`--sources intraday`): until it has run, its raw table
    does not exist and this model is an empty relation of the same columns. -#}
{%- set raw = source('yahoo', 'prices_intraday') -%}
{%- set loaded = not execute or adapter.get_relation(
    database=raw.database, schema=raw.schema, identifier=raw.identifier
) is not none -%}

with source as (

    {% if loaded -%}
        select * from {{ raw }}
    {%- else -%}
        select
            cast(null as {{ dbt.type_string() }}) as symbol,
            cast(null as {{ marketpulse.type_timestamptz() }}) as bar_start_at,
            cast(null as date) as session_date,
            cast(null as {{ marketpulse.type_double() }}) as open,
            cast(null as {{ marketpulse.type_double() }}) as high,
            cast(null as {{ marketpulse.type_double() }}) as low,
            cast(null as {{ marketpulse.type_double() }}) as close,
            cast(null as {{ dbt.type_bigint() }}) as volume,
            cast(null as {{ dbt.type_boolean() }}) as is_complete,
            cast(null as {{ dbt.type_string() }}) as exchange_timezone,
            cast(null as {{ dbt.type_string() }}) as data_origin,
            cast(null as {{ marketpulse.type_timestamptz() }}) as _loaded_at
        where 1 = 0
    {%- endif %}

),

renamed as (

    select
        cast(symbol as {{ dbt.type_string() }}) as symbol,
        bar_start_at,
        cast(session_date as date) as session_date,
        cast(open as {{ marketpulse.type_double() }}) as open,
        cast(high as {{ marketpulse.type_double() }}) as high,
        cast(low as {{ marketpulse.type_double() }}) as low,
        cast(close as {{ marketpulse.type_double() }}) as close,
        cast(volume as {{ dbt.type_bigint() }}) as volume,
        coalesce(is_complete, false) as is_complete,
        cast(exchange_timezone as {{ dbt.type_string() }}) as exchange_timezone,
        cast(data_origin as {{ dbt.type_string() }}) as data_origin,
        _loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by symbol, bar_start_at
            order by loaded_at desc
        ) as load_rank
    from renamed

),

final as (

    select
        symbol,
        bar_start_at,
        session_date,
        open,
        high,
        low,
        close,
        volume,
        is_complete,
        exchange_timezone,
        data_origin,
        loaded_at
    from ranked
    where load_rank = 1

)

select * from final
