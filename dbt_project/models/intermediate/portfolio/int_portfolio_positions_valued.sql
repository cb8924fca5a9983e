{#
    Every position of every portfolio snapshot on every session it is held, valued at the
    session's close (docs/decisions/0013-portfolios.md), plus one more row per position on
    the next snapshot's first session (is_held false): the old positions are valued at that
    close, where the next snapshot replaces them, so that
    - a weights-only snapshot is bought with the value the portfolio has then, and
    - the next session's daily return can use the weights held at the previous close.

    Sessions are NYSE sessions (dim_date) up to the latest session of fct_prices_daily; a
    session without a price for a symbol carries its last close forward. Quantities carry
    through splits after the snapshot's date (split_ratio on the ex-date's row) because
    fct_prices_daily's close is as traded.

    A portfolio whose first snapshot's first session is before the first session of
    fct_prices_daily (its history was pruned by retention, docs/decisions/0033) cannot be
    valued from its inception: it has no rows here (dim_portfolio flags it with
    is_before_retained_prices, and `make health` reports it).

    Weights-only snapshots: bought at the first session's close with the portfolio's value
    then. The value chains without recursion: a quantity snapshot's positions have an
    absolute value at the next snapshot's first session (the anchor; for the first snapshot
    the portfolio_notional var), and each weights-only snapshot grows its purchase value by a
    factor (value per unit bought) up to the next one; a purchase value is the anchor times
    the product of the factors since, a product taken as exp(sum(ln)).
#}
with holdings as (

    select * from {{ ref('stg_portfolio__holdings') }}

),

calendar as (

    select date_day from {{ ref('dim_date') }}
    where is_trading_day

),

prices as (

    select
        symbol,
        trading_date,
        close,
        adj_close,
        split_ratio
    from {{ ref('fct_prices_daily') }}

),

last_priced as (

    select
        min(trading_date) as first_priced_date,
        max(trading_date) as last_priced_date
    from prices

),

all_snapshots as (

    select
        portfolio_id,
        as_of_date,
        count(quantity) = 0 as is_weights_only
    from holdings
    group by portfolio_id, as_of_date

),

-- Portfolios whose inception is on or after the first priced session (the first session on
-- or after it, for a date that is no session).
valued_portfolios as (

    select inception_sessions.portfolio_id
    from (
        select
            inceptions.portfolio_id,
            min(calendar.date_day) as first_session_date
        from (
            select
                portfolio_id,
                min(as_of_date) as inception_date
            from all_snapshots
            group by portfolio_id
        ) as inceptions
        inner join calendar
            on inceptions.inception_date <= calendar.date_day
        group by inceptions.portfolio_id
    ) as inception_sessions
    cross join last_priced
    where
        last_priced.first_priced_date is null
        or inception_sessions.first_session_date >= last_priced.first_priced_date

),

snapshots as (

    select all_snapshots.*
    from all_snapshots
    inner join valued_portfolios
        on all_snapshots.portfolio_id = valued_portfolios.portfolio_id

),

-- The first session on or after each snapshot's date.
snapshot_first_sessions as (

    select
        snapshots.portfolio_id,
        snapshots.as_of_date,
        snapshots.is_weights_only,
        min(calendar.date_day) as first_session_date
    from snapshots
    inner join calendar
        on snapshots.as_of_date <= calendar.date_day
    group by
        snapshots.portfolio_id,
        snapshots.as_of_date,
        snapshots.is_weights_only

),

snapshot_spans as (

    select
        portfolio_id,
        as_of_date,
        is_weights_only,
        first_session_date,
        lead(as_of_date) over (
            partition by portfolio_id order by as_of_date
        ) as next_as_of_date,
        lead(first_session_date) over (
            partition by portfolio_id order by as_of_date
        ) as next_first_session_date
    from snapshot_first_sessions

),

-- A snapshot is held from its first session to the last session before the next snapshot's
-- date, and valued once more on the next snapshot's first session.
snapshot_sessions as (

    select
        snapshot_spans.portfolio_id,
        snapshot_spans.as_of_date as snapshot_as_of_date,
        snapshot_spans.is_weights_only,
        snapshot_spans.first_session_date,
        snapshot_spans.next_first_session_date,
        calendar.date_day as trading_date,
        coalesce(calendar.date_day < snapshot_spans.next_as_of_date, true) as is_held
    from snapshot_spans
    cross join last_priced
    inner join calendar
        on
            snapshot_spans.first_session_date <= calendar.date_day
            and coalesce(
                snapshot_spans.next_first_session_date, last_priced.last_priced_date
            ) >= calendar.date_day
    where calendar.date_day <= last_priced.last_priced_date

),

