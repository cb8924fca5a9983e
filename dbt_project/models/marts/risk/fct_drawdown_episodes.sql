{#
    One row per drawdown episode of a symbol: from a peak (a session closing at
    its running high) through the sessions below it to the recovery, the first
    session closing at or above the peak again (null while still below).
    Every episode is kept, however shallow; filter on depth.

    Incremental on DuckDB and Postgres (docs/decisions/0038-restated-symbols-log.md):
    every episode before a symbol's latest stored one has recovered (a later
    peak closed at or above it), so a run recomputes, per stored symbol, the
    episodes from its latest stored peak on. It reads the fct_drawdowns sessions
    from that episode's stored trough, not its peak: no session between the peak
    and the trough can deepen it, recover it or start another episode, and the
    lengths are differences of session numbers, so the peak's number is the
    trough's less the stored decline_trading_days. A symbol whose stored prices
    fct_prices_daily rewrote (macros/restated_symbols.sql; fct_drawdowns then
    may have recomputed it whole) is deleted by the pre-hook and recomputed
    whole, as is one with no stored episode. Spark: a table (insert_overwrite
    replaces partitions, and this contract has no partition column).
#}
{{
    config(
        materialized='table' if target.type == 'spark' else 'incremental',
        incremental_strategy='delete+insert',
        unique_key=['symbol', 'peak_date'],
        indexes=(
            [{'columns': ['symbol', 'peak_date'], 'unique': true}]
            if target.type == 'postgres' else []
        ),
        on_schema_change='fail',
        pre_hook=[] if target.type == 'spark' else [
            "{{ marketpulse.delete_restated_symbols() }}",
        ],
        post_hook=[] if target.type == 'spark' else [
            "{{ marketpulse.restatement_mark_drop_committed() }}",
            "{{ marketpulse.restatement_mark_commit() }}",
        ],
    )
}}

{%- if target.type != 'spark' -%}
    {%- do marketpulse.capture_restatement_mark() -%}
{%- endif %}

with all_drawdowns as (

    select * from {{ ref('fct_drawdowns') }}

),

{% if is_incremental() %}

    -- The latest stored episode of each symbol (restated ones were deleted by the pre-hook).
    stored_latest as (

        select
            stored.symbol,
            stored.peak_date,
            stored.trough_date,
            stored.decline_trading_days
        from {{ this }} as stored
        inner join (
            select
                symbol,
                max(peak_date) as peak_date
            from {{ this }}
            group by symbol
        ) as latest
            on
                stored.symbol = latest.symbol
                and stored.peak_date = latest.peak_date

    ),

    drawdowns as (

        select all_drawdowns.*
        from all_drawdowns
        left join stored_latest
            on all_drawdowns.symbol = stored_latest.symbol
        where
            stored_latest.symbol is null
            or all_drawdowns.trading_date >= stored_latest.trough_date

    ),

    -- The latest stored peak is before the scope, whose first session (number 1) is its trough.
    continued_peaks as (

        select
            symbol,
            peak_date,
            cast(1 - decline_trading_days as bigint) as session_number
        from stored_latest

    ),

{% else %}

    drawdowns as (

        select * from all_drawdowns

    ),

{% endif %}

numbered as (

    select
        symbol,
        trading_date,
        peak_date,
        drawdown,
        -- bigint on every adapter (Spark's row_number is an int).
        cast(row_number() over (partition by symbol order by trading_date) as bigint)
            as session_number
    from drawdowns

),

underwater as (

    select * from numbered
    where trading_date > peak_date

),

episodes as (

    select
        symbol,
        peak_date,
        min(drawdown) as depth,  -- noqa: RF04
        count(*) as underwater_sessions,
        max(session_number) as last_underwater_session
    from underwater
    group by symbol, peak_date

),

troughs as (

    select
        underwater.symbol,
        underwater.peak_date,
        min(underwater.session_number) as trough_session
    from underwater
    inner join episodes
        on
            underwater.symbol = episodes.symbol
            and underwater.peak_date = episodes.peak_date
            and underwater.drawdown = episodes.depth
    group by underwater.symbol, underwater.peak_date

),

peak_sessions as (

    select
        symbol,
        trading_date as peak_date,
        session_number
    from numbered
    {%- if is_incremental() %}

        union all

        select
            symbol,
            peak_date,
            session_number
        from continued_peaks
    {%- endif %}

),

final as (

    select
        episodes.symbol,
        episodes.peak_date,
        trough.trading_date as trough_date,
        recovery.trading_date as recovery_date,
        episodes.depth,
        trough.session_number - peak.session_number as decline_trading_days,
        coalesce(recovery.session_number, episodes.last_underwater_session)
        - peak.session_number as length_trading_days,
        recovery.session_number is not null as is_recovered
    from episodes
    inner join troughs
        on
            episodes.symbol = troughs.symbol
            and episodes.peak_date = troughs.peak_date
    inner join peak_sessions as peak
        on
            episodes.symbol = peak.symbol
            and episodes.peak_date = peak.peak_date
    inner join numbered as trough
        on
            troughs.symbol = trough.symbol
            and troughs.trough_session = trough.session_number
    left join numbered as recovery
        on
            episodes.symbol = recovery.symbol
            and episodes.last_underwater_session + 1 = recovery.session_number

)

select * from final
