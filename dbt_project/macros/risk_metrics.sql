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
    max_drawdown, calmar_ratio, var_95, cvar_95, skewness, kurtosis, beta, correlation,
    risk_free_coverage (the share of the window's returns with a risk-free rate: Sharpe and
    Sortino need every one, so they are null below 1;
    docs/decisions/0031-risk-free-coverage.md).
    stored_peak: none, or the name of a column of relation holding the running peak of
    return_index from the key's first session (the current one included); relation then also
    has session_number (1 = the key's first session, no gaps). The sessions are counted from
    it instead of a row_number and a count over each key's rows, and the full window's
    drawdown uses the stored peak: only the newest 1261 sessions need a running max
    (docs/decisions/0039-incremental-daily-returns.md).
#}
{% macro risk_metrics(relation, keys, stored_peak=none) -%}
    {{ return(adapter.dispatch('risk_metrics', 'marketpulse')(relation, keys, stored_peak)) }}
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

{#- Window membership on sessions_back (1 = the latest session); length none is 'full'. -#}
{% macro risk_in_window(length, prefix='') -%}
    {%- if length is none -%}
        {{ prefix }}sessions_back < {{ prefix }}session_count
    {%- else -%}
        {{ prefix }}sessions_back <= {{ length }}
    {%- endif -%}
{%- endmacro %}

{% macro risk_in_span(length) -%}
    {%- if length is none -%}
        1 = 1
    {%- else -%}
        sessions_back <= {{ length + 1 }}
    {%- endif -%}
{%- endmacro %}

{% macro risk_is_start(length) -%}
    {%- if length is none -%}
        sessions_back = session_count
    {%- else -%}
        sessions_back = {{ length + 1 }}
    {%- endif -%}
{%- endmacro %}

{% macro default__risk_metrics(relation, keys, stored_peak=none) -%}
{#-
    The four windows are columns, not rows, so every statistic is one
    conditional aggregate over each key's rows, with no window function on
    the window's rows. Membership is on sessions_back (1 = the latest
    session): a window of L returns holds sessions_back <= L and starts at
    sessions_back = L + 1 (the base of the cumulative return and the first
    peak); 'full' starts at the first session. The windows nest, so the rows
    fall in four segments (the newest 253 sessions, then back to 757, 1261,
    the rest): one running max per segment plus the maxima of the older
    segments inside a window give that window's running peak. With a stored
    peak, 'full' takes it as its running peak, so the oldest segment needs
    no running max. CVaR is the
    mean of the n_cvar smallest returns, from their largest value (an order
    statistic) instead of a rank per row
    (docs/decisions/0027-risk-metrics-without-window-rows.md).
-#}
{%- set periods = 252 -%}
{%- set cutoff = 0.05 -%}
{%- set double = marketpulse.type_double() -%}
{%- set windows = [('1y', 252), ('3y', 756), ('5y', 1260), ('full', none)] -%}
{#- The windows whose running peak comes from the segments' running maxima. -#}
{%- set segment_windows = windows if stored_peak is none else windows[:-1] -%}
{%- if stored_peak is none -%}
with numbered as (

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
        count(*) over (partition by {{ risk_keys(keys) }}) as session_count
    from {{ relation }}

),
{%- else %}
with session_counts as (

    select
        {{ risk_keys(keys) }},
        max(session_number) as session_count
    from {{ relation }}
    group by {{ risk_keys(keys) }}

),

numbered as (

    select
        {{ risk_keys(keys, 'returns_in') }},
        returns_in.trading_date,
        returns_in.return_index,
        returns_in.daily_return,
        returns_in.benchmark_return,
        returns_in.excess_return,
        returns_in.{{ stored_peak }} as stored_peak,
        session_counts.session_count - returns_in.session_number + 1 as sessions_back,
        session_counts.session_count
    from {{ relation }} as returns_in
    inner join session_counts
        on {{ risk_keys_equal(keys, 'returns_in', 'session_counts') }}

),
{%- endif %}

segmented as (

    select
        *,
        case
            {%- for name, length in windows if length is not none %}
                when sessions_back <= {{ length + 1 }} then {{ loop.index0 }}
            {%- endfor %}
            else {{ windows | length - 1 }}
        end as segment
    from numbered

),
{%- if stored_peak is none %}

segment_peaks as (

    select
        *,
        max(return_index) over (
            partition by {{ risk_keys(keys) }}, segment
            order by trading_date
            rows between unbounded preceding and current row
        ) as segment_peak
    from segmented

),
{%- else %}

-- Running maxima on the newest segments only; the oldest has the stored peak alone.
segment_peaks as (

    select
        *,
        max(return_index) over (
            partition by {{ risk_keys(keys) }}, segment
            order by trading_date
            rows between unbounded preceding and current row
        ) as segment_peak
    from segmented
    where segment < {{ segment_windows | length }}

    union all

    select
        *,
        cast(null as {{ double }}) as segment_peak
    from segmented
    where segment = {{ segment_windows | length }}

),
{%- endif %}

segment_maxima as (

    select
        {{ risk_keys(keys) }},
        {%- for name, length in segment_windows %}
            max(case when segment = {{ loop.index0 }} then return_index end)
                as segment_max_{{ loop.index0 }}{{ ',' if not loop.last }}
        {%- endfor %}
    from segmented
    {%- if stored_peak is not none %}
    where segment < {{ segment_windows | length }}
    {%- endif %}
    group by {{ risk_keys(keys) }}

),

-- Each window's running peak from its start session, on the rows of its span.
peaks as (

    select
        segment_peaks.*,
        {%- for name, length in windows %}
            {%- set window_index = loop.index0 %}
            {%- if length is none and stored_peak is not none %}
            segment_peaks.stored_peak as peak_{{ name }}{{ ',' if not loop.last }}
            {%- else %}
            case
                {%- for segment in range(window_index + 1) %}
                    {#- greatest() of one argument is an error on Spark -#}
                    {%- if segment == window_index %}
                    when segment_peaks.segment = {{ segment }} then segment_peaks.segment_peak
                    {%- else %}
                    when segment_peaks.segment = {{ segment }}
                        then greatest(
                            segment_peaks.segment_peak
                            {%- for older in range(segment + 1, window_index + 1) -%}
                                , segment_maxima.segment_max_{{ older }}
                            {%- endfor %}
                        )
                    {%- endif %}
                {%- endfor %}
            end as peak_{{ name }}{{ ',' if not loop.last }}
            {%- endif %}
        {%- endfor %}
    from segment_peaks
    inner join segment_maxima
        on {{ risk_keys_equal(keys, 'segment_peaks', 'segment_maxima') }}

),

first_pass as (

    select
        {{ risk_keys(keys) }},
        max(session_count) as session_count,
        max(trading_date) as as_of_date,
        {%- for name, length in windows %}
            {%- set member = marketpulse.risk_in_window(length) %}
            count(case when {{ member }} then daily_return end) as n_observations_{{ name }},
            count(case when {{ member }} then excess_return end) as n_excess_{{ name }},
            count(
                case when {{ member }} and benchmark_return is not null then daily_return end
            ) as n_paired_{{ name }},
            avg(case when {{ member }} then daily_return end) as mean_return_{{ name }},
            avg(case when {{ member }} then excess_return end) as mean_excess_{{ name }},
            max(case when {{ member }} then excess_return end) as max_excess_{{ name }},
            min(case when {{ member }} then excess_return end) as min_excess_{{ name }},
            avg(
                case when {{ member }} and daily_return is not null then benchmark_return end
            ) as mean_benchmark_{{ name }},
            avg(
                case when {{ member }} and benchmark_return is not null then daily_return end
            ) as mean_paired_return_{{ name }},
            {{ marketpulse.percentile_linear(
                'case when ' ~ member ~ ' then daily_return end', cutoff
            ) }} as var_95_{{ name }},
            {{ marketpulse.order_statistic(
                'case when ' ~ member ~ ' then daily_return end', cutoff
            ) }} as cvar_bound_{{ name }},
            max(case when {{ marketpulse.risk_is_start(length) }} then return_index end) as start_close_{{ name }},
            max(case when sessions_back = 1 then return_index end) as end_close_{{ name }},
            min(
                case
                    when {{ marketpulse.risk_in_span(length) }}
                        then (return_index - peak_{{ name }}) / peak_{{ name }}
                end
            ) as max_drawdown_{{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from peaks
    group by {{ risk_keys(keys) }}

),

second_pass as (

    select
        {{ risk_keys(keys, 'peaks') }},
        {%- for name, length in windows %}
            {%- set member = marketpulse.risk_in_window(length, 'peaks.') %}
            {%- set r = 'peaks.daily_return - first_pass.mean_return_' ~ name %}
            sum(case when {{ member }} then power({{ r }}, 2) end) as sum_sq_{{ name }},
            sum(case when {{ member }} then power({{ r }}, 3) end) as sum_cube_{{ name }},
            sum(case when {{ member }} then power({{ r }}, 4) end) as sum_quad_{{ name }},
            sum(
                case
                    when {{ member }}
                        then power(peaks.excess_return - first_pass.mean_excess_{{ name }}, 2)
                end
            ) as sum_sq_excess_{{ name }},
            sum(
                case when {{ member }} then power(least(peaks.excess_return, 0), 2) end
            ) as sum_sq_downside_{{ name }},
            sum(
                case
                    when {{ member }}
                        then (peaks.benchmark_return - first_pass.mean_benchmark_{{ name }})
                        * (peaks.daily_return - first_pass.mean_paired_return_{{ name }})
                end
            ) as sum_cross_{{ name }},
            sum(
                case
                    when {{ member }} and peaks.daily_return is not null
                        then power(peaks.benchmark_return - first_pass.mean_benchmark_{{ name }}, 2)
                end
            ) as sum_sq_benchmark_{{ name }},
            sum(
                case
                    when {{ member }} and peaks.benchmark_return is not null
                        then power(peaks.daily_return - first_pass.mean_paired_return_{{ name }}, 2)
                end
            ) as sum_sq_paired_{{ name }},
            count(
                case when {{ member }} and peaks.daily_return < first_pass.cvar_bound_{{ name }} then 1 end
            ) as n_below_cvar_bound_{{ name }},
            sum(
                case
                    when {{ member }} and peaks.daily_return < first_pass.cvar_bound_{{ name }}
                        then peaks.daily_return
                end
            ) as sum_below_cvar_bound_{{ name }},
            max(first_pass.cvar_bound_{{ name }}) as cvar_bound_{{ name }},
            max(
                floor((first_pass.n_observations_{{ name }} - 1) * {{ (cutoff * 100) | int }} / 100) + 1
            ) as n_cvar_{{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from peaks
    inner join first_pass
        on {{ risk_keys_equal(keys, 'peaks', 'first_pass') }}
    group by {{ risk_keys(keys, 'peaks') }}

),

-- The four windows back to rows: one per key and window it has enough returns for.
unpivoted as (

    {%- for name, length in windows %}
        select
            {{ risk_keys(keys, 'first_pass') }},
            '{{ name }}' as window_name,
            first_pass.as_of_date,
            first_pass.n_observations_{{ name }} as n_observations,
            cast(first_pass.n_observations_{{ name }} as {{ double }}) as n_real,
            first_pass.n_excess_{{ name }} as n_excess,
            first_pass.n_paired_{{ name }} as n_paired,
            first_pass.mean_excess_{{ name }} as mean_excess,
            first_pass.max_excess_{{ name }} as max_excess,
            first_pass.min_excess_{{ name }} as min_excess,
            first_pass.var_95_{{ name }} as var_95,
            first_pass.start_close_{{ name }} as start_close,
            first_pass.end_close_{{ name }} as end_close,
            first_pass.max_drawdown_{{ name }} as max_drawdown,
            second_pass.sum_sq_{{ name }} as sum_sq,
            second_pass.sum_cube_{{ name }} as sum_cube,
            second_pass.sum_quad_{{ name }} as sum_quad,
            second_pass.sum_sq_excess_{{ name }} as sum_sq_excess,
            second_pass.sum_sq_downside_{{ name }} as sum_sq_downside,
            second_pass.sum_cross_{{ name }} as sum_cross,
            second_pass.sum_sq_benchmark_{{ name }} as sum_sq_benchmark,
            second_pass.sum_sq_paired_{{ name }} as sum_sq_paired,
            (
                coalesce(second_pass.sum_below_cvar_bound_{{ name }}, 0)
                + (second_pass.n_cvar_{{ name }} - second_pass.n_below_cvar_bound_{{ name }})
                * second_pass.cvar_bound_{{ name }}
            ) / second_pass.n_cvar_{{ name }} as cvar_95
        from first_pass
        inner join second_pass
            on {{ risk_keys_equal(keys, 'first_pass', 'second_pass') }}
        where first_pass.session_count > {{ length if length is not none else 1 }}
        {{ 'union all' if not loop.last }}
    {%- endfor %}

),

metrics as (

    select
        {{ risk_keys(keys) }},
        window_name,
        as_of_date,
        n_observations,
        power(end_close / start_close, {{ periods }} / n_real) - 1 as annual_return,
        sqrt(sum_sq / (n_real - 1)) * sqrt({{ periods }}) as annual_volatility,
        case
            when n_excess = n_observations and max_excess > min_excess
                then mean_excess / sqrt(sum_sq_excess / (n_real - 1)) * sqrt({{ periods }})
        end as sharpe_ratio,
        case
            when n_excess = n_observations
                then mean_excess * {{ periods }}
                    / nullif(sqrt(sum_sq_downside / n_real) * sqrt({{ periods }}), 0)
        end as sortino_ratio,
        max_drawdown,
        var_95,
        cvar_95,
        case
            when sum_sq > 0
                then n_real * sqrt(n_real - 1) / (n_real - 2) * sum_cube / power(sum_sq, 1.5)
        end as skewness,
        case
            when sum_sq > 0
                then n_real * (n_real + 1) * (n_real - 1) * sum_quad
                    / ((n_real - 2) * (n_real - 3) * power(sum_sq, 2))
                    - 3 * power(n_real - 1, 2) / ((n_real - 2) * (n_real - 3))
        end as kurtosis,
        case
            when sum_sq_benchmark / n_paired >= 1e-30 then sum_cross / sum_sq_benchmark
        end as beta,
        sum_cross / nullif(sqrt(sum_sq_benchmark) * sqrt(sum_sq_paired), 0) as correlation,
        cast(n_excess as {{ double }}) / nullif(n_real, 0) as risk_free_coverage
    from unpivoted

)

select
    {{ risk_keys(keys) }},
    window_name,
    as_of_date,
    n_observations,
    annual_return,
    annual_volatility,
    sharpe_ratio,
    sortino_ratio,
    max_drawdown,
    case
        when max_drawdown < 0 then annual_return / abs(max_drawdown)
    end as calmar_ratio,
    var_95,
    cvar_95,
    skewness,
    kurtosis,
    beta,
    correlation,
    risk_free_coverage
from metrics
{%- endmacro %}
