{#
    One row per imported portfolio, described by its latest snapshot.
#}
with holdings as (

    select * from {{ ref('stg_portfolio__holdings') }}

),

snapshots as (

    select
        portfolio_id,
        as_of_date,
        max(portfolio_name) as portfolio_name,
        max(base_currency) as base_currency,
        count(*) as holding_count,
        count(quantity) as quantity_count,
        min(as_of_date) over (partition by portfolio_id) as inception_date,
        max(as_of_date) over (partition by portfolio_id) as latest_as_of_date
    from holdings
    group by portfolio_id, as_of_date

),

final as (

    select
        portfolio_id,
        portfolio_name,
        base_currency,
        inception_date,
        latest_as_of_date,
        holding_count,
        case when quantity_count > 0 then 'quantity' else 'target_weight' end as weighting,
        '{{ var("benchmark_symbol") }}' as benchmark_symbol
    from snapshots
    where as_of_date = latest_as_of_date

)

select * from final
