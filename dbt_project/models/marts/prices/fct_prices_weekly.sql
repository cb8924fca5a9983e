{#
    Incremental on DuckDB and Postgres (docs/decisions/0038-restated-symbols-log.md):
    a run rewrites, per stored symbol, only the weeks from its latest stored
    week on (the one the new sessions continue, and the new ones). A symbol
    whose stored prices fct_prices_daily rewrote (a dividend or split restated
    its adjusted history, a correction, a backfill: macros/restated_symbols.sql)
    is deleted by the pre-hook and rewritten whole, as is one not stored yet.
    Spark: a table (insert_overwrite replaces partitions, and this contract has
    no partition column).
#}
{{
    config(
        materialized='table' if target.type == 'spark' else 'incremental',
        incremental_strategy='delete+insert',
        unique_key=['symbol', 'week_start_date'],
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

with prices as (

    select * from {{ ref('fct_prices_daily') }}

),

{% if is_incremental() %}

    -- The latest stored week of each symbol (restated ones were deleted by the pre-hook).
    stored_weeks as (

        select
            symbol,
            max(week_start_date) as last_week_start_date
        from {{ this }}
        group by symbol

    ),

    scoped_prices as (

        select prices.*
        from prices
        left join stored_weeks
            on prices.symbol = stored_weeks.symbol
        where
            stored_weeks.symbol is null
            or prices.trading_date >= stored_weeks.last_week_start_date

    ),

{% else %}

    scoped_prices as (

        select * from prices

    ),

{% endif %}

weekly as (

    select
        symbol,
        trading_date,
        adj_open,
        adj_high,
        adj_low,
        adj_close,
        volume,
        cast({{ dbt.date_trunc('week', 'trading_date') }} as date) as week_start_date
    from scoped_prices

),

-- One group by, no window sort: the week's open and close are the values on its
-- first and last trading date (arg_min / arg_max, see macros/value_at_extreme.sql).
final as (

    select
        symbol,
        week_start_date,
        min(trading_date) as first_trading_date,
        max(trading_date) as last_trading_date,
        cast(count(*) as integer) as trading_days,
        {{ marketpulse.first_by('adj_open', 'trading_date') }} as adj_open,
        max(adj_high) as adj_high,
        min(adj_low) as adj_low,
        {{ marketpulse.last_by('adj_close', 'trading_date') }} as adj_close,
        cast(sum(volume) as bigint) as volume
    from weekly
    group by symbol, week_start_date

)

select * from final
