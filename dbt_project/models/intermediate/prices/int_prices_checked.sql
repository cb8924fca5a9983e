{#
    Every raw price row (duplicates included) with one boolean per hard rule.
    A row breaking any rule is rejected: int_prices_validated keeps it out of
    every mart and int_prices_quarantine lists it with one row per rule it
    breaks. Null open/high/low/volume are not errors (Yahoo omits them for
    some indices); a null close is (no price at all).
#}

with price_rows as (

    select * from {{ ref('stg_yahoo__prices_daily_rows') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

checked as (

    select
        price_rows.symbol,
        price_rows.trading_date,
        price_rows.open,
        price_rows.high,
        price_rows.low,
        price_rows.close,
        price_rows.yahoo_adj_close,
        price_rows.volume,
        price_rows.exchange_timezone,
        price_rows.data_origin,
        price_rows.loaded_at,
        price_rows.key_row_number,
        price_rows.key_row_count,
        price_rows.close is null as is_missing_close,
        coalesce(
            price_rows.open <= 0
            or price_rows.high <= 0
            or price_rows.low <= 0
            or price_rows.close <= 0,
            false
        ) as is_non_positive_price,
        coalesce(price_rows.high < price_rows.low, false) as is_high_below_low,
        coalesce(
            price_rows.open < price_rows.low or price_rows.open > price_rows.high,
            false
        ) as is_open_outside_range,
        coalesce(
            price_rows.close < price_rows.low or price_rows.close > price_rows.high,
            false
        ) as is_close_outside_range,
        coalesce(price_rows.volume < 0, false) as is_negative_volume,
        price_rows.key_row_number > 1 as is_duplicate_key,
        -- A date outside the calendar's range cannot be confirmed as a session either.
        not coalesce(calendar.is_trading_day, false) as is_non_trading_day
    from price_rows
    left join calendar
        on price_rows.trading_date = calendar.date_day

),

final as (

    select
        *,
        (
            {% for rule in price_rejection_rules() -%}
                {{ rule.flag }}{{ '\n            or ' if not loop.last }}
            {%- endfor %}
        ) as is_rejected
    from checked

)

select * from final
