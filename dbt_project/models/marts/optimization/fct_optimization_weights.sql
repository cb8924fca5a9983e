with weights as (

    select * from {{ ref('stg_optimization__weights') }}

),

results as (

    select * from {{ ref('fct_optimization_results') }}

),

final as (

    select
        weights.run_id,
        results.portfolio_id,
        weights.method,
        weights.point_index,
        weights.symbol,
        weights.weight,
        results.created_at,
        results.is_latest_run
    from weights
    inner join results
        on
            weights.run_id = results.run_id
            and weights.method = results.method
            and weights.point_index = results.point_index

)

select * from final
