{#
    Each portfolio's value and returns per session. The daily return is the total return of
    the positions held at the previous close: the sum of their previous-close weights times
    their adj_close returns (dividends reinvested). A new snapshot changes the positions at
    its first session's close, not that session's return. Cumulative returns compound from
    the portfolio's first session as exp(sum(ln(1 + r))) - 1.
#}
with positions as (

    select * from {{ ref('int_portfolio_positions_valued') }}

),

returns as (

    select * from {{ ref('int_daily_returns_enriched') }}

),

benchmark as (

    select
        trading_date,
        daily_return as benchmark_return
    from returns
    where symbol = '{{ var("benchmark_symbol") }}'

),

portfolio_sessions as (

    select
        portfolio_id,
        trading_date,
        sum(case when is_held then market_value end) as market_value,
        sum(previous_weight * asset_return) as daily_return
    from positions
    group by portfolio_id, trading_date

),

with_benchmark as (

    select
        portfolio_sessions.portfolio_id,
        portfolio_sessions.trading_date,
        portfolio_sessions.market_value,
        portfolio_sessions.daily_return,
        case
            when
                portfolio_sessions.trading_date > min(portfolio_sessions.trading_date) over (
                    partition by portfolio_sessions.portfolio_id
                )
                then benchmark.benchmark_return
        end as benchmark_return
    from portfolio_sessions
    left join benchmark
        on portfolio_sessions.trading_date = benchmark.trading_date

),

compounded as (

    select
        *,
        exp(coalesce(sum(ln(case when daily_return > -1 then 1 + daily_return end)) over (
            partition by portfolio_id
            order by trading_date
            rows between unbounded preceding and current row
        ), 0)) - 1 as cumulative_return,
        exp(coalesce(sum(ln(case when benchmark_return > -1 then 1 + benchmark_return end)) over (
            partition by portfolio_id
            order by trading_date
            rows between unbounded preceding and current row
        ), 0)) - 1 as benchmark_cumulative_return
    from with_benchmark

),

final as (

    select
        portfolio_id,
        trading_date,
        market_value,
        daily_return,
        cumulative_return,
        benchmark_return,
        benchmark_cumulative_return,
        daily_return - benchmark_return as active_return
    from compounded

)

select * from final
