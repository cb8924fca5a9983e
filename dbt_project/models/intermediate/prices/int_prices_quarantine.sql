{#
    One row per offending raw price row and reason code (a row breaking three
    rules has three rows). severity 'rejected': the row is kept out of every
    mart; 'flagged': the row stays in fct_prices_daily with is_outlier = true.
    Prices and volume are the raw values (Yahoo's basis), as loaded.
    The reason codes are documented in _prices__models.yml and the README.
    dbt never modifies raw tables: this view only reads them (via staging).
#}

with checked as (

    select * from {{ ref('int_prices_checked') }}

),

flagged as (

    select * from {{ ref('int_prices_flagged') }}

),

rejected as (

    select
        symbol,
        trading_date,
        key_row_number,
        key_row_count,
        open,
        high,
        low,
        close,
        volume,
        data_origin,
        loaded_at,
        'missing_close' as reason_code,
        'rejected' as severity,
        cast(null as {{ marketpulse.type_double() }}) as daily_return
    from checked
    where is_missing_close

    union all

    select
        symbol,
        trading_date,
        key_row_number,
        key_row_count,
        open,
        high,
        low,
        close,
        volume,
        data_origin,
        loaded_at,
        'non_positive_price' as reason_code,
        'rejected' as severity,
        cast(null as {{ marketpulse.type_double() }}) as daily_return
    from checked
    where is_non_positive_price

    union all

    select
        symbol,
        trading_date,
        key_row_number,
        key_row_count,
        open,
        high,
        low,
        close,
        volume,
        data_origin,
        loaded_at,
        'high_below_low' as reason_code,
        'rejected' as severity,
        cast(null as {{ marketpulse.type_double() }}) as daily_return
    from checked
    where is_high_below_low

    union all

    select
        symbol,
        trading_date,
        key_row_number,
        key_row_count,
        open,
        high,
        low,
        close,
        volume,
        data_origin,
        loaded_at,
        'open_outside_range' as reason_code,
        'rejected' as severity,
        cast(null as {{ marketpulse.type_double() }}) as daily_return
    from checked
    where is_open_outside_range

    union all

    select
        symbol,
        trading_date,
        key_row_number,
        key_row_count,
        open,
        high,
        low,
        close,
        volume,
        data_origin,
        loaded_at,
        'close_outside_range' as reason_code,
        'rejected' as severity,
        cast(null as {{ marketpulse.type_double() }}) as daily_return
    from checked
    where is_close_outside_range

    union all

    select
        symbol,
        trading_date,
        key_row_number,
        key_row_count,
        open,
        high,
        low,
        close,
        volume,
        data_origin,
        loaded_at,
        'negative_volume' as reason_code,
        'rejected' as severity,
        cast(null as {{ marketpulse.type_double() }}) as daily_return
    from checked
    where is_negative_volume

    union all

    select
        symbol,
        trading_date,
        key_row_number,
        key_row_count,
        open,
        high,
        low,
        close,
        volume,
        data_origin,
        loaded_at,
        'duplicate_key' as reason_code,
        'rejected' as severity,
        cast(null as {{ marketpulse.type_double() }}) as daily_return
    from checked
    where is_duplicate_key

    union all

    select
        symbol,
        trading_date,
        key_row_number,
        key_row_count,
        open,
        high,
        low,
        close,
        volume,
        data_origin,
        loaded_at,
        'non_trading_day' as reason_code,
        'rejected' as severity,
        cast(null as {{ marketpulse.type_double() }}) as daily_return
    from checked
    where is_non_trading_day

),

outliers as (

    select
        checked.symbol,
        checked.trading_date,
        checked.key_row_number,
        checked.key_row_count,
        checked.open,
        checked.high,
        checked.low,
        checked.close,
        checked.volume,
        checked.data_origin,
        checked.loaded_at,
        'return_outlier' as reason_code,
        'flagged' as severity,
        flagged.daily_return
    from flagged
    inner join checked
        on
            flagged.symbol = checked.symbol
            and flagged.trading_date = checked.trading_date
            and not checked.is_rejected
    where flagged.is_outlier

),

final as (

    select * from rejected
    union all
    select * from outliers

)

select * from final
