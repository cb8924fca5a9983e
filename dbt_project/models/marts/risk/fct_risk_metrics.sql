{#
    Risk and return statistics per symbol over its trailing 252, 756 and 1260
    daily returns and its full history, as of its latest session, defined as
    empyrical computes them. A symbol with fewer returns than a window's length
    has no row for that window. The statistics are the macro risk_metrics, shared
    with fct_portfolio_risk so the two cannot drift apart; here it counts sessions
    from the stored session_number and takes the full window's running peak from
    peak_adj_close (int_daily_returns_enriched keeps both incrementally).
    See docs/decisions/0006-risk-and-rotation-definitions.md and 0039.
#}
with returns as (

    select
        symbol,
        trading_date,
        adj_close as return_index,
        daily_return,
        benchmark_return,
        excess_return,
        session_number,
        peak_adj_close
    from {{ ref('int_daily_returns_enriched') }}

),

metrics as (

    {{ marketpulse.risk_metrics('returns', 'symbol', stored_peak='peak_adj_close') }}

),

final as (

    select
        symbol,
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
