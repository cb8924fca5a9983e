{#
    One row per imported portfolio, described by its latest snapshot. A portfolio that
    starts before the retained prices (is_before_retained_prices) is not valued
    (int_portfolio_positions_valued applies the same rule).
#}
with holdings as (

    select * from {{ ref('stg_portfolio__holdings') }}

),

calendar as (

    select date_day from {{ ref('dim_date') }}
    where is_trading_day

),

first_priced as (

    select min(trading_date) as first_priced_date
    from {{ ref('fct_prices_daily') }}

),

snapshots as (

    select
        portfolio_id,
        as_of_date,
        max(portfolio_name) as portfolio_name,
        max(base_currency) as base_currency,
        count(*) as holding_count,
        count(quantity) as quantity_count,
        min(as_of_date) over (partition by portfolio_id) as inception_date,
        max(as_of_date) over (partition by portfolio_id) as latest_as_of_date
    from holdings
    group by portfolio_id, as_of_date

),

-- The first session on or after each portfolio's inception date.
inception_sessions as (

    select
        inceptions.portfolio_id,
        min(calendar.date_day) as first_session_date
    from (
        select
            portfolio_id,
            min(as_of_date) as inception_date
        from holdings
        group by portfolio_id
    ) as inceptions
    inner join calendar
        on inceptions.inception_date <= calendar.date_day
    group by inceptions.portfolio_id

),

final as (

    select
        snapshots.portfolio_id,
        snapshots.portfolio_name,
        snapshots.base_currency,
        snapshots.inception_date,
        snapshots.latest_as_of_date,
        snapshots.holding_count,
        case
            when snapshots.quantity_count > 0 then 'quantity' else 'target_weight'
        end as weighting,
        '{{ var("benchmark_symbol") }}' as benchmark_symbol,
        coalesce(
            inception_sessions.first_session_date < first_priced.first_priced_date, false
        ) as is_before_retained_prices
    from snapshots
    cross join first_priced
    left join inception_sessions
        on snapshots.portfolio_id = inception_sessions.portfolio_id
    where snapshots.as_of_date = snapshots.latest_as_of_date

)

select * from final
