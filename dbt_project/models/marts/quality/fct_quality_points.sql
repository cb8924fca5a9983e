{#
    Every data point fct_data_quality scores, one row per entity and date, with
    its gap to the entity's previous point: each session of fct_prices_daily
    (entity_type symbol) and each date with an observed FRED value (series;
    vintages collapse to one point per date). fct_data_quality sums these rows
    instead of rescanning the price history each build.

    Incremental on DuckDB and Postgres (docs/decisions/0038-restated-symbols-log.md):
    a run adds each stored symbol's sessions after its latest stored point, the
    first of them gapped from that point. A symbol whose stored prices
    fct_prices_daily rewrote (a dividend or split restated it, a raw correction,
    a backfill: macros/restated_symbols.sql) is deleted by the pre-hook and
    recomputed whole, as is one not stored yet. Series are a few thousand
    points: they are deleted and recomputed every run. Spark: a table.

    data_origin: live when any raw row of the session is live, else its
    origin (sample_real, sample_simulated). has_zero_volume: volume 0, whatever
    the asset class (fct_data_quality counts it for var zero_volume_asset_classes
    only, from dim_symbol, so a changed asset class needs no recompute here).
#}
-- depends_on: {{ ref('fct_prices_daily') }}
{{
    config(
        materialized='table' if target.type == 'spark' else 'incremental',
        incremental_strategy='delete+insert',
        unique_key=['entity_type', 'entity_id', 'point_date'],
        indexes=(
            [{'columns': ['entity_type', 'entity_id', 'point_date'], 'unique': true}]
            if target.type == 'postgres' else []
        ),
        on_schema_change='fail',
        pre_hook=[] if target.type == 'spark' else [
            "{{ marketpulse.delete_restated_symbols('entity_id', \"entity_type = 'symbol'\") }}",
            "{% if is_incremental() %}delete from {{ this }} where entity_type = 'series'{% endif %}",
        ],
        post_hook=[] if target.type == 'spark' else [
            "{{ marketpulse.restatement_mark_drop_committed() }}",
            "{{ marketpulse.restatement_mark_commit() }}",
        ],
    )
}}

{%- if target.type != 'spark' -%}
    {%- do marketpulse.capture_restatement_mark() -%}
{%- endif -%}

{#-
    The scope of an incremental run, as literals the warehouse pushes into the raw
    rows' view (a join would not be pushed, docs/decisions/0020): every session of the
    symbols restated or not stored yet, and the sessions after the earliest latest
    stored point of the symbols with new sessions.
-#}
{%- set scope = ['1 = 0'] -%}
{%- if is_incremental() -%}
    {%- set restated = marketpulse.restated_symbols() -%}
    {%- if restated is none or not marketpulse.restatement_state_writable() -%}
        {%- do scope.append('1 = 1') -%}
    {%- else -%}
        {%- set plan -%}
            select
                prices.symbol,
                stored.last_date
            from (
                select
                    symbol,
                    max(trading_date) as last_date
                from {{ ref('fct_prices_daily') }}
                group by symbol
            ) as prices
            left join (
                select
                    entity_id as symbol,
                    max(point_date) as last_date
                from {{ this }}
                where entity_type = 'symbol'
                group by entity_id
            ) as stored
                on prices.symbol = stored.symbol
            where stored.symbol is null or prices.last_date > stored.last_date
        {%- endset -%}
        {%- set symbols = restated -%}
        {%- set last_dates = [] -%}
        {%- for row in run_query(plan).rows -%}
            {%- if row[1] is none -%}
                {%- do symbols.append("'" ~ (row[0] | replace("'", "''")) ~ "'") -%}
            {%- else -%}
                {%- do last_dates.append(row[1] | string) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if symbols -%}
            {%- do scope.append('symbol in (' ~ symbols | unique | join(', ') ~ ')') -%}
        {%- endif -%}
        {%- if last_dates -%}
            {%- do scope.append("trading_date > cast('" ~ last_dates | min ~ "' as date)") -%}
        {%- endif -%}
    {%- endif -%}
{%- endif %}

with prices as (

    select
        symbol,
        trading_date,
        is_outlier,
        volume
    from {{ ref('fct_prices_daily') }}
    {%- if is_incremental() %}
        where {{ scope | join(' or ') }}
    {%- endif %}

),

price_rows as (

    select
        symbol,
        trading_date,
        data_origin
    from {{ ref('stg_yahoo__prices_daily_rows') }}
    {%- if is_incremental() %}
        where {{ scope | join(' or ') }}
    {%- endif %}

),

observations as (

    select * from {{ ref('fct_macro_observations') }}

),

series as (

    select * from {{ ref('stg_fred__series') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

{% if is_incremental() %}

    -- The latest stored point of each symbol (restated ones were deleted by the pre-hook).
    stored_symbols as (

        select
            entity_id as symbol,
            max(point_date) as last_date
        from {{ this }}
        where entity_type = 'symbol'
        group by entity_id

    ),

{% else %}

    stored_symbols as (

        select
            symbol,
            trading_date as last_date
        from prices
        where 1 = 0

    ),

{% endif %}

session_origins as (

    select
        symbol,
        trading_date,
        case
            when max(case when data_origin = 'live' then 1 else 0 end) = 1 then 'live'
            else min(data_origin)
        end as data_origin
    from price_rows
    group by symbol, trading_date

),

symbol_points as (

    select
        'symbol' as entity_type,
        prices.symbol as entity_id,
        prices.trading_date as point_date,
        'D' as frequency_short,
        session_origins.data_origin,
        prices.is_outlier,
        coalesce(prices.volume = 0, false) as has_zero_volume,
        coalesce(
            lag(prices.trading_date) over (
                partition by prices.symbol
                order by prices.trading_date
            ),
            stored_symbols.last_date
        ) as previous_point_date
    from prices
    inner join session_origins
        on
            prices.symbol = session_origins.symbol
            and prices.trading_date = session_origins.trading_date
    left join stored_symbols
        on prices.symbol = stored_symbols.symbol
    where
        stored_symbols.symbol is null
        or prices.trading_date > stored_symbols.last_date

),

observation_dates as (

    select distinct
        indicator_id,
        observation_date
    from observations

),

series_points as (

    select
        'series' as entity_type,
        observation_dates.indicator_id as entity_id,
        observation_dates.observation_date as point_date,
        coalesce(series.frequency_short, 'D') as frequency_short,
        series.data_origin,
        false as is_outlier,
        false as has_zero_volume,
        lag(observation_dates.observation_date) over (
            partition by observation_dates.indicator_id
            order by observation_dates.observation_date
        ) as previous_point_date
    from observation_dates
    left join series
        on observation_dates.indicator_id = series.indicator_id

),

points as (

    select * from symbol_points
    union all
    select * from series_points

),

-- Every calendar day with the number of NYSE sessions up to it: the sessions
-- between two dates are the difference of their numbers.
session_numbers as (

    select
        date_day,
        is_trading_day,
        sum(case when is_trading_day then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and current row
        ) as session_number
    from calendar

),

final as (

    select
        cast(points.entity_type as {{ marketpulse.type_text() }}) as entity_type,
        cast(points.entity_id as {{ marketpulse.type_text() }}) as entity_id,
        points.point_date,
        cast(points.frequency_short as {{ marketpulse.type_text() }}) as frequency_short,
        cast(points.data_origin as {{ marketpulse.type_text() }}) as data_origin,
        points.is_outlier,
        points.has_zero_volume,
        cast(
            {{ marketpulse.days_between('points.previous_point_date', 'points.point_date') }}
            as integer
        ) as gap_days,
        -- NYSE sessions strictly between the two points
        cast(
            point_sessions.session_number - previous_sessions.session_number
            - case when point_sessions.is_trading_day then 1 else 0 end
            as integer
        ) as gap_sessions
    from points
    left join session_numbers as point_sessions
        on points.point_date = point_sessions.date_day
    left join session_numbers as previous_sessions
        on points.previous_point_date = previous_sessions.date_day

)

select * from final
