{#
    As-traded and total-return adjusted prices of every validated session: the
    macro prices_adjusted (shared with fct_prices_daily's incremental run).
    See docs/decisions/0001-price-adjustment.md for the method.
#}
with prices as (

    select * from {{ ref('int_prices_validated') }}

),

corporate_actions as (

    select * from {{ ref('stg_yahoo__corporate_actions') }}

),

final as (

    {{ marketpulse.prices_adjusted('prices', 'corporate_actions') }}

)

select * from final
