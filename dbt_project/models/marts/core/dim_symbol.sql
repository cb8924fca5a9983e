{%- set benchmark_symbols = "'" ~ var('benchmark_symbols') | join("', '") ~ "'" -%}

with symbols as (

    select * from {{ ref('stg_yahoo__symbols') }}

),

sector_etfs as (

    select * from {{ ref('sector_etfs') }}

),

final as (

    select
        symbols.symbol,
        symbols.symbol_name as name,
        case symbols.quote_type
            when 'INDEX' then 'index'
            when 'ETF' then 'etf'
            when 'EQUITY' then 'equity'
            when 'MUTUALFUND' then 'mutual_fund'
            when 'CRYPTOCURRENCY' then 'crypto'
            when 'CURRENCY' then 'currency'
            when 'FUTURE' then 'future'
            else coalesce(lower(symbols.quote_type), 'unknown')
        end as asset_class,
        coalesce(symbols.sector, sector_etfs.sector) as sector,
        symbols.industry,
        symbols.currency,
        symbols.exchange,
        symbols.exchange_timezone,
        coalesce(
            symbols.symbol in ({{ benchmark_symbols }}),
            false
        ) as is_benchmark,
        coalesce(symbols.data_origin = 'sample_simulated', false) as is_simulated
    from symbols
    left join sector_etfs
        on symbols.symbol = sector_etfs.symbol

)

select * from final
