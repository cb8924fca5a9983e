{#
    Adjusted prices with each session's total return and the outlier flag.
    A return is an outlier when its size exceeds var outlier_abs_return, or
    when it lies more than var outlier_sigma standard deviations from the
    mean of the symbol's previous var outlier_window returns (only once at
    least var outlier_min_periods of them exist). Outliers stay in the marts,
    flagged; int_prices_quarantine lists them with reason return_outlier.

    prices_adjusted: a relation or CTE with int_prices_adjusted's columns. Renders a
    whole `with ... select` statement: those columns, daily_return, the trailing
    statistics and is_outlier. A row needs the outlier_window + 1 rows before it.
#}
{% macro prices_flagged(prices_adjusted) -%}
{%- set window = var('outlier_window') | int -%}
with returns as (

    select
        symbol,
        trading_date,
        data_origin,
        yahoo_close,
        yahoo_adj_close,
        open,
        high,
        low,
        close,
        volume,
        dividend,
        split_ratio,
        dividend_factor,
        split_factor_after,
        dividend_factor_after,
        adj_factor,
        adj_open,
        adj_high,
        adj_low,
        adj_close,
        adj_close / lag(adj_close) over (
            partition by symbol
            order by trading_date
        ) - 1 as daily_return
    from {{ prices_adjusted }}

),

trailing_stats as (

    select
        *,
        avg(daily_return) over (
            partition by symbol
            order by trading_date
            rows between {{ window }} preceding and 1 preceding
        ) as trailing_mean_return,
        stddev_samp(daily_return) over (
            partition by symbol
            order by trading_date
            rows between {{ window }} preceding and 1 preceding
        ) as trailing_stddev_return,
        count(daily_return) over (
            partition by symbol
            order by trading_date
            rows between {{ window }} preceding and 1 preceding
        ) as trailing_return_count
    from returns

),

final as (

    select
        *,
        coalesce(
            abs(daily_return) > {{ var('outlier_abs_return') }}
            or (
                trailing_return_count >= {{ var('outlier_min_periods') }}
                and abs(daily_return - trailing_mean_return)
                > {{ var('outlier_sigma') }} * trailing_stddev_return
            ),
            false
        ) as is_outlier
    from trailing_stats

)

select * from final
{%- endmacro %}
