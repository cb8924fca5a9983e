with source as (

    {{ optimization_source_or_empty('optimization', 'optimization_results', [
        ['run_id', 'text'],
        ['portfolio_id', 'text'],
        ['method', 'text'],
        ['point_index', 'bigint'],
        ['expected_return', 'double'],
        ['volatility', 'double'],
        ['sharpe_ratio', 'double'],
        ['weights', 'text'],
        ['risk_free_rate', 'double'],
        ['lookback_start_date', 'date'],
        ['lookback_end_date', 'date'],
        ['n_observations', 'bigint'],
        ['max_weight', 'double'],
        ['is_long_only', 'boolean'],
        ['created_at', 'timestamp'],
    ]) }}

),

final as (

    select
        cast(run_id as {{ dbt.type_string() }}) as run_id,
        cast(portfolio_id as {{ dbt.type_string() }}) as portfolio_id,
        cast(method as {{ dbt.type_string() }}) as method,  -- noqa: RF04
        cast(point_index as integer) as point_index,
        cast(expected_return as {{ marketpulse.type_double() }}) as expected_return,
        cast(volatility as {{ marketpulse.type_double() }}) as volatility,
        cast(sharpe_ratio as {{ marketpulse.type_double() }}) as sharpe_ratio,
        cast(weights as {{ dbt.type_string() }}) as weights,
        cast(risk_free_rate as {{ marketpulse.type_double() }}) as risk_free_rate,
        cast(lookback_start_date as date) as lookback_start_date,
        cast(lookback_end_date as date) as lookback_end_date,
        cast(n_observations as integer) as n_observations,
        cast(max_weight as {{ marketpulse.type_double() }}) as max_weight,
        cast(is_long_only as {{ dbt.type_boolean() }}) as is_long_only,
        created_at
    from source

)

select * from final
