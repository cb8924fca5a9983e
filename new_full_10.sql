



with prices as (

    select
        symbol,
        trading_date,
        adj_high as high,
        adj_low as low,
        adj_close as close,
        cast(volume as double precision) as volume
    from "10y_pre"."marts"."fct_prices_daily"

),



    symbol_plan as (

        select distinct
            symbol,
            true as is_full_recompute,
            cast(null as date) as from_date,
            cast(null as bigint) as from_number,
            cast(null as bigint) as last_number,
            cast(null as double precision) as ema_12,
            cast(null as double precision) as ema_26,
            cast(null as double precision) as macd_ema_fast,
            cast(null as double precision) as macd_signal,
            cast(null as double precision) as rsi_avg_gain_14,
            cast(null as double precision) as rsi_avg_loss_14,
            cast(null as double precision) as atr_14
        from prices

    ),



prices_in_scope as (

    select
        prices.symbol,
        prices.trading_date,
        prices.high,
        prices.low,
        prices.close,
        prices.volume,
        symbol_plan.is_full_recompute,
        symbol_plan.last_number,
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

-- The windows read the lookback; only the rows this run writes go on: every
-- row of a symbol recomputed in full, the new sessions of the others (whose
-- recurrences continue from the stored state and need no earlier row).
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
    from with_changes

),

output_rows as (

    select *
    from windows
    where is_full_recompute or observation_number > last_number

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
        cast(floor(cast((observation_number) - 1 as double precision) / 1024) as integer) as recurrence_chunk,
        observation_number
        - 1024 * cast(floor(cast((observation_number) - 1 as double precision) / 1024) as integer) as recurrence_step,
        power((cast(11 as double precision) / 13), observation_number - 1024 * cast(floor(cast((observation_number) - 1 as double precision) / 1024) as integer)) as step_power_11_13,
        power((cast(25 as double precision) / 27), observation_number - 1024 * cast(floor(cast((observation_number) - 1 as double precision) / 1024) as integer)) as step_power_25_27,
        power((cast(13 as double precision) / 14), observation_number - 1024 * cast(floor(cast((observation_number) - 1 as double precision) / 1024) as integer)) as step_power_13_14,
        power((cast(4 as double precision) / 5), observation_number - 1024 * cast(floor(cast((observation_number) - 1 as double precision) / 1024) as integer)) as step_power_4_5,
        close,
        gain,
        loss,
        true_range
    from output_rows

),

recurrence_terms as (

    select
        recurrence_rows.symbol,
        recurrence_rows.observation_number,
        recurrence_rows.recurrence_chunk,
        recurrence_rows.recurrence_step,
        recurrence_rows.step_power_11_13,
        recurrence_rows.step_power_25_27,
        recurrence_rows.step_power_13_14,
        recurrence_rows.step_power_4_5,
        case
        when (recurrence_rows.observation_number) > (anchors.ema_12_anchor)
            then (recurrence_rows.close) / recurrence_rows.step_power_11_13
    end as ema_12_term,
        case
        when (recurrence_rows.observation_number) > (anchors.ema_26_anchor)
            then (recurrence_rows.close) / recurrence_rows.step_power_25_27
    end as ema_26_term,
        case
        when (recurrence_rows.observation_number) > (anchors.ema_26_anchor)
            then (recurrence_rows.close) / recurrence_rows.step_power_11_13
    end as macd_ema_fast_term,
        case
        when (recurrence_rows.observation_number) > (anchors.wilder_anchor)
            then (recurrence_rows.gain) / recurrence_rows.step_power_13_14
    end as rsi_avg_gain_term,
        case
        when (recurrence_rows.observation_number) > (anchors.wilder_anchor)
            then (recurrence_rows.loss) / recurrence_rows.step_power_13_14
    end as rsi_avg_loss_term,
        case
        when (recurrence_rows.observation_number) > (anchors.wilder_anchor)
            then (recurrence_rows.true_range) / recurrence_rows.step_power_13_14
    end as atr_term
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
        step_power_11_13,
        step_power_25_27,
        step_power_13_14,
        step_power_4_5,
        sum(ema_12_term) over (partition by symbol, recurrence_chunk
    order by observation_number
    rows between unbounded preceding and current row) as ema_12_sum,
        sum(ema_26_term) over (partition by symbol, recurrence_chunk
    order by observation_number
    rows between unbounded preceding and current row) as ema_26_sum,
        sum(macd_ema_fast_term) over (partition by symbol, recurrence_chunk
    order by observation_number
    rows between unbounded preceding and current row) as macd_ema_fast_sum,
        sum(rsi_avg_gain_term) over (partition by symbol, recurrence_chunk
    order by observation_number
    rows between unbounded preceding and current row) as rsi_avg_gain_sum,
        sum(rsi_avg_loss_term) over (partition by symbol, recurrence_chunk
    order by observation_number
    rows between unbounded preceding and current row) as rsi_avg_loss_sum,
        sum(atr_term) over (partition by symbol, recurrence_chunk
    order by observation_number
    rows between unbounded preceding and current row) as atr_sum
    from recurrence_terms

),

