{#
    Daily simple returns of adj_close per symbol, with the benchmark's return
    and the risk-free rate of the same session beside them, the symbol's
    session_number (1 = its first session) and the running peak of adj_close
    (peak_adj_close, the current session included). The first session of a
    symbol has no return (null).

    Incremental on DuckDB and Postgres (docs/decisions/0039-incremental-daily-returns.md);
    a view on Spark. A run continues each symbol from its last stored row (its
    adj_close for the lag, its session_number and peak) and appends the new
    sessions; it reads no stored history but that row. A symbol is recomputed
    in full when it is new, or its stored rows no longer match fct_prices_daily
    up to its last stored session: its first session moved (a backfill or a
    prune), its number of sessions or the sum of its adj_close differ, or the
    adj_close of its last stored session differs (a dividend or split restated
    its history, a late correction changed a price); every symbol when the
    stored rows are against another benchmark than var benchmark_symbol. Stored
    rows of the other symbols are rewritten where a session's inputs changed
    under them: its risk-free rate (late FRED data: risk_free_rate_daily and
    excess_return) or the benchmark's return (the benchmark was recomputed in
    full and a stored return of it changed: benchmark_return).
#}
{{
    config(
        materialized='view' if target.type == 'spark' else 'incremental',
        incremental_strategy=marketpulse.incremental_strategy(),
        unique_key=['symbol', 'trading_date'],
        indexes=(
            [{'columns': ['symbol', 'trading_date'], 'unique': true}]
            if target.type == 'postgres' else []
        ),
        on_schema_change='fail',
        post_hook=["{{ marketpulse.analyze_relation() }}"],
    )
}}
{%- set benchmark = var('benchmark_symbol') -%}

with prices as (

    select
        symbol,
        trading_date,
        adj_close
    from {{ ref('fct_prices_daily') }}

),

risk_free as (

    select
        trading_date,
        risk_free_rate_daily
    from {{ ref('int_risk_free_rates_daily') }}

),

{% if is_incremental() %}

    -- Per symbol: a scan of the stored key columns and adj_close.
    stored_summary as (

        select
            symbol,
            min(trading_date) as first_date,
            max(trading_date) as last_date,
            count(*) as stored_sessions,
            sum(adj_close) as sum_adj_close
        from {{ this }}
        group by symbol

    ),

    -- The benchmark the stored rows were built against (one row read: every row has the same).
    stored_benchmark as (

        select max(benchmark_symbol) as benchmark_symbol
        from (
            select benchmark_symbol from {{ this }}
            limit 1
        ) as one_row

    ),

    stored_last as (

        select
            stored_rows.symbol,
            stored_rows.trading_date as last_date,
            stored_rows.adj_close as last_adj_close,
            stored_rows.session_number as last_session_number,
            stored_rows.peak_adj_close as last_peak_adj_close
        from {{ this }} as stored_rows
        inner join stored_summary
            on
                stored_rows.symbol = stored_summary.symbol
                and stored_rows.trading_date = stored_summary.last_date

    ),

    -- Today's prices of each symbol's stored sessions, summarized the same way.
    price_summary as (

        select
            prices.symbol,
            min(prices.trading_date) as first_date,
            count(case when prices.trading_date <= stored_summary.last_date then 1 end)
                as sessions_to_last,
            sum(case when prices.trading_date <= stored_summary.last_date then prices.adj_close end)
                as sum_adj_close_to_last,
            max(case when prices.trading_date = stored_summary.last_date then prices.adj_close end)
                as adj_close_at_last
        from prices
        left join stored_summary
            on prices.symbol = stored_summary.symbol
        group by prices.symbol

    ),

    plan_checks as (

        select
            price_summary.symbol,
            stored_last.last_date,
            stored_last.last_adj_close,
            stored_last.last_session_number,
            stored_last.last_peak_adj_close,
            coalesce(
                stored_last.symbol is null
                or stored_benchmark.benchmark_symbol != '{{ benchmark }}'
                or stored_summary.first_date != price_summary.first_date
                or stored_summary.stored_sessions != price_summary.sessions_to_last
                or abs(price_summary.adj_close_at_last - stored_last.last_adj_close)
                > 1e-12 * abs(stored_last.last_adj_close)
                or abs(price_summary.sum_adj_close_to_last - stored_summary.sum_adj_close)
                > 1e-10 * abs(stored_summary.sum_adj_close),
                true
            ) as is_full_recompute
        from price_summary
        cross join stored_benchmark
        left join stored_summary
            on price_summary.symbol = stored_summary.symbol
        left join stored_last
            on price_summary.symbol = stored_last.symbol

    ),

    -- A symbol recomputed in full starts from nothing stored.
    symbol_plan as (

        select
            symbol,
            is_full_recompute,
            case when not is_full_recompute then last_date end as last_date,
            case when not is_full_recompute then last_adj_close end as last_adj_close,
            case when not is_full_recompute then last_session_number else 0 end
                as last_session_number,
            case when not is_full_recompute then last_peak_adj_close end as last_peak_adj_close
        from plan_checks

    ),

{% else %}

    symbol_plan as (

        select distinct
            symbol,
            true as is_full_recompute,
            cast(null as date) as last_date,
            cast(null as {{ marketpulse.type_double() }}) as last_adj_close,
            cast(0 as {{ dbt.type_bigint() }}) as last_session_number,
            cast(null as {{ marketpulse.type_double() }}) as last_peak_adj_close
        from prices

    ),

{% endif %}

new_prices as (

    select
        prices.symbol,
        prices.trading_date,
        prices.adj_close,
        symbol_plan.last_adj_close,
        symbol_plan.last_session_number,
        symbol_plan.last_peak_adj_close
    from prices
    inner join symbol_plan
        on prices.symbol = symbol_plan.symbol
    where
        symbol_plan.is_full_recompute
        or prices.trading_date > symbol_plan.last_date

),

