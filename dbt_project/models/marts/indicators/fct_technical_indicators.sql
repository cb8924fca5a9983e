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

{#
    Technical indicators on adjusted OHLCV, equal to TA-Lib (see the yml,
    docs/decisions/0010-recursive-indicators.md and 0019-indicator-recurrences.md).

    observation_number counts a symbol's sessions from 1; every warm-up rule
    is on it. Recursive indicators (EMA, RSI, ATR, MACD) restart from an
    anchor row: the seed row on a full build, the last stored row on an
    incremental one (its stored state carries the recursion exactly). They
    run on a narrow relation (symbol, row number, inputs), all in the same
    selects over one window spec, and join the wide rows once.

    Incremental runs recompute a symbol in full when it is new, still warming
    up, when its stored history starts on another date than its prices
    (extended back, or pruned: docs/decisions/0033), or when its stored history
    no longer matches fct_prices_daily over the lookback (a new dividend or
    split re-adjusts every earlier price; a late correction changes a recent
    one). On DuckDB and Postgres a symbol fct_prices_daily logged as restated
    is also deleted by the pre-hook and so recomputed in full: a split changes
    the as-traded volumes but not the closes Yahoo already adjusts, which the
    lookback check alone would miss (docs/decisions/0038). Otherwise they read lookback_rows
    sessions before the last stored one, from the prices and from the stored
    table (only those rows of it, plus its key columns), enough for every window
    (sma_200 needs 200 closes, return_252d 253), and insert the new sessions.
#}
{%- set lookback_rows = 260 %}
{%- set recurrence_alphas = [(11, 13), (25, 27), (13, 14), (4, 5)] %}
{%- set recurrence_names = [
    'ema_12', 'ema_26', 'macd_ema_fast', 'rsi_avg_gain', 'rsi_avg_loss', 'atr',
] %}

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

    -- Each symbol's last stored row number: a scan of two key columns.
    stored_last as (

        select
            symbol,
            min(trading_date) as first_date,
            max(observation_number) as last_number
        from {{ this }}
        group by symbol

    ),

    -- The only stored rows read in full: each symbol's last lookback_rows.
    stored as (

        select stored_rows.*
        from {{ this }} as stored_rows
        inner join stored_last
            on
                stored_rows.symbol = stored_last.symbol
                and stored_rows.observation_number
                > stored_last.last_number - {{ lookback_rows }}

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
                != stored_state.last_number - lookback_start.from_number + 1
                -- history extended back or pruned (docs/decisions/0033)
                or stored_last.first_date != price_symbols.first_date,
                true
            ) as is_full_recompute
        from (
            select
                symbol,
                min(trading_date) as first_date
            from prices
            group by symbol
        ) as price_symbols
        left join stored_last
            on price_symbols.symbol = stored_last.symbol
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
        ) as observation_number,
        lag(prices.close) over (
            partition by prices.symbol
            order by prices.trading_date
        ) as previous_close
    from prices
    inner join symbol_plan
        on prices.symbol = symbol_plan.symbol
    where
        symbol_plan.is_full_recompute
        or prices.trading_date >= symbol_plan.from_date

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
    from prices_in_scope

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
        -- Null on a full recompute: there the signal's seed is spread over its rows.
        case
            when not symbol_plan.is_full_recompute then symbol_plan.macd_signal
        end as stored_macd_signal,
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

-- The recurrences run on a narrow relation (symbol, row number, chunk, inputs),
-- all in the same selects with one window spec, and are joined back once
-- (macros/exponential_recurrence.sql; docs/decisions/0019-indicator-recurrences.md).
recurrence_rows as (

    select
        symbol,
        observation_number,
        {{ recurrence_chunk() }} as recurrence_chunk,
        observation_number
        - {{ recurrence_chunk_rows() }} * {{ recurrence_chunk() }} as recurrence_step,
        {% for alpha in recurrence_alphas -%}
            {{ recurrence_step_power(
                alpha_num=alpha[0],
                alpha_den=alpha[1],
                step='observation_number - '
                ~ recurrence_chunk_rows() ~ ' * ' ~ recurrence_chunk()
            ) }} as step_power_{{ alpha[0] }}_{{ alpha[1] }},
        {% endfor -%}
        trading_date,
        close,
        previous_close,
        return_1d,
        volume,
        gain,
        loss,
        true_range
    from with_changes

),

