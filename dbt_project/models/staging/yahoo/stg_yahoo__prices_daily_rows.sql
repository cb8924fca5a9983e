{#- Until the yahoo source's first load its raw table does not exist: this model is then an
    empty relation of the same columns, and so are the marts built on it
    (macros/source_or_empty.sql, docs/decisions/0033). -#}
{%- set double = marketpulse.type_double() -%}
{%- set text = dbt.type_string() -%}
{#
    Every raw prices_daily row, renamed and cast, NOT deduplicated: the
    quarantine's duplicate-key check needs each copy. key_row_number = 1 is
    the version staging keeps (latest load; ties broken on the values so the
    choice is deterministic); key_row_count > 1 means the natural key is
    duplicated in raw.
#}

with source as (

    {{ marketpulse.source_or_empty('yahoo', 'prices_daily', {
        'symbol': text,
        'trading_date': 'date',
        'open': double,
        'high': double,
        'low': double,
        'close': double,
        'adj_close': double,
        'volume': dbt.type_bigint(),
        'exchange_timezone': text,
        'data_origin': text,
        '_loaded_at': marketpulse.type_timestamptz(),
    }) }}

),

renamed as (

    select
        cast(symbol as {{ dbt.type_string() }}) as symbol,
        cast(trading_date as date) as trading_date,
        cast(open as {{ marketpulse.type_double() }}) as open,
        cast(high as {{ marketpulse.type_double() }}) as high,
        cast(low as {{ marketpulse.type_double() }}) as low,
        cast(close as {{ marketpulse.type_double() }}) as close,
        cast(adj_close as {{ marketpulse.type_double() }}) as yahoo_adj_close,
        cast(volume as {{ dbt.type_bigint() }}) as volume,
        cast(exchange_timezone as {{ dbt.type_string() }}) as exchange_timezone,
        cast(data_origin as {{ dbt.type_string() }}) as data_origin,
        _loaded_at as loaded_at
    from source

),

final as (

    select
        *,
        row_number() over (
            partition by symbol, trading_date
            order by
                loaded_at desc,
                close desc nulls last,
                open desc nulls last,
                high desc nulls last,
                low desc nulls last,
                volume desc nulls last
        ) as key_row_number,
        count(*) over (partition by symbol, trading_date) as key_row_count
    from renamed

)

select * from final