held_symbols as (

    select distinct symbol from holdings

),

-- Every session of each held symbol from its first price to the latest priced session.
symbol_sessions as (

    select
        symbol_starts.symbol,
        calendar.date_day as trading_date
    from (
        select
            prices.symbol,
            min(prices.trading_date) as first_price_date
        from prices
        inner join held_symbols
            on prices.symbol = held_symbols.symbol
        group by prices.symbol
    ) as symbol_starts
    cross join last_priced
    inner join calendar
        on
            symbol_starts.first_price_date <= calendar.date_day
            and last_priced.last_priced_date >= calendar.date_day

),

price_dates as (

    select
        symbol_sessions.symbol,
        symbol_sessions.trading_date,
        coalesce(prices.split_ratio, 1) as split_ratio,
        max(prices.trading_date) over (
            partition by symbol_sessions.symbol
            order by symbol_sessions.trading_date
            rows between unbounded preceding and current row
        ) as price_date
    from symbol_sessions
    left join prices
        on
            symbol_sessions.symbol = prices.symbol
            and symbol_sessions.trading_date = prices.trading_date

),

-- The last close on or before each session, and the total return since the previous one.
prices_carried as (

    select
        price_dates.symbol,
        price_dates.trading_date,
        price_dates.split_ratio,
        prices.close,
        prices.adj_close,
        prices.adj_close / lag(prices.adj_close) over (
            partition by price_dates.symbol order by price_dates.trading_date
        ) - 1 as asset_return
    from price_dates
    inner join prices
        on
            price_dates.symbol = prices.symbol
            and price_dates.price_date = prices.trading_date

),

-- Splits change the share count after the date the quantity is known: the snapshot's date,
-- or for a weights-only snapshot the first session, at whose close it is bought.
positions as (

    select
        snapshot_sessions.portfolio_id,
        snapshot_sessions.snapshot_as_of_date,
        holdings.symbol,
        snapshot_sessions.trading_date,
        snapshot_sessions.is_held,
        snapshot_sessions.is_weights_only,
        snapshot_sessions.next_first_session_date,
        holdings.quantity as snapshot_quantity,
        holdings.target_weight,
        holdings.cost_basis as snapshot_cost_basis,
        prices_carried.close,
        prices_carried.adj_close,
        prices_carried.asset_return,
        case
            when
                snapshot_sessions.trading_date > case
                    when snapshot_sessions.is_weights_only
                        then snapshot_sessions.first_session_date
                    else snapshot_sessions.snapshot_as_of_date
                end
                then ln(prices_carried.split_ratio)
            else 0
        end as split_ln
    from snapshot_sessions
    inner join holdings
        on
            snapshot_sessions.portfolio_id = holdings.portfolio_id
            and snapshot_sessions.snapshot_as_of_date = holdings.as_of_date
    left join prices_carried
        on
            holdings.symbol = prices_carried.symbol
            and snapshot_sessions.trading_date = prices_carried.trading_date

),

-- Split factors are exact rationals: rounded to 12 decimals to drop exp/ln noise (ADR 0001).
positions_split as (

    select
        *,
        round(
            exp(sum(coalesce(split_ln, 0)) over (
                partition by portfolio_id, snapshot_as_of_date, symbol
                order by trading_date
                rows between unbounded preceding and current row
            )) * 1e12
        ) / 1e12 as split_factor,
        first_value(close) over (
            partition by portfolio_id, snapshot_as_of_date, symbol
            order by trading_date
            rows between unbounded preceding and current row
        ) as first_session_close
    from positions

),

-- Shares held: a quantity snapshot's shares, or for a weights-only snapshot the shares per
-- unit of its purchase value (weight / first close).
positions_units as (

    select
        *,
        case
            when is_weights_only then target_weight / first_session_close
            else snapshot_quantity
        end * split_factor as unit_quantity
    from positions_split

),

-- Each snapshot's value at the next snapshot's first session: absolute for a quantity
-- snapshot, per unit of purchase value (a growth factor) for a weights-only one. Null when a
-- position has no price then.
snapshot_ends as (

    select
        portfolio_id,
        snapshot_as_of_date,
        case
            when count(*) = count(unit_quantity * close)
                then sum(unit_quantity * close)
        end as end_value
    from positions_units
    where trading_date = next_first_session_date
    group by portfolio_id, snapshot_as_of_date

),

