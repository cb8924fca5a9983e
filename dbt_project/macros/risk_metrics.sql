{#
    Risk and return statistics over the trailing 252, 756 and 1260 daily returns and the
    full history of each key (a symbol, a portfolio), as of its latest session, defined as
    empyrical computes them: the one definition fct_risk_metrics and fct_portfolio_risk
    share (docs/decisions/0006-risk-and-rotation-definitions.md). A key with fewer returns
    than a window's length has no row for that window. Every statistic is a two-pass
    aggregate (means first, then centred sums), which keeps them accurate and portable.

    relation: a relation or CTE name with the key columns and trading_date, return_index
    (an adjusted price or a cumulative return index: its ratio is the total return and its
    running peak the drawdown's), daily_return (null on the first session),
    benchmark_return and excess_return (daily_return - risk-free rate).
    keys: the key column name, or a list of them.
    Renders a whole `with ... select` statement: keys, window_name, as_of_date,
    n_observations, annual_return, annual_volatility, sharpe_ratio, sortino_ratio,
    max_drawdown, calmar_ratio, var_95, cvar_95, skewness, kurtosis, beta, correlation.
#}
{% macro risk_metrics(relation, keys) -%}
    {{ return(adapter.dispatch('risk_metrics', 'marketpulse')(relation, keys)) }}
{%- endmacro %}

{% macro risk_keys(keys, prefix=none) -%}
    {%- set keys = [keys] if keys is string else keys -%}
    {%- for key in keys -%}
        {{ prefix ~ '.' if prefix }}{{ key }}{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{% macro risk_keys_equal(keys, left, right) -%}
    {%- set keys = [keys] if keys is string else keys -%}
    {%- for key in keys -%}
        {{ left }}.{{ key }} = {{ right }}.{{ key }}{{ ' and ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{% macro default__risk_metrics(relation, keys) -%}
{%- set periods = 252 -%}
{%- set cutoff = 0.05 -%}
{%- set double = marketpulse.type_double() -%}
with windows as (

    select
        '1y' as window_name,
        252 as window_length
    union all
    select
        '3y' as window_name,
        756 as window_length
    union all
    select
        '5y' as window_name,
        1260 as window_length
    union all
    select
        'full' as window_name,
        cast(null as integer) as window_length

),

numbered as (

    select
        {{ risk_keys(keys) }},
        trading_date,
        return_index,
        daily_return,
        benchmark_return,
        excess_return,
        row_number() over (
            partition by {{ risk_keys(keys) }} order by trading_date desc
        ) as sessions_back,
        count(*) over (partition by {{ risk_keys(keys) }}) as session_count,
        max(trading_date) over (partition by {{ risk_keys(keys) }}) as as_of_date
    from {{ relation }}

),

-- Each window's returns plus the session before its first return (the start,
-- whose price is the base of the cumulative return and the first peak).
window_sessions as (

    select
        {{ risk_keys(keys, 'numbered') }},
        windows.window_name,
        numbered.as_of_date,
        numbered.trading_date,
        numbered.return_index,
        numbered.daily_return,
        numbered.benchmark_return,
        numbered.excess_return,
        numbered.sessions_back = coalesce(windows.window_length, numbered.session_count - 1) + 1
            as is_start
    from numbered
    cross join windows
    where
        numbered.sessions_back <= coalesce(windows.window_length, numbered.session_count - 1) + 1
        and numbered.session_count > coalesce(windows.window_length, 1)

),

drawdowns as (

    select
        {{ risk_keys(keys) }},
        window_name,
        trading_date,
        (return_index - running_peak) / running_peak as drawdown
    from (
        select
            {{ risk_keys(keys) }},
            window_name,
            trading_date,
            return_index,
            max(return_index) over (
                partition by {{ risk_keys(keys) }}, window_name
                order by trading_date
                rows between unbounded preceding and current row
            ) as running_peak
        from window_sessions
    ) as peaks

),

window_returns as (

    select
        {{ risk_keys(keys) }},
        window_name,
        as_of_date,
        trading_date,
        daily_return,
        benchmark_return,
        excess_return,
        row_number() over (
            partition by {{ risk_keys(keys) }}, window_name order by daily_return, trading_date
        ) as return_rank
    from window_sessions
    where not is_start

),

first_pass as (

    select
        {{ risk_keys(keys) }},
        window_name,
        max(as_of_date) as as_of_date,
        count(daily_return) as n_observations,
        cast(count(daily_return) as {{ double }}) as n_real,
        count(excess_return) as n_excess,
        count(case when benchmark_return is not null then daily_return end) as n_paired,
        avg(daily_return) as mean_return,
        avg(excess_return) as mean_excess,
        max(excess_return) as max_excess,
        min(excess_return) as min_excess,
        avg(case when daily_return is not null then benchmark_return end) as mean_benchmark,
        avg(case when benchmark_return is not null then daily_return end) as mean_paired_return,
        {{ marketpulse.percentile_linear('daily_return', cutoff) }} as var_95
    from window_returns
    group by {{ risk_keys(keys) }}, window_name

),

second_pass as (

    select
        {{ risk_keys(keys, 'window_returns') }},
        window_returns.window_name,
        sum(power(window_returns.daily_return - first_pass.mean_return, 2)) as sum_sq,
        sum(power(window_returns.daily_return - first_pass.mean_return, 3)) as sum_cube,
        sum(power(window_returns.daily_return - first_pass.mean_return, 4)) as sum_quad,
        sum(power(window_returns.excess_return - first_pass.mean_excess, 2)) as sum_sq_excess,
        sum(power(least(window_returns.excess_return, 0), 2)) as sum_sq_downside,
        sum(
            (window_returns.benchmark_return - first_pass.mean_benchmark)
            * (window_returns.daily_return - first_pass.mean_paired_return)
        ) as sum_cross,
        sum(
            case
                when window_returns.daily_return is not null
                    then power(window_returns.benchmark_return - first_pass.mean_benchmark, 2)
            end
        ) as sum_sq_benchmark,
        sum(
            case
                when window_returns.benchmark_return is not null
                    then power(window_returns.daily_return - first_pass.mean_paired_return, 2)
            end
        ) as sum_sq_paired,
        avg(
            case
                when
                    window_returns.return_rank
                    <= floor((first_pass.n_real - 1) * {{ (cutoff * 100) | int }} / 100) + 1
                    then window_returns.daily_return
            end
        ) as cvar_95
    from window_returns
    inner join first_pass
        on
            {{ risk_keys_equal(keys, 'window_returns', 'first_pass') }}
            and window_returns.window_name = first_pass.window_name
    group by {{ risk_keys(keys, 'window_returns') }}, window_returns.window_name

),

endpoints as (

    select
        {{ risk_keys(keys) }},
        window_name,
        max(case when is_start then return_index end) as start_close,
        max(case when trading_date = as_of_date then return_index end) as end_close
    from window_sessions
    group by {{ risk_keys(keys) }}, window_name

),

max_drawdowns as (

    select
        {{ risk_keys(keys) }},
        window_name,
        min(drawdown) as max_drawdown
    from drawdowns
    group by {{ risk_keys(keys) }}, window_name

),

metrics as (

    select
        {{ risk_keys(keys, 'first_pass') }},
        first_pass.window_name,
        first_pass.as_of_date,
        first_pass.n_observations,
        power(
            endpoints.end_close / endpoints.start_close,
            {{ periods }} / first_pass.n_real
        ) - 1 as annual_return,
        sqrt(second_pass.sum_sq / (first_pass.n_real - 1)) * sqrt({{ periods }})
            as annual_volatility,
        case
            when
                first_pass.n_excess = first_pass.n_observations
                and first_pass.max_excess > first_pass.min_excess
                then first_pass.mean_excess
                    / sqrt(second_pass.sum_sq_excess / (first_pass.n_real - 1))
                    * sqrt({{ periods }})
        end as sharpe_ratio,
        case
            when first_pass.n_excess = first_pass.n_observations
                then first_pass.mean_excess * {{ periods }}
                    / nullif(
                        sqrt(second_pass.sum_sq_downside / first_pass.n_real)
                        * sqrt({{ periods }}),
                        0
                    )
        end as sortino_ratio,
        max_drawdowns.max_drawdown,
        first_pass.var_95,
        second_pass.cvar_95,
        case
            when second_pass.sum_sq > 0
                then first_pass.n_real
                    * sqrt(first_pass.n_real - 1)
                    / (first_pass.n_real - 2)
                    * second_pass.sum_cube / power(second_pass.sum_sq, 1.5)
        end as skewness,
        case
            when second_pass.sum_sq > 0
                then first_pass.n_real
                    * (first_pass.n_real + 1) * (first_pass.n_real - 1)
                    * second_pass.sum_quad
                    / (
                        (first_pass.n_real - 2) * (first_pass.n_real - 3)
                        * power(second_pass.sum_sq, 2)
                    )
                    - 3 * power(first_pass.n_real - 1, 2)
                    / ((first_pass.n_real - 2) * (first_pass.n_real - 3))
        end as kurtosis,
        case
            when second_pass.sum_sq_benchmark / first_pass.n_paired >= 1e-30
                then second_pass.sum_cross / second_pass.sum_sq_benchmark
        end as beta,
        second_pass.sum_cross
        / nullif(sqrt(second_pass.sum_sq_benchmark) * sqrt(second_pass.sum_sq_paired), 0)
            as correlation  -- noqa: RF04
    from first_pass
    inner join second_pass
        on
            {{ risk_keys_equal(keys, 'first_pass', 'second_pass') }}
            and first_pass.window_name = second_pass.window_name
    inner join endpoints
        on
            {{ risk_keys_equal(keys, 'first_pass', 'endpoints') }}
            and first_pass.window_name = endpoints.window_name
    inner join max_drawdowns
        on
            {{ risk_keys_equal(keys, 'first_pass', 'max_drawdowns') }}
            and first_pass.window_name = max_drawdowns.window_name

)

select
    {{ risk_keys(keys, 'metrics') }},
    metrics.window_name,
    metrics.as_of_date,
    metrics.n_observations,
    metrics.annual_return,
    metrics.annual_volatility,
    metrics.sharpe_ratio,
    metrics.sortino_ratio,
    metrics.max_drawdown,
    case
        when metrics.max_drawdown < 0 then metrics.annual_return / abs(metrics.max_drawdown)
    end as calmar_ratio,
    metrics.var_95,
    metrics.cvar_95,
    metrics.skewness,
    metrics.kurtosis,
    metrics.beta,
    metrics.correlation
from metrics
{%- endmacro %}