-- The lag, the count and the running max continue from the stored last row.
windowed as (

    select
        symbol,
        trading_date,
        adj_close,
        last_peak_adj_close,
        coalesce(
            lag(adj_close) over (partition by symbol order by trading_date),
            last_adj_close
        ) as previous_adj_close,
        last_session_number + row_number() over (
            partition by symbol order by trading_date
        ) as session_number,
        max(adj_close) over (
            partition by symbol order by trading_date
            rows between unbounded preceding and current row
        ) as running_max
    from new_prices

),

returns as (

    select
        symbol,
        trading_date,
        adj_close,
        session_number,
        adj_close / previous_adj_close - 1 as daily_return,
        case
            when last_peak_adj_close > running_max then last_peak_adj_close
            else running_max
        end as peak_adj_close
    from windowed

),

{% if is_incremental() %}

    -- The benchmark's returns: this run's, and its stored ones unless it is recomputed in full.
    benchmark as (

        select
            trading_date,
            daily_return as benchmark_return
        from returns
        where symbol = '{{ benchmark }}'

        union all

        select
            stored_rows.trading_date,
            stored_rows.daily_return as benchmark_return
        from {{ this }} as stored_rows
        inner join symbol_plan
            on
                stored_rows.symbol = symbol_plan.symbol
                and not symbol_plan.is_full_recompute
        where stored_rows.symbol = '{{ benchmark }}'

    ),

    -- Stored sessions whose benchmark return changed: the benchmark was recomputed in full and
    -- a return of it moved (a restated price), beyond the last bits a re-adjustment leaves.
    benchmark_changes as (

        select
            benchmark_returns.trading_date,
            benchmark_returns.daily_return as benchmark_return
        from returns as benchmark_returns
        inner join {{ this }} as stored_rows
            on
                benchmark_returns.symbol = stored_rows.symbol
                and benchmark_returns.trading_date = stored_rows.trading_date
        where
            benchmark_returns.symbol = '{{ benchmark }}'
            and (
                (benchmark_returns.daily_return is null) != (stored_rows.daily_return is null)
                or abs(benchmark_returns.daily_return - stored_rows.daily_return) > 1e-14
            )

    ),

    -- Stored sessions (every stored row is on or before its symbol's last stored session)
    -- whose risk-free rate changed since it was stored: late or revised FRED data.
    stored_rates as (

        select
            trading_date,
            count(*) as stored_rows,
            count(risk_free_rate_daily) as stored_rates,
            min(risk_free_rate_daily) as min_rate,
            max(risk_free_rate_daily) as max_rate
        from {{ this }}
        group by trading_date

    ),

    rate_changes as (

        select
            stored_rates.trading_date,
            risk_free.risk_free_rate_daily
        from stored_rates
        left join risk_free
            on stored_rates.trading_date = risk_free.trading_date
        where
            case
                when risk_free.risk_free_rate_daily is null then stored_rates.stored_rates > 0
                else
                    stored_rates.stored_rates < stored_rates.stored_rows
                    or stored_rates.min_rate != risk_free.risk_free_rate_daily
                    or stored_rates.max_rate != risk_free.risk_free_rate_daily
            end

    ),

    changed_dates as (

        select trading_date from rate_changes
        union
        select trading_date from benchmark_changes

    ),

    -- The stored rows of symbols not recomputed on those sessions, with the new inputs.
    rewritten as (

        select
            stored_rows.symbol,
            stored_rows.trading_date,
            stored_rows.adj_close,
            stored_rows.daily_return,
            case
                when benchmark_changes.trading_date is not null
                    then benchmark_changes.benchmark_return
                else stored_rows.benchmark_return
            end as benchmark_return,
            case
                when rate_changes.trading_date is not null then rate_changes.risk_free_rate_daily
                else stored_rows.risk_free_rate_daily
            end as risk_free_rate_daily,
            stored_rows.session_number,
            stored_rows.peak_adj_close
        from {{ this }} as stored_rows
        inner join symbol_plan
            on
                stored_rows.symbol = symbol_plan.symbol
                and not symbol_plan.is_full_recompute
        left join rate_changes
            on stored_rows.trading_date = rate_changes.trading_date
        left join benchmark_changes
            on stored_rows.trading_date = benchmark_changes.trading_date
        where stored_rows.trading_date in (select trading_date from changed_dates)

    ),

{% else %}

    benchmark as (

        select
            trading_date,
            daily_return as benchmark_return
        from returns
        where symbol = '{{ benchmark }}'

    ),

{% endif %}

computed as (

    select
        returns.symbol,
        returns.trading_date,
        returns.adj_close,
        returns.daily_return,
        benchmark.benchmark_return,
        risk_free.risk_free_rate_daily,
        returns.session_number,
        returns.peak_adj_close
    from returns
    left join benchmark
        on returns.trading_date = benchmark.trading_date
    left join risk_free
        on returns.trading_date = risk_free.trading_date

),

final as (

    select
        symbol,
        trading_date,
        adj_close,
        daily_return,
        benchmark_return,
        risk_free_rate_daily,
        daily_return - risk_free_rate_daily as excess_return,
        session_number,
        peak_adj_close,
        '{{ benchmark }}' as benchmark_symbol
    from computed
    {%- if is_incremental() %}

    union all

    select
        symbol,
        trading_date,
        adj_close,
        daily_return,
        benchmark_return,
        risk_free_rate_daily,
        daily_return - risk_free_rate_daily as excess_return,
        session_number,
        peak_adj_close,
        '{{ benchmark }}' as benchmark_symbol
    from rewritten
    {%- endif %}

)

select * from final
