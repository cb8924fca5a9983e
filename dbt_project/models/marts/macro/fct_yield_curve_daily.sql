-- Treasury constant-maturity yields are end-of-day market quotes: keyed on their market date
-- (FRED publishes them the next business day; fct_macro_asof_daily honours that timing).
with observations as (

    select * from {{ ref('fct_macro_observations') }}
    where
        is_latest_vintage
        and indicator_id in ('DGS3MO', 'DGS2', 'DGS10')

),

trading_days as (

    select date_day from {{ ref('dim_date') }}
    where is_trading_day

),

yields as (

    select
        observation_date,
        max(case when indicator_id = 'DGS3MO' then value end) as yield_3m,
        max(case when indicator_id = 'DGS2' then value end) as yield_2y,
        max(case when indicator_id = 'DGS10' then value end) as yield_10y
    from observations
    group by observation_date

),

-- Days the bond market quoted all three maturities; its holidays on which NYSE trades
-- (Columbus Day, Veterans Day) have no row, so they neither break nor extend a streak.
quoted as (

    select
        yields.observation_date as trading_date,
        yields.yield_3m,
        yields.yield_2y,
        yields.yield_10y,
        yields.yield_10y - yields.yield_2y as spread_10y2y,
        yields.yield_10y - yields.yield_3m as spread_10y3m
    from yields
    inner join trading_days
        on yields.observation_date = trading_days.date_day
    where
        yields.yield_3m is not null
        and yields.yield_2y is not null
        and yields.yield_10y is not null

),

flagged as (

    select
        *,
        spread_10y2y < 0 as is_inverted_10y2y,
        spread_10y3m < 0 as is_inverted_10y3m,
        spread_10y2y < 0 or spread_10y3m < 0 as is_curve_inverted
    from quoted

),

-- Gaps and islands: each day that is not inverted starts a new island; the inverted days
-- after it count up the streak.
islands as (

    select
        *,
        sum(case when is_inverted_10y2y then 0 else 1 end) over (
            order by trading_date rows between unbounded preceding and current row
        ) as island_10y2y,
        sum(case when is_inverted_10y3m then 0 else 1 end) over (
            order by trading_date rows between unbounded preceding and current row
        ) as island_10y3m,
        sum(case when is_curve_inverted then 0 else 1 end) over (
            order by trading_date rows between unbounded preceding and current row
        ) as island_curve
    from flagged

),

streaks as (

    select
        *,
        sum(case when is_inverted_10y2y then 1 else 0 end) over (
            partition by island_10y2y
            order by trading_date rows between unbounded preceding and current row
        ) as inversion_streak_10y2y_days,
        sum(case when is_inverted_10y3m then 1 else 0 end) over (
            partition by island_10y3m
            order by trading_date rows between unbounded preceding and current row
        ) as inversion_streak_10y3m_days,
        sum(case when is_curve_inverted then 1 else 0 end) over (
            partition by island_curve
            order by trading_date rows between unbounded preceding and current row
        ) as curve_inversion_streak_days
    from islands

),

final as (

    select
        trading_date,
        yield_3m,
        yield_2y,
        yield_10y,
        spread_10y2y,
        spread_10y3m,
        is_inverted_10y2y,
        is_inverted_10y3m,
        is_curve_inverted,
        cast(inversion_streak_10y2y_days as integer) as inversion_streak_10y2y_days,
        cast(inversion_streak_10y3m_days as integer) as inversion_streak_10y3m_days,
        cast(curve_inversion_streak_days as integer) as curve_inversion_streak_days
    from streaks

)

select * from final
