{%- set min_sentiment = var('divergence_min_sentiment') -%}
{%- set min_return = var('divergence_min_return') -%}

with headlines as (

    select * from {{ ref('stg_news__headlines') }}

),

prices as (

    select * from {{ ref('fct_prices_daily') }}

),

news_symbols as (

    select distinct symbol from headlines

),

symbol_prices as (

    select
        prices.symbol,
        prices.trading_date,
        prices.adj_close
    from prices
    inner join news_symbols
        on prices.symbol = news_symbols.symbol

),

-- A headline counts toward the first session on or after its UTC date
-- (weekend and holiday news counts toward the next session).
headline_sessions as (

    select
        headlines.symbol,
        headlines.article_id,
        headlines.finance_compound,
        min(symbol_prices.trading_date) as trading_date
    from headlines
    inner join symbol_prices
        on
            headlines.symbol = symbol_prices.symbol
            and headlines.published_date <= symbol_prices.trading_date
    group by headlines.symbol, headlines.article_id, headlines.finance_compound

),

session_sentiment as (

    select
        symbol,
        trading_date,
        count(*) as article_count,
        sum(finance_compound) as compound_sum
    from headline_sessions
    group by symbol, trading_date

),

windowed as (

    select
        symbol_prices.symbol,
        symbol_prices.trading_date,
        sum(coalesce(session_sentiment.article_count, 0)) over (
            partition by symbol_prices.symbol
            order by symbol_prices.trading_date
            rows between 4 preceding and current row
        ) as article_count_5d,
        sum(coalesce(session_sentiment.compound_sum, 0)) over (
            partition by symbol_prices.symbol
            order by symbol_prices.trading_date
            rows between 4 preceding and current row
        ) as compound_sum_5d,
        symbol_prices.adj_close / lag(symbol_prices.adj_close, 5) over (
            partition by symbol_prices.symbol
            order by symbol_prices.trading_date
        ) - 1 as return_5d
    from symbol_prices
    left join session_sentiment
        on
            symbol_prices.symbol = session_sentiment.symbol
            and symbol_prices.trading_date = session_sentiment.trading_date

),

scored as (

    select
        symbol,
        trading_date,
        cast(article_count_5d as bigint) as article_count_5d,
        cast(compound_sum_5d as {{ marketpulse.type_double() }})
        / article_count_5d as sentiment_5d,
        cast(return_5d as {{ marketpulse.type_double() }}) as return_5d
    from windowed
    where article_count_5d > 0 and return_5d is not null

),

final as (

    select
        symbol,
        trading_date,
        article_count_5d,
        sentiment_5d,
        return_5d,
        case
            when sentiment_5d >= {{ min_sentiment }} and return_5d <= -{{ min_return }}
                then 'positive_news_falling_price'
            when sentiment_5d <= -{{ min_sentiment }} and return_5d >= {{ min_return }}
                then 'negative_news_rising_price'
        end as divergence_type,
        coalesce(
            (sentiment_5d >= {{ min_sentiment }} and return_5d <= -{{ min_return }})
            or (sentiment_5d <= -{{ min_sentiment }} and return_5d >= {{ min_return }}),
            false
        ) as is_divergent
    from scored

)

select * from final
