{#- raw_backtest.backtest_runs appears on the first `marketpulse backtest`:
    until then this model is an empty relation of the same columns. -#}
with source as (

    {{ marketpulse.source_or_empty('backtest', 'backtest_runs', {
        'run_id': dbt.type_string(),
        'strategy': dbt.type_string(),
        'kind': dbt.type_string(),
        'parameters': dbt.type_string(),
        'symbols': dbt.type_string(),
        'is_benchmark': dbt.type_boolean(),
        'benchmark_symbol': dbt.type_string(),
        'start_date': 'date',
        'end_date': 'date',
        'initial_capital': marketpulse.type_double(),
        'fee_bps': marketpulse.type_double(),
        'slippage_bps': marketpulse.type_double(),
        'engine_version': dbt.type_string(),
        'created_at': marketpulse.type_timestamptz(),
    }) }}

),

final as (

    select
        run_id,
        strategy,
        kind,
        parameters,
        symbols,
        is_benchmark,
        benchmark_symbol,
        start_date,
        end_date,
        initial_capital,
        fee_bps,
        slippage_bps,
        engine_version,
        created_at
    from source

)

select * from final
