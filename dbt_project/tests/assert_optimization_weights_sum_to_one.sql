-- Every optimization point has weights in fct_optimization_weights, and they sum to 1
-- (fully invested, the constraint every method solves under).
with results as (

    select * from {{ ref('fct_optimization_results') }}

),

weights as (

    select * from {{ ref('fct_optimization_weights') }}

),

sums as (

    select
        run_id,
        method,
        point_index,
        sum(weight) as weight_sum
    from weights
    group by run_id, method, point_index

),

final as (

    select
        results.run_id,
        results.method,
        results.point_index,
        sums.weight_sum
    from results
    left join sums
        on
            results.run_id = sums.run_id
            and results.method = sums.method
            and results.point_index = sums.point_index
    where sums.weight_sum is null or abs(sums.weight_sum - 1) > 1e-6

)

select * from final
