{#
    Each portfolio's positions on every NYSE session from its first snapshot's first
    session to the latest priced session (int_portfolio_positions_valued holds the method).
#}
with positions as (

    select * from {{ ref('int_portfolio_positions_valued') }}

),

final as (

    select
        portfolio_id,
        trading_date,
        symbol,
        snapshot_as_of_date,
        quantity,
        close,
        adj_close,
        market_value,
        weight,
        target_weight,
        cost_basis,
        weight - target_weight as weight_drift,
        market_value - quantity * cost_basis as unrealized_pnl
    from positions
    where is_held

)

select * from final
