with source as (

    select * from {{ source('news', 'headlines') }}

),

renamed as (

    select
        cast(article_id as {{ dbt.type_string() }}) as article_id,
        cast(symbol as {{ dbt.type_string() }}) as symbol,
        cast(feed as {{ dbt.type_string() }}) as feed,
        cast(provider_id as {{ dbt.type_string() }}) as provider_id,
        cast(title as {{ dbt.type_string() }}) as title,
        cast(summary as {{ dbt.type_string() }}) as article_summary,
        cast(url as {{ dbt.type_string() }}) as url,
        cast(publisher as {{ dbt.type_string() }}) as publisher,
        published_at,
        cast(vader_compound as {{ marketpulse.type_double() }}) as vader_compound,
        cast(vader_pos as {{ marketpulse.type_double() }}) as vader_pos,
        cast(vader_neu as {{ marketpulse.type_double() }}) as vader_neu,
        cast(vader_neg as {{ marketpulse.type_double() }}) as vader_neg,
        cast(finance_compound as {{ marketpulse.type_double() }}) as finance_compound,
        cast(scorer as {{ dbt.type_string() }}) as scorer,
        cast(scorer_version as {{ dbt.type_string() }}) as scorer_version,
        cast(data_origin as {{ dbt.type_string() }}) as data_origin,
        _loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by symbol, article_id
            order by loaded_at desc
        ) as load_rank
    from renamed

),

final as (

    select
        article_id,
        symbol,
        feed,
        provider_id,
        title,
        article_summary,
        url,
        publisher,
        published_at,
        {{ marketpulse.utc_date('published_at') }} as published_date,
        vader_compound,
        vader_pos,
        vader_neu,
        vader_neg,
        finance_compound,
        scorer,
        scorer_version,
        data_origin,
        loaded_at
    from ranked
    where load_rank = 1

)

select * from final