recurrence_terms as (

    select
        recurrence_rows.symbol,
        recurrence_rows.observation_number,
        recurrence_rows.recurrence_chunk,
        recurrence_rows.recurrence_step,
        recurrence_rows.trading_date,
        recurrence_rows.close,
        recurrence_rows.previous_close,
        recurrence_rows.return_1d,
        recurrence_rows.volume,
        recurrence_rows.step_power_11_13,
        recurrence_rows.step_power_25_27,
        recurrence_rows.step_power_13_14,
        recurrence_rows.step_power_4_5,
        {{ recurrence_term(
            value='recurrence_rows.close',
            anchor='anchors.ema_12_anchor',
            alpha_num=11,
            alpha_den=13,
            beta_num=2,
            step_power='recurrence_rows.step_power_11_13',
            beta_den=13,
            order_by='recurrence_rows.observation_number',
            step='recurrence_rows.recurrence_step'
        ) }} as ema_12_term,
        {{ recurrence_term(
            value='recurrence_rows.close',
            anchor='anchors.ema_26_anchor',
            alpha_num=25,
            alpha_den=27,
            beta_num=2,
            step_power='recurrence_rows.step_power_25_27',
            beta_den=27,
            order_by='recurrence_rows.observation_number',
            step='recurrence_rows.recurrence_step'
        ) }} as ema_26_term,
        {{ recurrence_term(
            value='recurrence_rows.close',
            anchor='anchors.ema_26_anchor',
            alpha_num=11,
            alpha_den=13,
            beta_num=2,
            step_power='recurrence_rows.step_power_11_13',
            beta_den=13,
            order_by='recurrence_rows.observation_number',
            step='recurrence_rows.recurrence_step'
        ) }} as macd_ema_fast_term,
        {{ recurrence_term(
            value='recurrence_rows.gain',
            anchor='anchors.wilder_anchor',
            alpha_num=13,
            alpha_den=14,
            beta_num=1,
            step_power='recurrence_rows.step_power_13_14',
            beta_den=14,
            order_by='recurrence_rows.observation_number',
            step='recurrence_rows.recurrence_step'
        ) }} as rsi_avg_gain_term,
        {{ recurrence_term(
            value='recurrence_rows.loss',
            anchor='anchors.wilder_anchor',
            alpha_num=13,
            alpha_den=14,
            beta_num=1,
            step_power='recurrence_rows.step_power_13_14',
            beta_den=14,
            order_by='recurrence_rows.observation_number',
            step='recurrence_rows.recurrence_step'
        ) }} as rsi_avg_loss_term,
        {{ recurrence_term(
            value='recurrence_rows.true_range',
            anchor='anchors.wilder_anchor',
            alpha_num=13,
            alpha_den=14,
            beta_num=1,
            step_power='recurrence_rows.step_power_13_14',
            beta_den=14,
            order_by='recurrence_rows.observation_number',
            step='recurrence_rows.recurrence_step'
        ) }} as atr_term
    from recurrence_rows
    inner join anchors
        on recurrence_rows.symbol = anchors.symbol

),

recurrence_sums as (

    select
        symbol,
        observation_number,
        recurrence_chunk,
        recurrence_step,
        trading_date,
        close,
        previous_close,
        return_1d,
        volume,
        step_power_11_13,
        step_power_25_27,
        step_power_13_14,
        step_power_4_5,
        sum(ema_12_term) over ({{ recurrence_window() }}) as ema_12_sum,
        sum(ema_26_term) over ({{ recurrence_window() }}) as ema_26_sum,
        sum(macd_ema_fast_term) over ({{ recurrence_window() }}) as macd_ema_fast_sum,
        sum(rsi_avg_gain_term) over ({{ recurrence_window() }}) as rsi_avg_gain_sum,
        sum(rsi_avg_loss_term) over ({{ recurrence_window() }}) as rsi_avg_loss_sum,
        sum(atr_term) over ({{ recurrence_window() }}) as atr_sum
    from recurrence_terms

),

