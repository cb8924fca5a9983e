{#
    fct_risk_metrics for portfolios: the same statistics and windows (the macro
    risk_metrics), on each portfolio's daily returns, the benchmark's and the same daily
    risk-free rate; the level whose ratio is the return is the cumulative return index.
#}
with performance as (

    select * from {{ ref('fct_portfolio_performance_daily') }}

),

risk_free as (

    select * from {{ ref('int_risk_free_rates_daily') }}

),

returns as (

    select
        performance.portfolio_id,
        performance.trading_date,
        performance.daily_return,
        performance.benchmark_return,
        1 + performance.cumulative_return as return_index,
        performance.daily_return - risk_free.risk_free_rate_daily as excess_return
    from performance
    left join risk_free
        on performance.trading_date = risk_free.trading_date

),

metrics as (

    {{ marketpulse.risk_metrics('returns', 'portfolio_id') }}

),

final as (

    select
        portfolio_id,
        window_name,
        as_of_date,
        n_observations,
        annual_return,
        annual_volatility,
        sharpe_ratio,
        sortino_ratio,
        max_drawdown,
        calmar_ratio,
        var_95,
        cvar_95,
        skewness,
        kurtosis,
        beta,
        correlation,
        '{{ var("benchmark_symbol") }}' as benchmark_symbol,
        risk_free_coverage
    from metrics

)

select * from final
