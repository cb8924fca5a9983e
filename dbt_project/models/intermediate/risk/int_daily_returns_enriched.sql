{#
    Daily simple returns of adj_close per symbol, with the benchmark's return
    and the risk-free rate of the same session beside them. The first session
    of a symbol has no return (null).
#}
with prices as (

    select
        symbol,
        trading_date,
        adj_close
    from {{ ref('fct_prices_daily') }}

),

risk_free as (

    select * from {{ ref('int_risk_free_rates_daily') }}

),

returns as (

    select
        symbol,
        trading_date,
        adj_close,
        adj_close / lag(adj_close) over (
            partition by symbol order by trading_date
        ) - 1 as daily_return
    from prices

),

benchmark as (

    select
        trading_date,
        daily_return as benchmark_return
    from returns
    where symbol = '{{ var("benchmark_symbol") }}'

),

final as (

    select
        returns.symbol,
        returns.trading_date,
        returns.adj_close,
        returns.daily_return,
        benchmark.benchmark_return,
        risk_free.risk_free_rate_daily,
        returns.daily_return - risk_free.risk_free_rate_daily as excess_return
    from returns
    left join benchmark
        on returns.trading_date = benchmark.trading_date
    left join risk_free
        on returns.trading_date = risk_free.trading_date

)

select * from final
