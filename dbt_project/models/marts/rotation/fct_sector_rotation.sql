{#
    Sector rotation per sector ETF (seed sector_etfs) and session: trailing
    returns over 21/63/126/252 sessions, relative strength against the
    benchmark, its normalised RS-Ratio and RS-Momentum and the relative
    rotation graph quadrant, and each sector's rank by 3-month return.
    RS-Ratio = 100 * RS / SMA(RS, 50); RS-Momentum = 100 * RS-Ratio / RS-Ratio
    50 sessions earlier (10 weeks). See
    docs/decisions/0006-risk-and-rotation-definitions.md.
    Incremental with a lookback of the longest window plus a month; a symbol
    whose stored relative strength no longer matches today's adjusted prices
    (a dividend restated its history, or the benchmark's) is rebuilt whole.
#}
-- depends_on: {{ ref('dim_date') }}
{{
    config(
        materialized='incremental',
        incremental_strategy=marketpulse.incremental_strategy(),
        partition_by=marketpulse.incremental_partition_by(),
        unique_key=['symbol', 'trading_date'],
        on_schema_change='fail',
    )
}}
{%- set benchmark = var('benchmark_symbol') -%}
{%- set return_windows = [('1m', 21), ('3m', 63), ('6m', 126), ('12m', 252)] -%}
{%- set rs_sessions = var('rotation_rs_sessions', 50) -%}
{%- set momentum_sessions = var('rotation_momentum_sessions', 50) -%}
{%- set lookback_sessions = 252 + 21 -%}

with sectors as (

    select
        symbol,
        cast(sector as {{ marketpulse.type_text() }}) as sector
    from {{ ref('sector_etfs') }}

),

all_prices as (

    select
        symbol,
        trading_date,
        adj_close
    from {{ ref('fct_prices_daily') }}

),

benchmark_prices as (

    select
        trading_date,
        adj_close as benchmark_close
    from all_prices
    where symbol = '{{ benchmark }}'

),

{% if is_incremental() %}

    lookback_starts as (

        {{ marketpulse.symbol_lookback_starts(lookback_sessions, ref('fct_prices_daily')) }}

    ),

    -- Whether each stored symbol's relative strength on its last session still
    -- equals today's prices (a dividend of the ETF or the benchmark restates them).
    checked as (

        select
            lookback_starts.symbol,
            lookback_starts.last_date,
            lookback_starts.start_date,
            coalesce(
                stored_rows.relative_strength
                = all_prices.adj_close / benchmark_prices.benchmark_close,
                false
            ) as is_current
        from lookback_starts
        inner join {{ this }} as stored_rows
            on
                lookback_starts.symbol = stored_rows.symbol
                and lookback_starts.last_date = stored_rows.trading_date
        left join all_prices
            on
                stored_rows.symbol = all_prices.symbol
                and stored_rows.trading_date = all_prices.trading_date
        left join benchmark_prices
            on stored_rows.trading_date = benchmark_prices.trading_date

    ),

    -- Ranks are across sectors, so a restated or new sector means recomputing
    -- every sector's history: then starts is empty.
    starts as (

        select
            symbol,
            last_date,
            start_date
        from checked
        where
            (
                select count(*) from checked as current_rows
                where current_rows.is_current
            )
            = (
                select count(*) from sectors as priced_sectors
                where priced_sectors.symbol in (select all_prices.symbol from all_prices)
            )

    ),

    sector_prices as (

        select
            all_prices.symbol,
            sectors.sector,
            all_prices.trading_date,
            all_prices.adj_close,
            starts.last_date
        from all_prices
        inner join sectors
            on all_prices.symbol = sectors.symbol
        left join starts
            on all_prices.symbol = starts.symbol
        where starts.symbol is null or all_prices.trading_date >= starts.start_date

    ),

{% else %}

    sector_prices as (

        select
            all_prices.symbol,
            sectors.sector,
            all_prices.trading_date,
            all_prices.adj_close,
            cast(null as date) as last_date
        from all_prices
        inner join sectors
            on all_prices.symbol = sectors.symbol

    ),

{% endif %}

measures as (

    select
        sector_prices.symbol,
        sector_prices.sector,
        sector_prices.trading_date,
        sector_prices.last_date,
        {%- for name, sessions in return_windows %}
            sector_prices.adj_close / lag(sector_prices.adj_close, {{ sessions }}) over (
                partition by sector_prices.symbol order by sector_prices.trading_date
            ) - 1 as return_{{ name }},
        {%- endfor %}
        sector_prices.adj_close / benchmark_prices.benchmark_close as relative_strength
    from sector_prices
    left join benchmark_prices
        on sector_prices.trading_date = benchmark_prices.trading_date

),

ratios as (

    select
        *,
        case
            when count(relative_strength) over rs_window = {{ rs_sessions }}
                then 100 * relative_strength / avg(relative_strength) over rs_window
        end as rs_ratio
    from measures
    window rs_window as (
        partition by symbol
        order by trading_date
        rows between {{ rs_sessions - 1 }} preceding and current row
    )

),

momenta as (

    select
        *,
        100 * rs_ratio / lag(rs_ratio, {{ momentum_sessions }}) over (
            partition by symbol order by trading_date
        ) as rs_momentum
    from ratios

),

ranked as (

    select
        *,
        case
            -- bigint on every adapter (Spark's rank is an int).
            when return_3m is not null
                then cast(
                        rank() over (
                            partition by trading_date, return_3m is null
                            order by return_3m desc
                        ) as bigint
                    )
        end as rank_return_3m,
        count(return_3m) over (partition by trading_date) as ranked_sectors
    from momenta

),

final as (

    select
        symbol,
        sector,
        trading_date,
        return_1m,
        return_3m,
        return_6m,
        return_12m,
        relative_strength,
        rs_ratio,
        rs_momentum,
        case
            when rs_ratio is null or rs_momentum is null then null
            when rs_ratio >= 100 and rs_momentum >= 100 then 'leading'
            when rs_ratio >= 100 then 'weakening'
            when rs_momentum < 100 then 'lagging'
            else 'improving'
        end as quadrant,
        rank_return_3m,
        ranked_sectors,
        '{{ benchmark }}' as benchmark_symbol,
        {{ month_start('trading_date') }} as trading_month
    from ranked
    where last_date is null or trading_date > last_date

)

select * from final
