{#- raw_forecast.market_regimes appears on the first `marketpulse forecast`: until then this
    model is an empty relation of the same columns. -#}
with source as (

    {{ marketpulse.source_or_empty('forecast', 'market_regimes', {
        'symbol': dbt.type_string(),
        'trading_date': 'date',
        'n_states': 'integer',
        'regime_index': 'integer',
        'regime_label': dbt.type_string(),
        'filtered_probability': marketpulse.type_double(),
        'regime_mean_return': marketpulse.type_double(),
        'regime_volatility': marketpulse.type_double(),
        'fitted_through_date': 'date',
        'model_version': dbt.type_string(),
    }) }}

),

final as (

    select
        symbol,
        trading_date,
        n_states,
        regime_index,
        regime_label,
        filtered_probability,
        regime_mean_return,
        regime_volatility,
        fitted_through_date,
        model_version
    from source

)

select * from final
