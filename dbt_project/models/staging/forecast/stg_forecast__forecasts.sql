{#- raw_forecast.forecasts appears on the first `marketpulse forecast`: until then this model
    is an empty relation of the same columns. dlt merged it on the natural key. -#}
with source as (

    {{ marketpulse.source_or_empty('forecast', 'forecasts', {
        'symbol': dbt.type_string(),
        'as_of_date': 'date',
        'horizon': 'integer',
        'target': dbt.type_string(),
        'model': dbt.type_string(),
        'model_version': dbt.type_string(),
        'prediction': marketpulse.type_double(),
        'lower': marketpulse.type_double(),
        'upper': marketpulse.type_double(),
        'fitted_through_date': 'date',
    }) }}

),

final as (

    select
        symbol,
        as_of_date,
        horizon,
        target,
        model,
        model_version,
        prediction,
        lower,  -- noqa: RF04
        upper,  -- noqa: RF04
        fitted_through_date
    from source

)

select * from final
