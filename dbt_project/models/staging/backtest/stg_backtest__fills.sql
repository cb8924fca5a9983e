{#- raw_backtest.backtest_fills appears on the first `marketpulse backtest`:
    until then this model is an empty relation of the same columns. -#}
with source as (

    {{ marketpulse.source_or_empty('backtest', 'backtest_fills', {
        'run_id': dbt.type_string(),
        'strategy': dbt.type_string(),
        'trading_date': 'date',
        'symbol': dbt.type_string(),
        'side': dbt.type_string(),
        'quantity': marketpulse.type_double(),
        'price': marketpulse.type_double(),
        'fee': marketpulse.type_double(),
        'notional': marketpulse.type_double(),
    }) }}

),

final as (

    select
        run_id,
        strategy,
        trading_date,
        symbol,
        side,
        quantity,
        price,
        fee,
        notional
    from source

)

select * from final
