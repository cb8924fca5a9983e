{#- raw_backtest.backtest_equity_daily appears on the first `marketpulse backtest`:
    until then this model is an empty relation of the same columns. -#}
with source as (

    {{ marketpulse.source_or_empty('backtest', 'backtest_equity_daily', {
        'run_id': dbt.type_string(),
        'strategy': dbt.type_string(),
        'trading_date': 'date',
        'equity': marketpulse.type_double(),
        'daily_return': marketpulse.type_double(),
        'exposure': marketpulse.type_double(),
        'turnover': marketpulse.type_double(),
        'orders': 'integer',
    }) }}

),

final as (

    select
        run_id,
        strategy,
        trading_date,
        equity,
        daily_return,
        exposure,
        turnover,
        orders
    from source

)

select * from final
