with results as (

    select * from {{ ref('stg_optimization__results') }}

),

runs as (

    select distinct
        run_id,
        portfolio_id,
        created_at
    from results

),

ranked_runs as (

    select
        run_id,
        row_number() over (
            partition by portfolio_id
            order by created_at desc, run_id desc
        ) as recency_rank
    from runs

),

final as (

    select
        results.run_id,
        results.portfolio_id,
        results.method,
        results.point_index,
        results.expected_return,
        results.volatility,
        results.sharpe_ratio,
        results.weights,
        results.risk_free_rate,
        results.lookback_start_date,
        results.lookback_end_date,
        results.n_observations,
        results.max_weight,
        results.is_long_only,
        results.created_at,
        ranked_runs.recency_rank = 1 as is_latest_run
    from results
    inner join ranked_runs
        on results.run_id = ranked_runs.run_id

)

select * from final
