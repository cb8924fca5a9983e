{#
    Each strategy's equity curve from its latest run, beside the buy-and-hold benchmark of
    the same run (same period, capital and costs). The first row is the session before the
    period, holding the initial capital.
#}
with runs as (

    select * from {{ ref('int_backtest_runs_deduplicated') }}

),

equity as (

    select * from {{ ref('stg_backtest__equity_daily') }}

),

latest as (

    select
        equity.run_id,
        equity.strategy,
        equity.trading_date,
        equity.equity,
        equity.daily_return,
        equity.exposure,
        equity.turnover,
        equity.orders,
        runs.initial_capital
    from equity
    inner join runs
        on
            equity.run_id = runs.run_id
            and equity.strategy = runs.strategy

),

peaks as (

    select
        latest.*,
        max(latest.equity) over (
            partition by latest.strategy order by latest.trading_date
            rows between unbounded preceding and current row
        ) as peak_equity
    from latest

),

final as (

    select
        peaks.strategy,
        peaks.trading_date,
        peaks.run_id,
        peaks.equity,
        peaks.daily_return,
        peaks.exposure,
        peaks.turnover,
        benchmark.equity as benchmark_equity,
        cast(peaks.orders as bigint) as orders,
        peaks.equity / peaks.initial_capital - 1 as cumulative_return,
        peaks.equity / peaks.peak_equity - 1 as drawdown,
        benchmark.equity / peaks.initial_capital - 1 as benchmark_cumulative_return
    from peaks
    left join equity as benchmark
        on
            peaks.run_id = benchmark.run_id
            and peaks.trading_date = benchmark.trading_date
            and benchmark.strategy = 'benchmark'

)

select * from final
