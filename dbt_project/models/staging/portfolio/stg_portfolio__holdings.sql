{#- raw_portfolio.holdings exists only once a portfolio has been imported; until then this
    model is an empty relation of the same columns (macros/source_or_empty.sql). -#}
{%- set double = marketpulse.type_double() -%}
{%- set text = dbt.type_string() -%}

with source as (

    {{ marketpulse.source_or_empty('portfolio', 'holdings', {
        'portfolio_id': text,
        'portfolio_name': text,
        'as_of_date': 'date',
        'symbol': text,
        'quantity': double,
        'target_weight': double,
        'cost_basis': double,
        'base_currency': text,
        'line_number': dbt.type_bigint(),
        'import_id': text,
        'source_file': text,
        '_loaded_at': marketpulse.type_timestamptz(),
    }) }}

),

renamed as (

    select
        portfolio_id,
        portfolio_name,
        as_of_date,
        quantity,
        target_weight,
        cost_basis,
        line_number,
        import_id,
        source_file,
        _loaded_at as loaded_at,
        upper(symbol) as symbol,
        upper(base_currency) as base_currency
    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by portfolio_id, as_of_date, symbol
            order by loaded_at desc
        ) as load_rank
    from renamed

),

final as (

    select
        portfolio_id,
        portfolio_name,
        as_of_date,
        symbol,
        quantity,
        target_weight,
        cost_basis,
        base_currency,
        line_number,
        import_id,
        source_file,
        loaded_at
    from ranked
    where load_rank = 1

)

select * from final