-- Each chunk's total: the running sum on its last row (a max, not a parallel sum,
-- so the bits are the same on every run).
recurrence_totals as (

    select
        symbol,
        recurrence_chunk,
        -- noqa: disable=LT02
        {% for name in recurrence_names -%}
            max(case when recurrence_step = {{ recurrence_chunk_rows() }} then {{ name }}_sum end)
                as {{ name }}_total{{ ',' if not loop.last }}
        {% endfor -%}
        -- noqa: enable=LT02
    from recurrence_sums
    group by symbol, recurrence_chunk

),

recurrences as (

    select
        recurrence_sums.symbol,
        recurrence_sums.observation_number,
        recurrence_sums.recurrence_chunk,
        recurrence_sums.recurrence_step,
        recurrence_sums.trading_date,
        recurrence_sums.close,
        recurrence_sums.previous_close,
        recurrence_sums.return_1d,
        recurrence_sums.volume,
        recurrence_sums.step_power_4_5,
        {{ recurrence_value(
            running_sum='recurrence_sums.ema_12_sum',
            anchor_value='anchors.ema_12_anchor_value',
            previous_chunk_total='previous_chunk.ema_12_total',
            anchor='anchors.ema_12_anchor',
            alpha_num=11,
            alpha_den=13,
            beta_num=2,
            step_power='recurrence_sums.step_power_11_13',
            beta_den=13,
            order_by='recurrence_sums.observation_number',
            step='recurrence_sums.recurrence_step'
        ) }} as ema_12,
        {{ recurrence_value(
            running_sum='recurrence_sums.ema_26_sum',
            anchor_value='anchors.ema_26_anchor_value',
            previous_chunk_total='previous_chunk.ema_26_total',
            anchor='anchors.ema_26_anchor',
            alpha_num=25,
            alpha_den=27,
            beta_num=2,
            step_power='recurrence_sums.step_power_25_27',
            beta_den=27,
            order_by='recurrence_sums.observation_number',
            step='recurrence_sums.recurrence_step'
        ) }} as ema_26,
        {{ recurrence_value(
            running_sum='recurrence_sums.macd_ema_fast_sum',
            anchor_value='anchors.macd_ema_fast_anchor_value',
            previous_chunk_total='previous_chunk.macd_ema_fast_total',
            anchor='anchors.ema_26_anchor',
            alpha_num=11,
            alpha_den=13,
            beta_num=2,
            step_power='recurrence_sums.step_power_11_13',
            beta_den=13,
            order_by='recurrence_sums.observation_number',
            step='recurrence_sums.recurrence_step'
        ) }} as macd_ema_fast,
        {{ recurrence_value(
            running_sum='recurrence_sums.rsi_avg_gain_sum',
            anchor_value='anchors.rsi_avg_gain_anchor_value',
            previous_chunk_total='previous_chunk.rsi_avg_gain_total',
            anchor='anchors.wilder_anchor',
            alpha_num=13,
            alpha_den=14,
            beta_num=1,
            step_power='recurrence_sums.step_power_13_14',
            beta_den=14,
            order_by='recurrence_sums.observation_number',
            step='recurrence_sums.recurrence_step'
        ) }} as rsi_avg_gain_14,
        {{ recurrence_value(
            running_sum='recurrence_sums.rsi_avg_loss_sum',
            anchor_value='anchors.rsi_avg_loss_anchor_value',
            previous_chunk_total='previous_chunk.rsi_avg_loss_total',
            anchor='anchors.wilder_anchor',
            alpha_num=13,
            alpha_den=14,
            beta_num=1,
            step_power='recurrence_sums.step_power_13_14',
            beta_den=14,
            order_by='recurrence_sums.observation_number',
            step='recurrence_sums.recurrence_step'
        ) }} as rsi_avg_loss_14,
        {{ recurrence_value(
            running_sum='recurrence_sums.atr_sum',
            anchor_value='anchors.atr_anchor_value',
            previous_chunk_total='previous_chunk.atr_total',
            anchor='anchors.wilder_anchor',
            alpha_num=13,
            alpha_den=14,
            beta_num=1,
            step_power='recurrence_sums.step_power_13_14',
            beta_den=14,
            order_by='recurrence_sums.observation_number',
            step='recurrence_sums.recurrence_step'
        ) }} as atr_14
    from recurrence_sums
    inner join anchors
        on recurrence_sums.symbol = anchors.symbol
    left join recurrence_totals as previous_chunk
        on
            recurrence_sums.symbol = previous_chunk.symbol
            and recurrence_sums.recurrence_chunk - 1 = previous_chunk.recurrence_chunk

),

