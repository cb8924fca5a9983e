{#- Until the news source's first load its raw table does not exist: this model is then an
    empty relation of the same columns, and so are the marts built on it
    (macros/source_or_empty.sql, docs/decisions/0033). -#}
{%- set double = marketpulse.type_double() -%}
{%- set text = dbt.type_string() -%}

with source as (

    {{ marketpulse.source_or_empty('news', 'headlines', {
        'article_id': text,
        'symbol': text,
        'feed': text,
        'provider_id': text,
        'title': text,
        'summary': text,
        'url': text,
        'publisher': text,
        'published_at': marketpulse.type_timestamptz(),
        'vader_compound': double,
        'vader_pos': double,
        'vader_neu': double,
        'vader_neg': double,
        'finance_compound': double,
        'scorer': text,
        'scorer_version': text,
        'data_origin': text,
        '_loaded_at': marketpulse.type_timestamptz(),
    }) }}

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
