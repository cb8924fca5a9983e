{#
    One row per strategy (its latest run; the benchmark's buy-and-hold is the strategy
    `benchmark`): the period, every statistic of the shared risk macro over the whole period
    (window 'full', as empyrical defines them: docs/decisions/0006), turnover, fills and
    exposure, and the same run's benchmark beside it. The return index is equity / initial
    capital; the benchmark return of beta and correlation is the benchmark's buy-and-hold
    daily return in the same run; the risk-free rate is int_risk_free_rates_daily's, as in
    fct_risk_metrics.
#}
with runs as (

    select * from {{ ref('int_backtest_runs_deduplicated') }}

),

equity as (

    select * from {{ ref('stg_backtest__equity_daily') }}

),

fills as (

    select * from {{ ref('stg_backtest__fills') }}

),

risk_free as (

    select * from {{ ref('int_risk_free_rates_daily') }}

),

-- a run holds every strategy of one invocation and the benchmark; one period per run
run_periods as (

    select distinct
        run_id,
        end_date
    from runs

),

-- the latest runs' curves, and the benchmark's curve of each of those runs
measured as (

    select
        equity.run_id,
        equity.strategy,
        equity.trading_date,
        equity.equity,
        equity.daily_return,
        equity.exposure,
        equity.turnover
    from equity
    left join runs
        on
            equity.run_id = runs.run_id
            and equity.strategy = runs.strategy
    left join run_periods
        on equity.run_id = run_periods.run_id
    where
        runs.run_id is not null
        or (equity.strategy = 'benchmark' and run_periods.run_id is not null)

),

returns as (

    select
        measured.run_id,
        measured.strategy,
        measured.trading_date,
        measured.daily_return,
        benchmark.daily_return as benchmark_return,
        measured.equity / first_rows.equity as return_index,
        measured.daily_return - risk_free.risk_free_rate_daily as excess_return
    from measured
    inner join measured as first_rows
        on
            measured.run_id = first_rows.run_id
            and measured.strategy = first_rows.strategy
            and first_rows.daily_return is null
    left join measured as benchmark
        on
            measured.run_id = benchmark.run_id
            and measured.trading_date = benchmark.trading_date
            and benchmark.strategy = 'benchmark'
    left join risk_free
        on measured.trading_date = risk_free.trading_date

),

metrics as (

    {{ marketpulse.risk_metrics('returns', ['run_id', 'strategy']) }}

),

whole_period as (

    select * from metrics
    where window_name = 'full'

),

activity as (

    select
        run_id,
        strategy,
        count(*) - 1 as n_sessions,
        sum(turnover) as total_turnover,
        avg(case when daily_return is not null then exposure end) as average_exposure,
        max(case when daily_return is null then equity end) as initial_equity
    from measured
    group by run_id, strategy

),

closing as (

    select
        measured.run_id,
        measured.strategy,
        measured.equity as final_equity
    from measured
    inner join run_periods
        on
            measured.run_id = run_periods.run_id
            and measured.trading_date = run_periods.end_date

),

fill_counts as (

    select
        fills.run_id,
        fills.strategy,
        count(*) as n_fills
    from fills
    inner join run_periods
        on fills.run_id = run_periods.run_id
    group by fills.run_id, fills.strategy

),

per_run as (

    select
        activity.run_id,
        activity.strategy,
        activity.n_sessions,
        activity.total_turnover,
        activity.average_exposure,
        closing.final_equity,
        whole_period.annual_return,
        whole_period.annual_volatility,
        whole_period.sharpe_ratio,
        whole_period.sortino_ratio,
        whole_period.max_drawdown,
        whole_period.calmar_ratio,
        whole_period.var_95,
        whole_period.cvar_95,
        whole_period.skewness,
        whole_period.kurtosis,
        whole_period.beta,
        whole_period.correlation,
        whole_period.risk_free_coverage,
        closing.final_equity / activity.initial_equity - 1 as total_return,
        coalesce(fill_counts.n_fills, 0) as n_fills
    from activity
    inner join closing
        on
            activity.run_id = closing.run_id
            and activity.strategy = closing.strategy
    left join fill_counts
        on
            activity.run_id = fill_counts.run_id
            and activity.strategy = fill_counts.strategy
    left join whole_period
        on
            activity.run_id = whole_period.run_id
            and activity.strategy = whole_period.strategy

),

final as (

    select
        runs.strategy,
        runs.kind,
        runs.parameters,
        runs.symbols,
        runs.is_benchmark,
        runs.benchmark_symbol,
        runs.start_date,
        runs.end_date,
        runs.initial_capital,
        runs.fee_bps,
        runs.slippage_bps,
        strategy_run.final_equity,
        strategy_run.total_return,
        strategy_run.annual_return,
        strategy_run.annual_volatility,
        strategy_run.sharpe_ratio,
        strategy_run.sortino_ratio,
        strategy_run.max_drawdown,
        strategy_run.calmar_ratio,
        strategy_run.var_95,
        strategy_run.cvar_95,
        strategy_run.skewness,
        strategy_run.kurtosis,
        strategy_run.beta,
        strategy_run.correlation,
        strategy_run.risk_free_coverage,
        strategy_run.average_exposure,
        benchmark_run.total_return as benchmark_total_return,
        benchmark_run.annual_return as benchmark_annual_return,
        benchmark_run.sharpe_ratio as benchmark_sharpe_ratio,
        benchmark_run.max_drawdown as benchmark_max_drawdown,
        runs.run_id,
        runs.engine_version,
        runs.created_at,
        cast(strategy_run.n_sessions as bigint) as n_sessions,
        cast(strategy_run.n_fills as bigint) as n_fills,
        strategy_run.total_turnover * 252 / strategy_run.n_sessions as annual_turnover,
        strategy_run.annual_return - benchmark_run.annual_return as excess_annual_return
    from runs
    inner join per_run as strategy_run
        on
            runs.run_id = strategy_run.run_id
            and runs.strategy = strategy_run.strategy
    left join per_run as benchmark_run
        on
            runs.run_id = benchmark_run.run_id
            and benchmark_run.strategy = 'benchmark'

)

select * from final
