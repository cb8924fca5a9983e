{#
    For an incremental run of a per-symbol daily mart: one row per symbol already
    in {{ this }}, with last_date (its latest stored session) and start_date, the
    NYSE session lookback_sessions sessions before last_date (from dim_date).
    Rows from start_date on are enough to recompute every window that ends after
    last_date, as long as the symbol misses fewer sessions in that span than the
    margin the caller adds to its longest window. Renders one select (no with),
    so it nests in a CTE. Symbols not in {{ this }} have no row: callers take
    their whole history. With `upstream` (the relation the mart is built from,
    with symbol and trading_date), neither has a symbol whose stored history
    starts on another date than upstream's: its history was extended back (a
    backfill) or pruned (docs/decisions/0033-retention-propagates.md), so every
    stored window may differ from a fresh build.
#}
{% macro symbol_lookback_starts(lookback_sessions, upstream=none) -%}
    select
        stored.symbol,
        stored.last_date,
        start_session.date_day as start_date
    from (
        select
            symbol,
            min(trading_date) as first_date,
            max(trading_date) as last_date
        from {{ this }}
        group by symbol
    ) as stored
    {%- if upstream is not none %}
    inner join (
        select
            symbol,
            min(trading_date) as first_date
        from {{ upstream }}
        group by symbol
    ) as upstream_starts
        on
            stored.symbol = upstream_starts.symbol
            and stored.first_date = upstream_starts.first_date
    {%- endif %}
    inner join (
        select
            date_day,
            row_number() over (order by date_day) as session_index
        from {{ ref('dim_date') }}
        where is_trading_day
    ) as last_session
        on stored.last_date = last_session.date_day
    inner join (
        select
            date_day,
            row_number() over (order by date_day) as session_index
        from {{ ref('dim_date') }}
        where is_trading_day
    ) as start_session
        on start_session.session_index = last_session.session_index - {{ lookback_sessions }}
{%- endmacro %}