-- Valuation groups: a quantity snapshot starts a new group (its value is known); the
-- weights-only snapshots after it chain from it.
snapshot_groups as (

    select
        snapshot_spans.portfolio_id,
        snapshot_spans.as_of_date as snapshot_as_of_date,
        snapshot_spans.is_weights_only,
        snapshot_ends.end_value,
        sum(case when snapshot_spans.is_weights_only then 0 else 1 end) over (
            partition by snapshot_spans.portfolio_id
            order by snapshot_spans.as_of_date
            rows between unbounded preceding and current row
        ) as valuation_group
    from snapshot_spans
    left join snapshot_ends
        on
            snapshot_spans.portfolio_id = snapshot_ends.portfolio_id
            and snapshot_spans.as_of_date = snapshot_ends.snapshot_as_of_date

),

snapshot_factors as (

    select
        portfolio_id,
        snapshot_as_of_date,
        is_weights_only,
        valuation_group,
        case when not is_weights_only then end_value end as anchor_value,
        case
            when is_weights_only then ln(case when end_value > 0 then end_value end)
        end as growth_ln,
        case when is_weights_only then 1 else 0 end as is_factor
    from snapshot_groups

),

-- The purchase value of a weights-only snapshot: the group's anchor (the notional in group
-- 0) times the growth factors of the weights-only snapshots before it in its group; null
-- when one of them is unknown.
snapshot_chains as (

    select
        portfolio_id,
        snapshot_as_of_date,
        is_weights_only,
        valuation_group,
        case
            when valuation_group = 0
                then cast({{ var('portfolio_notional') }} as {{ marketpulse.type_double() }})
            else max(anchor_value) over (partition by portfolio_id, valuation_group)
        end as anchor_value,
        coalesce(sum(is_factor) over (
            partition by portfolio_id, valuation_group
            order by snapshot_as_of_date
            rows between unbounded preceding and 1 preceding
        ), 0) as factor_count,
        coalesce(count(growth_ln) over (
            partition by portfolio_id, valuation_group
            order by snapshot_as_of_date
            rows between unbounded preceding and 1 preceding
        ), 0) as known_factor_count,
        coalesce(sum(growth_ln) over (
            partition by portfolio_id, valuation_group
            order by snapshot_as_of_date
            rows between unbounded preceding and 1 preceding
        ), 0) as growth_ln_sum
    from snapshot_factors

),

snapshot_values as (

    select
        portfolio_id,
        snapshot_as_of_date,
        case
            when is_weights_only and factor_count = known_factor_count
                then anchor_value * exp(growth_ln_sum)
        end as purchase_value
    from snapshot_chains

),

positions_valued as (

    select
        positions_units.portfolio_id,
        positions_units.snapshot_as_of_date,
        positions_units.symbol,
        positions_units.trading_date,
        positions_units.is_held,
        positions_units.target_weight,
        positions_units.close,
        positions_units.adj_close,
        positions_units.asset_return,
        snapshot_values.purchase_value,
        positions_units.snapshot_cost_basis / positions_units.split_factor as cost_basis,
        case
            when positions_units.is_weights_only
                then positions_units.unit_quantity * snapshot_values.purchase_value
            else positions_units.unit_quantity
        end as quantity
    from positions_units
    inner join snapshot_values
        on
            positions_units.portfolio_id = snapshot_values.portfolio_id
            and positions_units.snapshot_as_of_date = snapshot_values.snapshot_as_of_date

),

market_values as (

    select
        *,
        quantity * close as market_value
    from positions_valued

),

held_values as (

    select
        *,
        sum(case when is_held then market_value end) over (
            partition by portfolio_id, trading_date
        ) as held_value
    from market_values

),

weights as (

    select
        *,
        case
            when is_held
                then market_value / nullif(held_value, 0)
        end as weight
    from held_values

),

final as (

    select
        portfolio_id,
        snapshot_as_of_date,
        symbol,
        trading_date,
        is_held,
        quantity,
        close,
        adj_close,
        market_value,
        weight,
        target_weight,
        cost_basis,
        purchase_value,
        asset_return,
        lag(weight) over (
            partition by portfolio_id, snapshot_as_of_date, symbol
            order by trading_date
        ) as previous_weight
    from weights

)

select * from final
