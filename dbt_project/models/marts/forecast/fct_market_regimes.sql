-- The benchmark's market regime per session from the walk-forward Gaussian HMM
-- (marketpulse/forecast/regimes.py): the state with the highest forward-filtered
-- probability given the sessions up to that date, never smoothed with later ones.
with regimes as (

    select * from {{ ref('stg_forecast__market_regimes') }}

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
    from regimes

)

select * from final
