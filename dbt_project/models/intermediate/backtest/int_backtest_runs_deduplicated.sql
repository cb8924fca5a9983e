{#
    Each strategy's latest backtest run: the one row of stg_backtest__runs with the newest
    created_at per strategy (the benchmark included). The marts show these runs; older runs
    stay in raw_backtest.
#}
with runs as (

    select * from {{ ref('stg_backtest__runs') }}

),

ranked as (

    select
        runs.*,
        row_number() over (
            partition by runs.strategy order by runs.created_at desc, runs.run_id desc
        ) as recency
    from runs

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
    from ranked
    where recency = 1

)

select * from final
