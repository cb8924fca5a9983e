{#
    Adjusted prices with each session's total return and the outlier flag: the
    macro prices_flagged (shared with fct_prices_daily's incremental run).
#}
with prices_adjusted as (

    select * from {{ ref('int_prices_adjusted') }}

),

final as (

    {{ marketpulse.prices_flagged('prices_adjusted') }}

)

select * from final
