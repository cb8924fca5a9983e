{#- raw_portfolio.optimization_results appears on the first `python -m marketpulse optimize`:
    until then this model is an empty relation of the same columns. -#}
with source as (

    {{ marketpulse.source_or_empty('optimization', 'optimization_results', {
        'run_id': dbt.type_string(),
        'portfolio_id': dbt.type_string(),
        'method': dbt.type_string(),
        'point_index': 'integer',
        'expected_return': marketpulse.type_double(),
        'volatility': marketpulse.type_double(),
        'sharpe_ratio': marketpulse.type_double(),
        'weights': dbt.type_string(),
        'risk_free_rate': marketpulse.type_double(),
        'lookback_start_date': 'date',
        'lookback_end_date': 'date',
        'n_observations': 'integer',
        'max_weight': marketpulse.type_double(),
        'is_long_only': dbt.type_boolean(),
        'created_at': marketpulse.type_timestamptz(),
    }) }}

),

final as (

    select
        run_id,
        portfolio_id,
        method,  -- noqa: RF04
        point_index,
        expected_return,
        volatility,
        sharpe_ratio,
        weights,
        risk_free_rate,
        lookback_start_date,
        lookback_end_date,
        n_observations,
        max_weight,
        is_long_only,
        created_at
    from source

)

select * from final