-- The MACD signal line: a recurrence on the MACD line, seeded on a full build by
-- the SMA of the 9 MACD values ending on session 34.
macd_signal_terms as (

    select
        recurrences.*,
        recurrences.macd_ema_fast - recurrences.ema_26 as macd_line,
        {{ recurrence_term(
            value='recurrences.macd_ema_fast - recurrences.ema_26',
            anchor='anchors.macd_signal_anchor',
            seed_rows=9,
            seed_value='case when anchors.is_full_recompute then '
            ~ 'recurrences.macd_ema_fast - recurrences.ema_26 end',
            alpha_num=4,
            alpha_den=5,
            beta_num=1,
            step_power='recurrences.step_power_4_5',
            beta_den=5,
            order_by='recurrences.observation_number',
            step='recurrences.recurrence_step'
        ) }} as macd_signal_term
    from recurrences
    inner join anchors
        on recurrences.symbol = anchors.symbol

),

macd_signal_sums as (

    select
        *,
        sum(macd_signal_term) over ({{ recurrence_window() }}) as macd_signal_sum
    from macd_signal_terms

),

macd_signal_totals as (

    select
        symbol,
        recurrence_chunk,
        max(
            case when recurrence_step = {{ recurrence_chunk_rows() }} then macd_signal_sum end
        ) as macd_signal_total
    from macd_signal_sums
    group by symbol, recurrence_chunk

),

recurrence_values as (

    select
        macd_signal_sums.symbol,
        macd_signal_sums.observation_number,
        macd_signal_sums.trading_date,
        macd_signal_sums.close,
        macd_signal_sums.previous_close,
        macd_signal_sums.return_1d,
        macd_signal_sums.volume,
        anchors.is_full_recompute,
        anchors.last_number,
        macd_signal_sums.ema_12,
        macd_signal_sums.ema_26,
        macd_signal_sums.macd_ema_fast,
        macd_signal_sums.rsi_avg_gain_14,
        macd_signal_sums.rsi_avg_loss_14,
        macd_signal_sums.atr_14,
        macd_signal_sums.macd_line,
        {{ recurrence_value(
            running_sum='macd_signal_sums.macd_signal_sum',
            anchor_value='anchors.stored_macd_signal',
            previous_chunk_total='previous_chunk.macd_signal_total',
            anchor='anchors.macd_signal_anchor',
            alpha_num=4,
            alpha_den=5,
            beta_num=1,
            step_power='macd_signal_sums.step_power_4_5',
            beta_den=5,
            order_by='macd_signal_sums.observation_number',
            step='macd_signal_sums.recurrence_step'
        ) }} as macd_signal
    from macd_signal_sums
    inner join anchors
        on macd_signal_sums.symbol = anchors.symbol
    left join macd_signal_totals as previous_chunk
        on
            macd_signal_sums.symbol = previous_chunk.symbol
            and macd_signal_sums.recurrence_chunk - 1 = previous_chunk.recurrence_chunk

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
    from recurrence_values

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
