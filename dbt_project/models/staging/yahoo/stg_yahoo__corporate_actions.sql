with source as (

    select * from {{ source('yahoo', 'corporate_actions') }}

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
