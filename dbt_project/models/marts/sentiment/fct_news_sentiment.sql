with headlines as (

    select * from {{ ref('stg_news__headlines') }}

),

final as (

    select
        article_id,
        symbol,
        published_at,
        publisher,
        title,
        url,
        vader_compound,
        vader_pos,
        vader_neu,
        vader_neg,
        finance_compound,
        scorer_version
    from headlines

)

select * from final
