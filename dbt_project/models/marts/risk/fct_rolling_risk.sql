{#
    Rolling 63- and 252-session volatility, Sharpe ratio and beta per symbol
    and session, over daily simple returns of adj_close. A value needs a full
    window (63 or 252 returns, each with a risk-free rate for Sharpe and a
    benchmark return for beta); it is null before. Incremental: a run
    recomputes the sessions after each symbol's last stored one from a
    lookback of the longest window plus a month of margin; every session of
    every symbol when the stored rows are against another benchmark (var
    benchmark_symbol changed: no --full-refresh needed).
    risk_free_coverage_63d / _252d: the share of the window's returns so far
    that have a risk-free rate (Sharpe needs all of them; null without a
    return), so a null Sharpe says why (docs/decisions/0031-risk-free-coverage.md).
#}
-- depends_on: {{ ref('dim_date') }}
{{
    config(
        materialized='incremental',
        incremental_strategy=marketpulse.incremental_strategy(),
        partition_by=marketpulse.incremental_partition_by(),
        unique_key=['symbol', 'trading_date'],
        indexes=(
            [{'columns': ['symbol', 'trading_date'], 'unique': true}]
            if target.type == 'postgres' else []
        ),
        on_schema_change='fail',
    )
}}
{%- set periods = 252 -%}
{%- set windows = [63, 252] -%}
{%- set by_symbol = 'partition by symbol order by trading_date' -%}
{%- set lookback_sessions = 252 + 21 -%}
{%- set benchmark = var('benchmark_symbol') -%}

with all_prices as (

    select
        symbol,
        trading_date,
        adj_close
    from {{ ref('fct_prices_daily') }}

),

risk_free as (

    select * from {{ ref('int_risk_free_rates_daily') }}

),

{% if is_incremental() %}

    -- Rows stored against another benchmark than var benchmark_symbol names now (one row
    -- read: every row has the same) leave no start: every symbol is recomputed whole.
    starts as (

        select lookback_starts.*
        from (
            {{ marketpulse.symbol_lookback_starts(lookback_sessions, ref('fct_prices_daily')) }}
        ) as lookback_starts
        inner join (
            select benchmark_symbol from {{ this }}
            limit 1
        ) as stored_benchmark
            on stored_benchmark.benchmark_symbol = '{{ benchmark }}'

    ),

    prices as (

        select
            all_prices.symbol,
            all_prices.trading_date,
            all_prices.adj_close,
            starts.last_date
        from all_prices
        left join starts
            on all_prices.symbol = starts.symbol
        where
            starts.symbol is null
            or all_prices.trading_date >= starts.start_date
            -- the benchmark's whole history: a symbol new to the table needs it all
            or all_prices.symbol = '{{ benchmark }}'

    ),

{% else %}

    prices as (

        select
            symbol,
            trading_date,
            adj_close,
            cast(null as date) as last_date
        from all_prices

    ),

{% endif %}

returns as (

    select
        symbol,
        trading_date,
        last_date,
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
    where symbol = '{{ benchmark }}'

),

enriched as (

    select
        returns.symbol,
        returns.trading_date,
        returns.last_date,
        returns.daily_return,
        case
            when returns.daily_return is not null then benchmark.benchmark_return
        end as benchmark_return,
        returns.daily_return - risk_free.risk_free_rate_daily as excess_return
    from returns
    left join benchmark
        on returns.trading_date = benchmark.trading_date
    left join risk_free
        on returns.trading_date = risk_free.trading_date

),

rolling as (

    select
        symbol,
        trading_date,
        last_date,
        daily_return
        {%- for window in windows %}
            {%- set frame = by_symbol ~ ' rows ' ~ (window - 1) ~ ' preceding' %},
            count(daily_return) over ({{ frame }}) as n_returns_{{ window }},
            count(excess_return) over ({{ frame }}) as n_excess_{{ window }},
            count(benchmark_return) over ({{ frame }}) as n_paired_{{ window }},
            stddev_samp(daily_return) over ({{ frame }}) as std_return_{{ window }},
            avg(excess_return) over ({{ frame }}) as mean_excess_{{ window }},
            stddev_samp(excess_return) over ({{ frame }}) as std_excess_{{ window }},
            covar_samp(daily_return, benchmark_return)
                over ({{ frame }})
                as cov_benchmark_{{ window }},
            var_samp(benchmark_return) over ({{ frame }}) as var_benchmark_{{ window }}
        {%- endfor %}
    from enriched

),

final as (

    select
        symbol,
        trading_date,
        daily_return
        {%- for window in windows %}
            ,
            case
                when n_returns_{{ window }} = {{ window }}
                    then std_return_{{ window }} * sqrt({{ periods }})
            end as volatility_{{ window }}d,
            case
                when n_excess_{{ window }} = {{ window }} and std_excess_{{ window }} > 0
                    then mean_excess_{{ window }} / std_excess_{{ window }} * sqrt({{ periods }})
            end as sharpe_ratio_{{ window }}d,
            case
                when n_paired_{{ window }} = {{ window }} and var_benchmark_{{ window }} > 0
                    then cov_benchmark_{{ window }} / var_benchmark_{{ window }}
            end as beta_{{ window }}d
        
        {%- endfor %},
        '{{ benchmark }}' as benchmark_symbol,
        {%- for window in windows %}
            cast(n_excess_{{ window }} as {{ marketpulse.type_double() }})
            / nullif(n_returns_{{ window }}, 0) as risk_free_coverage_{{ window }}d,
        {%- endfor %}
        {#- Last: Spark puts the partition column at the end of the table. #}
        {{ month_start('trading_date') }} as trading_month
    from rolling
    where last_date is null or trading_date > last_date

)

select * from final
