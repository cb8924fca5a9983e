{#
    Incremental on DuckDB and Postgres (docs/decisions/0020-incremental-refresh.md):
    a run recomputes only the symbols with new raw rows, each from a lookback of
    lookback_sessions sessions before its latest stored one (the daily return needs
    the session before, the outlier test the outlier_window returns before), and
    inserts its new sessions. A symbol is recomputed in full, all its sessions
    deleted and inserted, when a dividend or split restates its history or a raw
    row may have changed a stored one: it is new to the table; a corporate action
    was loaded after the load watermark (the newest raw load the previous run had
    seen: macros/load_watermark.sql), or goes ex within its new sessions; a price
    row of a stored session was loaded after the watermark; or it has fewer stored
    sessions in the lookback than the outlier test needs. Spark: a table (its
    insert_overwrite replaces whole partitions, and this contract has no
    partition column).
#}
-- depends_on: {{ ref('int_prices_validated') }}
-- depends_on: {{ ref('stg_yahoo__prices_daily_rows') }}
-- depends_on: {{ ref('stg_yahoo__corporate_actions') }}
-- depends_on: {{ ref('dim_date') }}
{%- set lookback_sessions = var('outlier_window') + 1 + 21 -%}
{%- set lookback_rows = var('outlier_window') + 1 -%}
{{
    config(
        materialized='table' if target.type == 'spark' else 'incremental',
        incremental_strategy=marketpulse.incremental_strategy(),
        unique_key=['symbol', 'trading_date'],
        on_schema_change='fail',
        post_hook=[] if target.type == 'spark' else [
            "{{ marketpulse.load_watermark_drop_committed() }}",
            "{{ marketpulse.load_watermark_commit() }}",
            "{{ marketpulse.log_restated_symbols_commit() }}",
        ],
    )
}}

{#- A row or action loaded after the watermark (all of them without one) is new. -#}
{%- set watermark = (marketpulse.load_watermark() if is_incremental()) or 'null' -%}
{%- if target.type != 'spark' -%}
    {%- do marketpulse.capture_load_watermark([
        ref('stg_yahoo__prices_daily_rows'), ref('stg_yahoo__corporate_actions'),
    ]) -%}
{%- endif %}

{% if is_incremental() %}

    {#- The plan: one row per symbol the run recomputes, and how. -#}
    {%- set symbol_plan_sql -%}
    with price_rows as (

        select * from {{ ref('stg_yahoo__prices_daily_rows') }}

    ),

    corporate_actions as (

        select * from {{ ref('stg_yahoo__corporate_actions') }}

    ),

    sessions as (

        select
            date_day,
            row_number() over (order by date_day) as session_index
        from {{ ref('dim_date') }}
        where is_trading_day

    ),

    stored as (

        select
            symbol,
            min(trading_date) as first_date,
            max(trading_date) as last_date
        from {{ this }}
        group by symbol

    ),

    stored_starts as (

        select
            stored.symbol,
            stored.first_date,
            stored.last_date,
            start_session.date_day as start_date
        from stored
        left join sessions as last_session
            on stored.last_date = last_session.date_day
        left join sessions as start_session
            on start_session.session_index = last_session.session_index - {{ lookback_sessions }}

    ),

    lookback_counts as (

        select
            stored_starts.symbol,
            count(*) as stored_rows
        from stored_starts
        inner join {{ this }} as stored_prices
            on
                stored_starts.symbol = stored_prices.symbol
                and stored_starts.start_date <= stored_prices.trading_date
        group by stored_starts.symbol

    ),

    raw_loads as (

        select
            symbol,
            max(trading_date) as last_raw_date,
            min(
                case when coalesce(loaded_at > {{ watermark }}, true) then trading_date end
            ) as first_reloaded_date
        from price_rows
        group by symbol

    ),

    action_loads as (

        select
            corporate_actions.symbol,
            max(
                case
                    when coalesce(corporate_actions.loaded_at > {{ watermark }}, true) then 1
                    else 0
                end
            ) = 1 as has_new_action,
            max(
                case
                    when
                        corporate_actions.ex_date > stored.last_date
                        and corporate_actions.ex_date <= raw_loads.last_raw_date
                        then 1
                    else 0
                end
            ) = 1 as has_action_in_new_sessions
        from corporate_actions
        inner join raw_loads
            on corporate_actions.symbol = raw_loads.symbol
        left join stored
            on corporate_actions.symbol = stored.symbol
        group by corporate_actions.symbol

    ),

    symbol_plan as (

        select
            raw_loads.symbol,
            stored_starts.start_date,
            stored_starts.last_date,
            (
                stored_starts.symbol is null
                or stored_starts.start_date is null
                or coalesce(raw_loads.first_reloaded_date <= stored_starts.last_date, false)
                or coalesce(action_loads.has_new_action, false)
                or coalesce(action_loads.has_action_in_new_sessions, false)
                or (
                    stored_starts.first_date < stored_starts.start_date
                    and coalesce(lookback_counts.stored_rows, 0) < {{ lookback_rows }}
                )
            ) as is_full_recompute
        from raw_loads
        left join stored_starts
            on raw_loads.symbol = stored_starts.symbol
        left join action_loads
            on raw_loads.symbol = action_loads.symbol
        left join lookback_counts
            on raw_loads.symbol = lookback_counts.symbol
        where
            stored_starts.symbol is null
            or raw_loads.last_raw_date > stored_starts.last_date
            or raw_loads.first_reloaded_date <= stored_starts.last_date
            or action_loads.has_new_action

    )

    select * from symbol_plan
    {%- endset -%}

    {#-
        The plan is run once, here, and the model reads it as literals: the rows the
        scope needs are pushed into the views below by the warehouse (their windows
        are partitioned by symbol; a join would not be pushed): every session of the
        symbols recomputed in full, the lookback of the others. Loads before the
        watermark captured just above are in the plan; later ones come next run.
    -#}
    {%- set scope = ['1 = 0'] -%}
    {%- set plan_rows = [
        "(cast(null as " ~ dbt.type_string() ~ "), cast(null as date), cast(null as date), false)"
    ] -%}
    {%- if execute -%}
        {%- set plan = run_query(
            'select symbol, start_date, last_date, is_full_recompute from ('
            ~ symbol_plan_sql ~ ') as plan order by symbol'
        ) -%}
        {%- set full_symbols = [] -%}
        {%- set start_dates = [] -%}
        {%- for row in plan.rows -%}
            {%- set symbol = "'" ~ (row[0] | replace("'", "''")) ~ "'" -%}
            {%- if row[3] -%}
                {%- do full_symbols.append(symbol) -%}
            {%- else -%}
                {%- do start_dates.append(row[1] | string) -%}
            {%- endif -%}
            {%- do plan_rows.append(
                '(' ~ symbol
                ~ (", cast('" ~ row[1] ~ "' as date)" if row[1] is not none else ', cast(null as date)')
                ~ (", cast('" ~ row[2] ~ "' as date)" if row[2] is not none else ', cast(null as date)')
                ~ (', true)' if row[3] else ', false)')
            ) -%}
        {%- endfor -%}
        {#- The readers of the stored rows rewrite what this run rewrites (macros/restated_symbols.sql). -#}
        {%- do marketpulse.log_restated_symbols(full_symbols) -%}
        {%- if full_symbols -%}
            {%- do scope.append('symbol in (' ~ full_symbols | join(', ') ~ ')') -%}
        {%- endif -%}
        {%- if start_dates -%}
            {%- do scope.append("trading_date >= cast('" ~ start_dates | min ~ "' as date)") -%}
        {%- endif -%}
    {%- endif %}

    with symbol_plan as (

        select *
        from (
            values
            {{ plan_rows | join(',\n            ') }}
        ) as plan (symbol, start_date, last_date, is_full_recompute)  -- noqa: AL05
        where symbol is not null

    ),

    validated as (

        select * from {{ ref('int_prices_validated') }}
        where {{ scope | join(' or ') }}

    ),

    corporate_actions as (

        select * from {{ ref('stg_yahoo__corporate_actions') }}

    ),

    scoped_prices as (

        select validated.*
        from validated
        inner join symbol_plan
            on validated.symbol = symbol_plan.symbol
        where
            symbol_plan.is_full_recompute
            or validated.trading_date >= symbol_plan.start_date

    ),

    scoped_actions as (

        select corporate_actions.*
        from corporate_actions
        inner join symbol_plan
            on corporate_actions.symbol = symbol_plan.symbol

    ),

    adjusted as (

        {{ marketpulse.prices_adjusted('scoped_prices', 'scoped_actions') }}

    ),

    flagged_all as (

        {{ marketpulse.prices_flagged('adjusted') }}

    ),

    prices_flagged as (

        select flagged_all.*
        from flagged_all
        inner join symbol_plan
            on flagged_all.symbol = symbol_plan.symbol
        where
            symbol_plan.is_full_recompute
            or flagged_all.trading_date > symbol_plan.last_date

    ),

{% else %}

    {%- if target.type != 'spark' -%}
        {%- do marketpulse.log_restated_symbols(none) -%}
    {%- endif %}

    with prices_flagged as (

        select * from {{ ref('int_prices_flagged') }}

    ),

{% endif %}

final as (

    select
        symbol,
        trading_date,
        open,
        high,
        low,
        close,
        volume,
        dividend,
        split_ratio,
        adj_factor,
        adj_open,
        adj_high,
        adj_low,
        adj_close,
        is_outlier
    from prices_flagged
    where close is not null

)

select * from final
