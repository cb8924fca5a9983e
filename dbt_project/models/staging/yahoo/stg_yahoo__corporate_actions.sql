{#- Until the yahoo source's first load its raw table does not exist: this model is then an
    empty relation of the same columns, and so are the marts built on it
    (macros/source_or_empty.sql, docs/decisions/0033). -#}
{%- set double = marketpulse.type_double() -%}
{%- set text = dbt.type_string() -%}

with source as (

    {{ marketpulse.source_or_empty('yahoo', 'corporate_actions', {
        'symbol': text,
        'ex_date': 'date',
        'action_type': text,
        'value': double,
        'data_origin': text,
        '_loaded_at': marketpulse.type_timestamptz(),
    }) }}

),

renamed as (

    select
        cast(symbol as {{ dbt.type_string() }}) as symbol,
        cast(ex_date as date) as ex_date,
        cast(action_type as {{ dbt.type_string() }}) as action_type,
        cast(value as {{ marketpulse.type_double() }}) as action_value,
        cast(data_origin as {{ dbt.type_string() }}) as data_origin,
        _loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by symbol, ex_date, action_type
            order by loaded_at desc
        ) as load_rank
    from renamed

),

final as (

    select
        symbol,
        ex_date,
        action_type,
        action_value,
        data_origin,
        loaded_at,
        case
            when action_type = 'dividend' then action_value
        end as dividend_amount,
        case
            when action_type = 'split' then action_value
        end as split_ratio
    from ranked
    where load_rank = 1

)

select * from final
