{#
    Daily drawdown of each symbol from its running peak of adj_close (the
    highest close so far, the first session included). Stores ratios and the
    peak's date, not prices: adjusted prices are restated when a dividend goes
    ex, ratios are not. Incremental: a run continues each symbol from its last
    stored peak (its date, priced from fct_prices_daily today), so no lookback
    is needed; a symbol whose prices now start on another date is recomputed whole.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy=marketpulse.incremental_strategy(),
        partition_by=marketpulse.incremental_partition_by(),
        unique_key=['symbol', 'trading_date'],
        indexes=(
            [{'columns': ['symbol', 'trading_date'], 'unique': true}]
            if target.type == 'postgres' else []
        ),
        on_schema_change='fail',
    )
}}

with all_prices as (

    select
        symbol,
        trading_date,
        adj_close
    from {{ ref('fct_prices_daily') }}

),

{% if is_incremental() %}

    stored as (

        select
            symbol,
            min(trading_date) as first_date,
            max(trading_date) as last_date
        from {{ this }}
        group by symbol

    ),

    price_starts as (

        select
            symbol,
            min(trading_date) as first_date
        from all_prices
        group by symbol

    ),

    -- A symbol whose stored history starts on another date than its prices (extended back,
    -- or pruned: docs/decisions/0033) has no previous peak: it is recomputed whole.
    previous_peaks as (

        select
            stored.symbol,
            stored.last_date,
            previous.peak_date,
            peak_prices.adj_close as peak_close
        from stored
        inner join price_starts
            on
                stored.symbol = price_starts.symbol
                and stored.first_date = price_starts.first_date
        inner join {{ this }} as previous
            on
                stored.symbol = previous.symbol
                and stored.last_date = previous.trading_date
        inner join all_prices as peak_prices
            on
                previous.symbol = peak_prices.symbol
                and previous.peak_date = peak_prices.trading_date

    ),

{% else %}

    previous_peaks as (

        select
            symbol,
            cast(null as date) as last_date,
            cast(null as date) as peak_date,
            adj_close as peak_close
        from all_prices
        where 1 = 0

    ),

{% endif %}

new_prices as (

    select
        all_prices.symbol,
        all_prices.trading_date,
        all_prices.adj_close,
        previous_peaks.peak_date as previous_peak_date,
        previous_peaks.peak_close as previous_peak_close
    from all_prices
    left join previous_peaks
        on all_prices.symbol = previous_peaks.symbol
    where
        previous_peaks.symbol is null
        or all_prices.trading_date > previous_peaks.last_date

),

running_maxima as (

    select
        symbol,
        trading_date,
        adj_close,
        previous_peak_date,
        previous_peak_close,
        max(adj_close) over (
            partition by symbol
            order by trading_date
            rows between unbounded preceding and current row
        ) as running_max
    from new_prices

),

peaks as (

    select
        symbol,
        trading_date,
        adj_close,
        previous_peak_date,
        case
            when previous_peak_close > running_max then previous_peak_close
            else running_max
        end as running_peak
    from running_maxima

),

final as (

    select
        symbol,
        trading_date,
        coalesce(
            max(case when adj_close >= running_peak then trading_date end) over (
                partition by symbol
                order by trading_date
                rows between unbounded preceding and current row
            ),
            previous_peak_date
        ) as peak_date,
        adj_close / running_peak - 1 as drawdown,
        {{ month_start('trading_date') }} as trading_month
    from peaks

)

select * from final
