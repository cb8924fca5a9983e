{#- Until the yahoo source's first load its raw table does not exist: this model is then an
    empty relation of the same columns, and so are the marts built on it
    (macros/source_or_empty.sql, docs/decisions/0033). -#}
{%- set double = marketpulse.type_double() -%}
{%- set text = dbt.type_string() -%}

with source as (

    {{ marketpulse.source_or_empty('yahoo', 'symbols', {
        'symbol': text,
        'name': text,
        'quote_type': text,
        'sector': text,
        'industry': text,
        'currency': text,
        'exchange': text,
        'exchange_name': text,
        'exchange_timezone': text,
        'data_origin': text,
        '_loaded_at': marketpulse.type_timestamptz(),
    }) }}

),

renamed as (

    select
        cast(symbol as {{ dbt.type_string() }}) as symbol,
        cast(name as {{ dbt.type_string() }}) as symbol_name,
        cast(quote_type as {{ dbt.type_string() }}) as quote_type,
        cast(sector as {{ dbt.type_string() }}) as sector,
        cast(industry as {{ dbt.type_string() }}) as industry,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(exchange as {{ dbt.type_string() }}) as exchange,
        cast(exchange_name as {{ dbt.type_string() }}) as exchange_name,
        cast(exchange_timezone as {{ dbt.type_string() }}) as exchange_timezone,
        cast(data_origin as {{ dbt.type_string() }}) as data_origin,
        _loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by symbol
            order by loaded_at desc
        ) as load_rank
    from renamed

),

final as (

    select
        symbol,
        symbol_name,
        quote_type,
        sector,
        industry,
        currency,
        exchange,
        exchange_name,
        exchange_timezone,
        data_origin,
        loaded_at
    from ranked
    where load_rank = 1

)

select * from final
