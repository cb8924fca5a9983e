{%- set band = var('sentiment_neutral_band') -%}

with headlines as (

    select * from {{ ref('stg_news__headlines') }}

),

daily as (

    select
        symbol,
        published_date,
        count(*) as article_count,
        avg(vader_compound) as mean_vader_compound,
        avg(finance_compound) as mean_finance_compound,
        sum(case when finance_compound >= {{ band }} then 1 else 0 end) as positive_count,
        sum(case when finance_compound <= -{{ band }} then 1 else 0 end) as negative_count
    from headlines
    group by symbol, published_date

),

final as (

    select
        symbol,
        published_date,
        article_count,
        cast(mean_vader_compound as {{ marketpulse.type_double() }}) as mean_vader_compound,
        cast(mean_finance_compound as {{ marketpulse.type_double() }}) as mean_finance_compound,
        cast(positive_count as {{ marketpulse.type_double() }})
        / article_count as positive_share,
        cast(negative_count as {{ marketpulse.type_double() }})
        / article_count as negative_share
    from daily

)

select * from final
