{#
    Every data point fct_data_quality scores, one row per entity and date:
    each price session that reached the marts (symbol) and each date with an
    observed FRED value (series; vintages collapse to one point per date).
#}

with prices as (

    select * from {{ ref('int_prices_flagged') }}

),

observations as (

    select * from {{ ref('fct_macro_observations') }}

),

series as (

    select * from {{ ref('stg_fred__series') }}

),

symbol_points as (

    select
        'symbol' as entity_type,
        symbol as entity_id,
        trading_date as point_date,
        'D' as frequency_short,
        data_origin,
        is_outlier
    from prices
    where close is not null

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
        false as is_outlier
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
