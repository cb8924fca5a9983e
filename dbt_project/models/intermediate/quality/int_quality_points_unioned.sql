{#
    Every data point fct_data_quality scores, one row per entity and date:
    each price session that reached the marts (symbol) and each date with an
    observed FRED value (series; vintages collapse to one point per date).
    Sessions come from the stored fct_prices_daily (not its views: a daily
    refresh would recompute every price to count them); a symbol's data_origin
    is live when any of its raw rows is, as the sample and live data never
    share a warehouse (docs/decisions/0003-sample-and-live-never-mix.md).
    is_zero_volume: a session with volume 0 of a symbol whose dim_symbol
    asset_class is in var zero_volume_asset_classes (equities, ETFs), an
    anomaly; an index's volume is legitimately 0.
#}
{%- set traded_classes = "'" ~ var('zero_volume_asset_classes') | join("', '") ~ "'" -%}

with prices as (

    select * from {{ ref('fct_prices_daily') }}

),

price_rows as (

    select * from {{ ref('stg_yahoo__prices_daily_rows') }}

),

observations as (

    select * from {{ ref('fct_macro_observations') }}

),

series as (

    select * from {{ ref('stg_fred__series') }}

),

symbols as (

    select * from {{ ref('dim_symbol') }}

),

symbol_origins as (

    select
        symbol,
        case
            when max(case when data_origin = 'live' then 1 else 0 end) = 1 then 'live'
            else min(data_origin)
        end as data_origin
    from price_rows
    group by symbol

),

symbol_points as (

    select
        'symbol' as entity_type,
        prices.symbol as entity_id,
        prices.trading_date as point_date,
        'D' as frequency_short,
        symbol_origins.data_origin,
        prices.is_outlier,
        coalesce(
            prices.volume = 0
            and symbols.asset_class in ({{ traded_classes }}),
            false
        ) as is_zero_volume
    from prices
    inner join symbol_origins
        on prices.symbol = symbol_origins.symbol
    left join symbols
        on prices.symbol = symbols.symbol

),

observation_dates as (

    select distinct
        indicator_id,
        observation_date
    from observations

),

series_points as (

    select
        'series' as entity_type,
        observation_dates.indicator_id as entity_id,
        observation_dates.observation_date as point_date,
        coalesce(series.frequency_short, 'D') as frequency_short,
        series.data_origin,
        false as is_outlier,
        false as is_zero_volume
    from observation_dates
    left join series
        on observation_dates.indicator_id = series.indicator_id

),

final as (

    select * from symbol_points
    union all
    select * from series_points

)

select * from final