-- Each chunk's total: the running sum on its last row (a max, not a parallel sum,
-- so the bits are the same on every run).
recurrence_totals as (

    select
        symbol,
        recurrence_chunk,
        -- noqa: disable=LT02
        max(case when recurrence_step = 1024 then ema_12_sum end)
                as ema_12_total,
        max(case when recurrence_step = 1024 then ema_26_sum end)
                as ema_26_total,
        max(case when recurrence_step = 1024 then macd_ema_fast_sum end)
                as macd_ema_fast_total,
        max(case when recurrence_step = 1024 then rsi_avg_gain_sum end)
                as rsi_avg_gain_total,
        max(case when recurrence_step = 1024 then rsi_avg_loss_sum end)
                as rsi_avg_loss_total,
        max(case when recurrence_step = 1024 then atr_sum end)
                as atr_total
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
        recurrence_sums.step_power_4_5,
        case
        when (recurrence_sums.observation_number) = (anchors.ema_12_anchor) and (anchors.ema_12_anchor_value) is not null
            then anchors.ema_12_anchor_value
        when (recurrence_sums.observation_number) >= (anchors.ema_12_anchor)
            then recurrence_sums.step_power_11_13 * (cast(2 as double precision) / 13) * (
                    coalesce(recurrence_sums.ema_12_sum, 0)
                    + case
                        when ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) >= (anchors.ema_12_anchor)
                            then power((cast(11 as double precision) / 13), 1024)
                            * coalesce(previous_chunk.ema_12_total, 0)
                        else 0
                    end
                )
                + case
                    when ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) < (anchors.ema_12_anchor)
                        then power((cast(11 as double precision) / 13), (recurrence_sums.observation_number) - (anchors.ema_12_anchor))
                        * coalesce(anchors.ema_12_anchor_value, 0)
                    when ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) < (anchors.ema_12_anchor) + 1024
                        then recurrence_sums.step_power_11_13
                        * power((cast(11 as double precision) / 13), ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) - (anchors.ema_12_anchor))
                        * coalesce(anchors.ema_12_anchor_value, 0)
                    else 0
                end
    end as ema_12,
        case
        when (recurrence_sums.observation_number) = (anchors.ema_26_anchor) and (anchors.ema_26_anchor_value) is not null
            then anchors.ema_26_anchor_value
        when (recurrence_sums.observation_number) >= (anchors.ema_26_anchor)
            then recurrence_sums.step_power_25_27 * (cast(2 as double precision) / 27) * (
                    coalesce(recurrence_sums.ema_26_sum, 0)
                    + case
                        when ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) >= (anchors.ema_26_anchor)
                            then power((cast(25 as double precision) / 27), 1024)
                            * coalesce(previous_chunk.ema_26_total, 0)
                        else 0
                    end
                )
                + case
                    when ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) < (anchors.ema_26_anchor)
                        then power((cast(25 as double precision) / 27), (recurrence_sums.observation_number) - (anchors.ema_26_anchor))
                        * coalesce(anchors.ema_26_anchor_value, 0)
                    when ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) < (anchors.ema_26_anchor) + 1024
                        then recurrence_sums.step_power_25_27
                        * power((cast(25 as double precision) / 27), ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) - (anchors.ema_26_anchor))
                        * coalesce(anchors.ema_26_anchor_value, 0)
                    else 0
                end
    end as ema_26,
        case
        when (recurrence_sums.observation_number) = (anchors.ema_26_anchor) and (anchors.macd_ema_fast_anchor_value) is not null
            then anchors.macd_ema_fast_anchor_value
        when (recurrence_sums.observation_number) >= (anchors.ema_26_anchor)
            then recurrence_sums.step_power_11_13 * (cast(2 as double precision) / 13) * (
                    coalesce(recurrence_sums.macd_ema_fast_sum, 0)
                    + case
                        when ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) >= (anchors.ema_26_anchor)
                            then power((cast(11 as double precision) / 13), 1024)
                            * coalesce(previous_chunk.macd_ema_fast_total, 0)
                        else 0
                    end
                )
                + case
                    when ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) < (anchors.ema_26_anchor)
                        then power((cast(11 as double precision) / 13), (recurrence_sums.observation_number) - (anchors.ema_26_anchor))
                        * coalesce(anchors.macd_ema_fast_anchor_value, 0)
                    when ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) < (anchors.ema_26_anchor) + 1024
                        then recurrence_sums.step_power_11_13
                        * power((cast(11 as double precision) / 13), ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) - (anchors.ema_26_anchor))
                        * coalesce(anchors.macd_ema_fast_anchor_value, 0)
                    else 0
                end
    end as macd_ema_fast,
        case
        when (recurrence_sums.observation_number) = (anchors.wilder_anchor) and (anchors.rsi_avg_gain_anchor_value) is not null
            then anchors.rsi_avg_gain_anchor_value
        when (recurrence_sums.observation_number) >= (anchors.wilder_anchor)
            then recurrence_sums.step_power_13_14 * (cast(1 as double precision) / 14) * (
                    coalesce(recurrence_sums.rsi_avg_gain_sum, 0)
                    + case
                        when ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) >= (anchors.wilder_anchor)
                            then power((cast(13 as double precision) / 14), 1024)
                            * coalesce(previous_chunk.rsi_avg_gain_total, 0)
                        else 0
                    end
                )
                + case
                    when ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) < (anchors.wilder_anchor)
                        then power((cast(13 as double precision) / 14), (recurrence_sums.observation_number) - (anchors.wilder_anchor))
                        * coalesce(anchors.rsi_avg_gain_anchor_value, 0)
                    when ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) < (anchors.wilder_anchor) + 1024
                        then recurrence_sums.step_power_13_14
                        * power((cast(13 as double precision) / 14), ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) - (anchors.wilder_anchor))
                        * coalesce(anchors.rsi_avg_gain_anchor_value, 0)
                    else 0
                end
    end as rsi_avg_gain_14,
        case
        when (recurrence_sums.observation_number) = (anchors.wilder_anchor) and (anchors.rsi_avg_loss_anchor_value) is not null
            then anchors.rsi_avg_loss_anchor_value
        when (recurrence_sums.observation_number) >= (anchors.wilder_anchor)
            then recurrence_sums.step_power_13_14 * (cast(1 as double precision) / 14) * (
                    coalesce(recurrence_sums.rsi_avg_loss_sum, 0)
                    + case
                        when ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) >= (anchors.wilder_anchor)
                            then power((cast(13 as double precision) / 14), 1024)
                            * coalesce(previous_chunk.rsi_avg_loss_total, 0)
                        else 0
                    end
                )
                + case
                    when ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) < (anchors.wilder_anchor)
                        then power((cast(13 as double precision) / 14), (recurrence_sums.observation_number) - (anchors.wilder_anchor))
                        * coalesce(anchors.rsi_avg_loss_anchor_value, 0)
                    when ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) < (anchors.wilder_anchor) + 1024
                        then recurrence_sums.step_power_13_14
                        * power((cast(13 as double precision) / 14), ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) - (anchors.wilder_anchor))
                        * coalesce(anchors.rsi_avg_loss_anchor_value, 0)
                    else 0
                end
    end as rsi_avg_loss_14,
        case
        when (recurrence_sums.observation_number) = (anchors.wilder_anchor) and (anchors.atr_anchor_value) is not null
            then anchors.atr_anchor_value
        when (recurrence_sums.observation_number) >= (anchors.wilder_anchor)
            then recurrence_sums.step_power_13_14 * (cast(1 as double precision) / 14) * (
                    coalesce(recurrence_sums.atr_sum, 0)
                    + case
                        when ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) >= (anchors.wilder_anchor)
                            then power((cast(13 as double precision) / 14), 1024)
                            * coalesce(previous_chunk.atr_total, 0)
                        else 0
                    end
                )
                + case
                    when ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) < (anchors.wilder_anchor)
                        then power((cast(13 as double precision) / 14), (recurrence_sums.observation_number) - (anchors.wilder_anchor))
                        * coalesce(anchors.atr_anchor_value, 0)
                    when ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) < (anchors.wilder_anchor) + 1024
                        then recurrence_sums.step_power_13_14
                        * power((cast(13 as double precision) / 14), ((recurrence_sums.observation_number) - (recurrence_sums.recurrence_step)) - (anchors.wilder_anchor))
                        * coalesce(anchors.atr_anchor_value, 0)
                    else 0
                end
    end as atr_14
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
        case
        when (recurrences.observation_number) > (anchors.macd_signal_anchor)
            then (recurrences.macd_ema_fast - recurrences.ema_26) / recurrences.step_power_4_5
        when (recurrences.observation_number) > (anchors.macd_signal_anchor) - 9 and (case when anchors.is_full_recompute then recurrences.macd_ema_fast - recurrences.ema_26 end) is not null
            then (case when anchors.is_full_recompute then recurrences.macd_ema_fast - recurrences.ema_26 end) * power((cast(4 as double precision) / 5), (recurrences.observation_number) - (recurrences.recurrence_step) - (anchors.macd_signal_anchor))
            * (cast(5 as double precision) / 9)
    end as macd_signal_term
    from recurrences
    inner join anchors
        on recurrences.symbol = anchors.symbol

),

