{#
    One row per offending raw price row and reason code (a row breaking three
    rules has three rows). severity 'rejected': the row is kept out of every
    mart; 'flagged': the row stays in fct_prices_daily (return_outlier: with
    is_outlier = true; zero_volume: a session of an equity or ETF, dim_symbol
    asset_class in var zero_volume_asset_classes, that traded nothing; an
    index's volume is legitimately 0).
    Prices and volume are the raw values (Yahoo's basis), as loaded.
    The rules and their reason codes are one list, price_rejection_rules()
    (macros/price_rejection_rules.sql); the codes are documented in
    _prices__models.yml.
    dbt never modifies raw tables: this view only reads them (via staging).
#}
{%- set traded_classes = "'" ~ var('zero_volume_asset_classes') | join("', '") ~ "'" -%}

with checked as (

    select * from {{ ref('int_prices_checked') }}

),

flagged as (

    select * from {{ ref('int_prices_flagged') }}

),

traded_symbols as (

    select symbol
    from {{ ref('dim_symbol') }}
    where asset_class in ({{ traded_classes }})

),

rejected as (

    {% for rule in price_rejection_rules() %}
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
            '{{ rule.reason_code }}' as reason_code,
            'rejected' as severity,
            cast(null as {{ marketpulse.type_double() }}) as daily_return
        from checked
        where {{ rule.flag }}
        {% if not loop.last %}
            union all
        {% endif %}
    {% endfor %}

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

zero_volume as (

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
        'zero_volume' as reason_code,
        'flagged' as severity,
        cast(null as {{ marketpulse.type_double() }}) as daily_return
    from checked
    inner join traded_symbols
        on checked.symbol = traded_symbols.symbol
    where checked.volume = 0 and not checked.is_rejected

),

final as (

    select * from rejected
    union all
    select * from outliers
    union all
    select * from zero_volume

)

select * from final
