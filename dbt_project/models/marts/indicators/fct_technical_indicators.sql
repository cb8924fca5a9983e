{{
    config(
        materialized='incremental',
        unique_key=['symbol', 'trading_date'],
        indexes=(
            [{'columns': ['symbol', 'trading_date'], 'unique': true}]
            if target.type == 'postgres' else []
        ),
        incremental_strategy=incremental_strategy(),
        partition_by=marketpulse.incremental_partition_by(),
        on_schema_change='append_new_columns',
    )
}}

{#
    Technical indicators on adjusted OHLCV, equal to TA-Lib (see the yml and
    docs/decisions/0010-recursive-indicators.md).

    observation_number counts a symbol's sessions from 1; every warm-up rule
    is on it. Recursive indicators (EMA, RSI, ATR, MACD) restart from an
    anchor row: the seed row on a full build, the last stored row on an
    incremental one (its stored state carries the recursion exactly).

    Incremental runs recompute a symbol in full when it is new, still warming
    up, or when its stored history no longer matches fct_prices_daily over the
    lookback (a new dividend or split re-adjusts every earlier price; a late
    correction changes a recent one). Otherwise they read lookback_rows
    sessions before the last stored one, enough for every window
    (sma_200 needs 200 closes, return_252d 253), and insert the new sessions.
#}
{%- set lookback_rows = 260 %}

with prices as (

    select
        symbol,
        trading_date,
        adj_high as high,
        adj_low as low,
        adj_close as close,
        cast(volume as {{ type_double() }}) as volume
    from {{ ref('fct_prices_daily') }}

),

{% if is_incremental() %}

    stored as (

        select * from {{ this }}

    ),

    stored_last as (

        select
            symbol,
            max(observation_number) as last_number
        from stored
        group by symbol

    ),

    stored_state as (

        select
            stored.symbol,
            stored.trading_date as last_date,
            stored.observation_number as last_number,
            stored.ema_12,
            stored.ema_26,
            stored.macd_ema_fast,
            stored.macd_signal,
            stored.rsi_avg_gain_14,
            stored.rsi_avg_loss_14,
            stored.atr_14
        from stored
        inner join stored_last
            on
                stored.symbol = stored_last.symbol
                and stored.observation_number = stored_last.last_number

    ),

    lookback_start as (

        select
            stored.symbol,
            stored.trading_date as from_date,
            stored.observation_number as from_number
        from stored
        inner join stored_last
            on
                stored.symbol = stored_last.symbol
                and stored.observation_number
                = greatest(stored_last.last_number - {{ lookback_rows - 1 }}, 1)

    ),

    -- The lookback's sessions in today's prices against the stored rows: any
    -- missing, extra or changed close means the symbol is recomputed in full.
    lookback_check as (

        select
            lookback_start.symbol,
            count(*) as price_rows,
            count(stored.symbol) as matching_rows
        from lookback_start
        inner join stored_state
            on lookback_start.symbol = stored_state.symbol
        inner join prices
            on
                lookback_start.symbol = prices.symbol
                and lookback_start.from_date <= prices.trading_date
                and stored_state.last_date >= prices.trading_date
        left join stored
            on
                prices.symbol = stored.symbol
                and prices.trading_date = stored.trading_date
                and abs(stored.close - prices.close) <= 1e-12 * abs(prices.close)
        group by lookback_start.symbol

    ),

    symbol_plan as (

        select
            price_symbols.symbol,
            lookback_start.from_date,
            lookback_start.from_number,
            stored_state.last_number,
            stored_state.ema_12,
            stored_state.ema_26,
            stored_state.macd_ema_fast,
            stored_state.macd_signal,
            stored_state.rsi_avg_gain_14,
            stored_state.rsi_avg_loss_14,
            stored_state.atr_14,
            coalesce(
                stored_state.symbol is null
                or stored_state.macd_signal is null
                or stored_state.rsi_avg_gain_14 is null
                or stored_state.atr_14 is null
                or lookback_check.matching_rows != lookback_check.price_rows
                or lookback_check.price_rows
                != stored_state.last_number - lookback_start.from_number + 1,
                true
            ) as is_full_recompute
        from (select distinct symbol from prices) as price_symbols
        left join stored_state
            on price_symbols.symbol = stored_state.symbol
        left join lookback_start
            on price_symbols.symbol = lookback_start.symbol
        left join lookback_check
            on price_symbols.symbol = lookback_check.symbol

    ),

{% else %}

    symbol_plan as (

        select distinct
            symbol,
            true as is_full_recompute,
            cast(null as date) as from_date,
            cast(null as bigint) as from_number,
            cast(null as bigint) as last_number,
            cast(null as {{ type_double() }}) as ema_12,
            cast(null as {{ type_double() }}) as ema_26,
            cast(null as {{ type_double() }}) as macd_ema_fast,
            cast(null as {{ type_double() }}) as macd_signal,
            cast(null as {{ type_double() }}) as rsi_avg_gain_14,
            cast(null as {{ type_double() }}) as rsi_avg_loss_14,
            cast(null as {{ type_double() }}) as atr_14
        from prices

    ),

{% endif %}

prices_in_scope as (

    select
        prices.symbol,
        prices.trading_date,
        prices.high,
        prices.low,
        prices.close,
        prices.volume,
        case
            when symbol_plan.is_full_recompute then 0
            else symbol_plan.from_number - 1
        end
        + row_number() over (
            partition by prices.symbol
            order by prices.trading_date
        ) as observation_number
    from prices
    inner join symbol_plan
        on prices.symbol = symbol_plan.symbol
    where
        symbol_plan.is_full_recompute
        or prices.trading_date >= symbol_plan.from_date

),

with_previous as (

    select
        *,
        lag(close) over (
            partition by symbol
            order by observation_number
        ) as previous_close
    from prices_in_scope

),

with_changes as (

    select
        *,
        close / previous_close - 1 as return_1d,
        case
            when close > previous_close then close - previous_close
            when previous_close is not null then 0
        end as gain,
        case
            when close < previous_close then previous_close - close
            when previous_close is not null then 0
        end as loss,
        case
            when previous_close is not null
                then greatest(
                        high - low,
                        abs(high - previous_close),
                        abs(low - previous_close)
                    )
        end as true_range
    from with_previous

),

-- Seeds of the recursions on a full build: TA-Lib's SMA of the first values,
-- read on the anchor row from window sums (a window adds in row order; a
-- parallel group-by sum would not, and the last bits would vary by run).
seed_windows as (

    select
        symbol,
        observation_number,
        sum(close) over (
            partition by symbol order by observation_number
            rows between 11 preceding and current row
        ) as sum_close_12,
        sum(close) over (
            partition by symbol order by observation_number
            rows between 25 preceding and current row
        ) as sum_close_26,
        sum(gain) over (
            partition by symbol order by observation_number
            rows between 13 preceding and current row
        ) as sum_gain_14,
        sum(loss) over (
            partition by symbol order by observation_number
            rows between 13 preceding and current row
        ) as sum_loss_14,
        sum(true_range) over (
            partition by symbol order by observation_number
            rows between 13 preceding and current row
        ) as sum_true_range_14
    from with_changes
    where observation_number <= 26

),

seeds as (

    select
        symbol,
        max(case when observation_number = 12 then sum_close_12 / 12 end) as ema_12_seed,
        max(case when observation_number = 26 then sum_close_26 / 26 end) as ema_26_seed,
        -- MACD's fast EMA is seeded on the 12 closes ending on session 26, so
        -- that it starts with the slow one.
        max(case when observation_number = 26 then sum_close_12 / 12 end) as macd_ema_fast_seed,
        max(case when observation_number = 15 then sum_gain_14 / 14 end) as rsi_avg_gain_seed,
        max(case when observation_number = 15 then sum_loss_14 / 14 end) as rsi_avg_loss_seed,
        max(case when observation_number = 15 then sum_true_range_14 / 14 end) as atr_seed
    from seed_windows
    group by symbol

),

anchors as (

    select
        symbol_plan.symbol,
        symbol_plan.is_full_recompute,
        symbol_plan.last_number,
        symbol_plan.macd_signal as stored_macd_signal,
        case when symbol_plan.is_full_recompute then 12 else symbol_plan.last_number end
            as ema_12_anchor,
        case when symbol_plan.is_full_recompute then 26 else symbol_plan.last_number end
            as ema_26_anchor,
        case when symbol_plan.is_full_recompute then 15 else symbol_plan.last_number end
            as wilder_anchor,
        case when symbol_plan.is_full_recompute then 34 else symbol_plan.last_number end
            as macd_signal_anchor,
        case
            when symbol_plan.is_full_recompute then seeds.ema_12_seed
            else symbol_plan.ema_12
        end as ema_12_anchor_value,
        case
            when symbol_plan.is_full_recompute then seeds.ema_26_seed
            else symbol_plan.ema_26
        end as ema_26_anchor_value,
        case
            when symbol_plan.is_full_recompute then seeds.macd_ema_fast_seed
            else symbol_plan.macd_ema_fast
        end as macd_ema_fast_anchor_value,
        case
            when symbol_plan.is_full_recompute then seeds.rsi_avg_gain_seed
            else symbol_plan.rsi_avg_gain_14
        end as rsi_avg_gain_anchor_value,
        case
            when symbol_plan.is_full_recompute then seeds.rsi_avg_loss_seed
            else symbol_plan.rsi_avg_loss_14
        end as rsi_avg_loss_anchor_value,
        case
            when symbol_plan.is_full_recompute then seeds.atr_seed
            else symbol_plan.atr_14
        end as atr_anchor_value
    from symbol_plan
    left join seeds
        on symbol_plan.symbol = seeds.symbol

),

-- Every recursion's input, anchor and anchor value on each row; the recurrences
-- below add their columns one after the other (each CTE read once).
recurrence_inputs as (

    select
        with_changes.*,
        anchors.is_full_recompute,
        anchors.last_number,
        anchors.ema_12_anchor,
        anchors.ema_26_anchor,
        anchors.wilder_anchor,
        anchors.macd_signal_anchor,
        anchors.stored_macd_signal,
        anchors.ema_12_anchor_value,
        anchors.ema_26_anchor_value,
        anchors.macd_ema_fast_anchor_value,
        anchors.rsi_avg_gain_anchor_value,
        anchors.rsi_avg_loss_anchor_value,
        anchors.atr_anchor_value
    from with_changes
    inner join anchors
        on with_changes.symbol = anchors.symbol

),

{{ exponential_recurrence_ctes(
    name='ema_12_recurrence',
    relation='recurrence_inputs',
    value='close',
    steps='observation_number - ema_12_anchor',
    anchor_value='ema_12_anchor_value',
    alpha_num=11,
    alpha_den=13,
    beta_num=2,
    beta_den=13
) }},

{{ exponential_recurrence_ctes(
    name='ema_26_recurrence',
    relation='ema_12_recurrence',
    value='close',
    steps='observation_number - ema_26_anchor',
    anchor_value='ema_26_anchor_value',
    alpha_num=25,
    alpha_den=27,
    beta_num=2,
    beta_den=27
) }},

{{ exponential_recurrence_ctes(
    name='macd_ema_fast_recurrence',
    relation='ema_26_recurrence',
    value='close',
    steps='observation_number - ema_26_anchor',
    anchor_value='macd_ema_fast_anchor_value',
    alpha_num=11,
    alpha_den=13,
    beta_num=2,
    beta_den=13
) }},

{{ exponential_recurrence_ctes(
    name='rsi_avg_gain_recurrence',
    relation='macd_ema_fast_recurrence',
    value='gain',
    steps='observation_number - wilder_anchor',
    anchor_value='rsi_avg_gain_anchor_value',
    alpha_num=13,
    alpha_den=14,
    beta_num=1,
    beta_den=14
) }},

{{ exponential_recurrence_ctes(
    name='rsi_avg_loss_recurrence',
    relation='rsi_avg_gain_recurrence',
    value='loss',
    steps='observation_number - wilder_anchor',
    anchor_value='rsi_avg_loss_anchor_value',
    alpha_num=13,
    alpha_den=14,
    beta_num=1,
    beta_den=14
) }},

{{ exponential_recurrence_ctes(
    name='atr_recurrence',
    relation='rsi_avg_loss_recurrence',
    value='true_range',
    steps='observation_number - wilder_anchor',
    anchor_value='atr_anchor_value',
    alpha_num=13,
    alpha_den=14,
    beta_num=1,
    beta_den=14
) }},

recursions as (

    select
        *,
        case
            when observation_number = ema_12_anchor then ema_12_anchor_value
            else ema_12_recurrence
        end as ema_12,
        case
            when observation_number = ema_26_anchor then ema_26_anchor_value
            else ema_26_recurrence
        end as ema_26,
        case
            when observation_number = ema_26_anchor then macd_ema_fast_anchor_value
            else macd_ema_fast_recurrence
        end as macd_ema_fast,
        case
            when observation_number = wilder_anchor then rsi_avg_gain_anchor_value
            else rsi_avg_gain_recurrence
        end as rsi_avg_gain_14,
        case
            when observation_number = wilder_anchor then rsi_avg_loss_anchor_value
            else rsi_avg_loss_recurrence
        end as rsi_avg_loss_14,
        case
            when observation_number = wilder_anchor then atr_anchor_value
            else atr_recurrence
        end as atr_14
    from atr_recurrence

),

with_macd_line as (

    select
        *,
        macd_ema_fast - ema_26 as macd_line
    from recursions

),

-- The signal line's seed on a full build: the SMA of the 9 MACD values ending
-- on session 34, spread over the symbol's rows by a window (no join back).
macd_signal_windows as (

    select
        *,
        sum(macd_line) over (
            partition by symbol order by observation_number
            rows between 8 preceding and current row
        ) as sum_macd_line_9
    from with_macd_line

),

macd_signal_input as (

    select
        *,
        case
            when is_full_recompute
                then max(
                        case when observation_number = 34 then sum_macd_line_9 / 9 end
                    ) over (partition by symbol)
            else stored_macd_signal
        end as macd_signal_anchor_value
    from macd_signal_windows

),

{{ exponential_recurrence_ctes(
    name='macd_signal_recurrence',
    relation='macd_signal_input',
    value='macd_line',
    steps='observation_number - macd_signal_anchor',
    anchor_value='macd_signal_anchor_value',
    alpha_num=4,
    alpha_den=5,
    beta_num=1,
    beta_den=5
) }},

with_signal as (

    select
        *,
        case
            when observation_number = macd_signal_anchor then macd_signal_anchor_value
            else macd_signal_recurrence
        end as macd_signal
    from macd_signal_recurrence

),

windows as (

    select
        *,
        avg(close) over (
            partition by symbol order by observation_number
            rows between 19 preceding and current row
        ) as mean_close_20,
        stddev_pop(close) over (
            partition by symbol order by observation_number
            rows between 19 preceding and current row
        ) as stddev_close_20,
        avg(close) over (
            partition by symbol order by observation_number
            rows between 49 preceding and current row
        ) as mean_close_50,
        avg(close) over (
            partition by symbol order by observation_number
            rows between 199 preceding and current row
        ) as mean_close_200,
        stddev_samp(return_1d) over (
            partition by symbol order by observation_number
            rows between 19 preceding and current row
        ) as stddev_return_20,
        stddev_samp(return_1d) over (
            partition by symbol order by observation_number
            rows between 49 preceding and current row
        ) as stddev_return_50,
        avg(volume) over (
            partition by symbol order by observation_number
            rows between 19 preceding and current row
        ) as mean_volume_20,
        lag(close, 21) over (partition by symbol order by observation_number) as close_21_ago,
        lag(close, 63) over (partition by symbol order by observation_number) as close_63_ago,
        lag(close, 126) over (partition by symbol order by observation_number) as close_126_ago,
        lag(close, 252) over (partition by symbol order by observation_number) as close_252_ago
    from with_signal

),

final as (

    select
        symbol,
        trading_date,
        observation_number,
        close,
        return_1d,
        ln(close / previous_close) as log_return_1d,
        case when observation_number >= 20 then mean_close_20 end as sma_20,
        case when observation_number >= 50 then mean_close_50 end as sma_50,
        case when observation_number >= 200 then mean_close_200 end as sma_200,
        case when observation_number >= 12 then ema_12 end as ema_12,
        case when observation_number >= 26 then ema_26 end as ema_26,
        case
            when observation_number < 15 then null
            -- TA-Lib's TA_IS_ZERO: a flat window reads 0, not 100 * 0 / 0.
            when rsi_avg_gain_14 + rsi_avg_loss_14 < 1e-8 then 0
            else 100 * (rsi_avg_gain_14 / (rsi_avg_gain_14 + rsi_avg_loss_14))
        end as rsi_14,
        case when observation_number >= 15 then rsi_avg_gain_14 end as rsi_avg_gain_14,
        case when observation_number >= 15 then rsi_avg_loss_14 end as rsi_avg_loss_14,
        case when observation_number >= 34 then macd_line end as macd,
        case when observation_number >= 34 then macd_signal end as macd_signal,
        case when observation_number >= 34 then macd_line - macd_signal end as macd_hist,
        case when observation_number >= 26 then macd_ema_fast end as macd_ema_fast,
        case
            when observation_number < 20 then null
            -- TA-Lib's TA_IS_ZERO_OR_NEG on the variance.
            when stddev_close_20 * stddev_close_20 < 1e-8 then mean_close_20
            else mean_close_20 + 2 * stddev_close_20
        end as bb_upper,
        case when observation_number >= 20 then mean_close_20 end as bb_middle,
        case
            when observation_number < 20 then null
            when stddev_close_20 * stddev_close_20 < 1e-8 then mean_close_20
            else mean_close_20 - 2 * stddev_close_20
        end as bb_lower,
        case when observation_number >= 15 then atr_14 end as atr_14,
        case
            when observation_number >= 21 then stddev_return_20 * sqrt(252)
        end as volatility_20d,
        case
            when observation_number >= 51 then stddev_return_50 * sqrt(252)
        end as volatility_50d,
        case when observation_number >= 20 then mean_volume_20 end as volume_sma_20,
        case
            when observation_number >= 20 and mean_volume_20 > 0 then volume / mean_volume_20
        end as volume_ratio_20,
        close / close_21_ago - 1 as return_21d,
        close / close_63_ago - 1 as return_63d,
        close / close_126_ago - 1 as return_126d,
        close / close_252_ago - 1 as return_252d,
        {{ month_start('trading_date') }} as trading_month
    from windows
    where is_full_recompute or observation_number > last_number

)

select * from final