macd_signal_sums as (

    select
        *,
        sum(macd_signal_term) over (partition by symbol, recurrence_chunk
    order by observation_number
    rows between unbounded preceding and current row) as macd_signal_sum
    from macd_signal_terms

),

macd_signal_totals as (

    select
        symbol,
        recurrence_chunk,
        max(
            case when recurrence_step = 1024 then macd_signal_sum end
        ) as macd_signal_total
    from macd_signal_sums
    group by symbol, recurrence_chunk

),

recurrence_values as (

    select
        macd_signal_sums.symbol,
        macd_signal_sums.observation_number,
        macd_signal_sums.ema_12,
        macd_signal_sums.ema_26,
        macd_signal_sums.macd_ema_fast,
        macd_signal_sums.rsi_avg_gain_14,
        macd_signal_sums.rsi_avg_loss_14,
        macd_signal_sums.atr_14,
        macd_signal_sums.macd_line,
        case
        when (macd_signal_sums.observation_number) = (anchors.macd_signal_anchor) and (anchors.stored_macd_signal) is not null
            then anchors.stored_macd_signal
        when (macd_signal_sums.observation_number) >= (anchors.macd_signal_anchor)
            then macd_signal_sums.step_power_4_5 * (cast(1 as double precision) / 5) * (
                    coalesce(macd_signal_sums.macd_signal_sum, 0)
                    + case
                        when ((macd_signal_sums.observation_number) - (macd_signal_sums.recurrence_step)) >= (anchors.macd_signal_anchor)
                            then power((cast(4 as double precision) / 5), 1024)
                            * coalesce(previous_chunk.macd_signal_total, 0)
                        else 0
                    end
                )
                + case
                    when ((macd_signal_sums.observation_number) - (macd_signal_sums.recurrence_step)) < (anchors.macd_signal_anchor)
                        then power((cast(4 as double precision) / 5), (macd_signal_sums.observation_number) - (anchors.macd_signal_anchor))
                        * coalesce(anchors.stored_macd_signal, 0)
                    when ((macd_signal_sums.observation_number) - (macd_signal_sums.recurrence_step)) < (anchors.macd_signal_anchor) + 1024
                        then macd_signal_sums.step_power_4_5
                        * power((cast(4 as double precision) / 5), ((macd_signal_sums.observation_number) - (macd_signal_sums.recurrence_step)) - (anchors.macd_signal_anchor))
                        * coalesce(anchors.stored_macd_signal, 0)
                    else 0
                end
    end as macd_signal
    from macd_signal_sums
    inner join anchors
        on macd_signal_sums.symbol = anchors.symbol
    left join macd_signal_totals as previous_chunk
        on
            macd_signal_sums.symbol = previous_chunk.symbol
            and macd_signal_sums.recurrence_chunk - 1 = previous_chunk.recurrence_chunk

),

indicator_rows as (

    select
        output_rows.*,
        recurrence_values.ema_12,
        recurrence_values.ema_26,
        recurrence_values.macd_ema_fast,
        recurrence_values.rsi_avg_gain_14,
        recurrence_values.rsi_avg_loss_14,
        recurrence_values.atr_14,
        recurrence_values.macd_line,
        recurrence_values.macd_signal
    from output_rows
    inner join recurrence_values
        on
            output_rows.symbol = recurrence_values.symbol
            and output_rows.observation_number = recurrence_values.observation_number

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
        cast(date_trunc('month', trading_date) as date) as trading_month
    from indicator_rows

)

select * from final