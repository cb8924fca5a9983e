-- The S&P 500 at each month end beside the macro picture as it was known that day: every
-- macro value comes from fct_macro_asof_daily (release timing), and CPI YoY divides the
-- latest CPI known at the month end by the vintage of the year-earlier month current then.
with prices as (

    select * from {{ ref('fct_prices_daily') }}
    where symbol = '^GSPC'

),

month_ends as (

    select date_day from {{ ref('dim_date') }}
    where is_month_end_trading_day

),

macro_asof as (

    select * from {{ ref('fct_macro_asof_daily') }}

),

observations as (

    select * from {{ ref('fct_macro_observations') }}

),

sp500 as (

    select
        month_ends.date_day as month_end_date,
        prices.close as sp500_close,
        prices.close / lag(prices.close) over (
            order by month_ends.date_day
        ) - 1 as sp500_return_1m
    from month_ends
    inner join prices
        on month_ends.date_day = prices.trading_date

),

asof_month_end as (

    select macro_asof.*
    from macro_asof
    inner join month_ends
        on macro_asof.trading_date = month_ends.date_day

),

cpi_known as (

    select
        trading_date,
        indicator_id,
        observation_date,
        value,
        cast({{ dbt.dateadd('month', -12, 'observation_date') }} as date) as year_ago_date
    from asof_month_end
    where indicator_id in ('CPIAUCSL', 'CPILFESL')

),

cpi_yoy as (

    select
        cpi_known.trading_date,
        cpi_known.indicator_id,
        cpi_known.observation_date,
        100 * (cpi_known.value / year_ago.value - 1) as yoy_pct
    from cpi_known
    inner join observations as year_ago
        on
            cpi_known.indicator_id = year_ago.indicator_id
            and cpi_known.year_ago_date = year_ago.observation_date
            and cpi_known.trading_date >= year_ago.realtime_start
            and cpi_known.trading_date <= year_ago.realtime_end

),

macro as (

    select
        asof_month_end.trading_date,
        max(
            case when asof_month_end.indicator_id = 'UNRATE' then asof_month_end.value end
        ) as unemployment_rate,
        max(
            case when asof_month_end.indicator_id = 'FEDFUNDS' then asof_month_end.value end
        ) as fed_funds_rate,
        max(
            case when asof_month_end.indicator_id = 'T10Y2Y' then asof_month_end.value end
        ) as spread_10y2y,
        max(
            case when asof_month_end.indicator_id = 'T10Y3M' then asof_month_end.value end
        ) as spread_10y3m
    from asof_month_end
    group by asof_month_end.trading_date

),

inflation as (

    select
        trading_date,
        max(case when indicator_id = 'CPIAUCSL' then yoy_pct end) as cpi_yoy_pct,
        max(
            case when indicator_id = 'CPIAUCSL' then observation_date end
        ) as cpi_observation_date,
        max(case when indicator_id = 'CPILFESL' then yoy_pct end) as core_cpi_yoy_pct,
        max(
            case when indicator_id = 'CPILFESL' then observation_date end
        ) as core_cpi_observation_date
    from cpi_yoy
    group by trading_date

),

final as (

    select
        sp500.month_end_date,
        sp500.sp500_close,
        sp500.sp500_return_1m,
        inflation.cpi_yoy_pct,
        inflation.cpi_observation_date,
        inflation.core_cpi_yoy_pct,
        inflation.core_cpi_observation_date,
        macro.unemployment_rate,
        macro.fed_funds_rate,
        macro.spread_10y2y,
        macro.spread_10y3m,
        macro.spread_10y2y < 0 or macro.spread_10y3m < 0 as is_curve_inverted
    from sp500
    left join macro
        on sp500.month_end_date = macro.trading_date
    left join inflation
        on sp500.month_end_date = inflation.trading_date

)

select * from final
