{#
    Derives as-traded (unadjusted) prices and total-return adjusted prices from
    Yahoo's split-adjusted prices and the corporate actions.
    See docs/decisions/0001-price-adjustment.md for the method.

    Products over windows are exp(sum(ln(x))), which is portable to Spark.
    Split factors are exact rationals, so they are rounded to 12 decimals to
    strip the ~1e-15 noise that exp/ln adds (a 7:1 split would otherwise give
    6.999999999999999).

    prices: a relation or CTE with int_prices_validated's columns; corporate_actions:
    one with stg_yahoo__corporate_actions's. Renders a whole `with ... select`
    statement with int_prices_adjusted's columns. int_prices_adjusted applies it to
    every price, fct_prices_daily's incremental run to the sessions it recomputes and
    their lookback (docs/decisions/0020-incremental-refresh.md): a row's factors are
    products over the rows after it, so a scope that runs to a symbol's latest
    session gives its rows their exact factors.
#}
{% macro prices_adjusted(prices, corporate_actions) -%}
-- A session without a close is not a price row: it cannot anchor an action.
with prices_sequenced as (

    select
        symbol,
        trading_date,
        open,
        high,
        low,
        close,
        yahoo_adj_close,
        volume,
        data_origin,
        lag(trading_date) over (
            partition by symbol
            order by trading_date
        ) as previous_trading_date,
        lag(close) over (
            partition by symbol
            order by trading_date
        ) as previous_close
    from {{ prices }}
    where close is not null

),

-- Each action attaches to the first price row on or after its ex_date, so an
-- ex_date without a price row (weekend, holiday, data gap) is applied on the
-- next session. Actions before a symbol's first price row, or after its last
-- one, attach to no row and do not change any price (yet).
actions_by_price_row as (

    select
        prices_sequenced.symbol,
        prices_sequenced.trading_date,
        sum(
            coalesce(corporate_actions.dividend_amount, 0)
        ) as yahoo_dividend,
        round(
            exp(sum(ln(coalesce(corporate_actions.split_ratio, 1)))) * 1e12
        ) / 1e12 as split_ratio
    from prices_sequenced
    inner join {{ corporate_actions }} as corporate_actions
        on
            prices_sequenced.symbol = corporate_actions.symbol
            and prices_sequenced.trading_date >= corporate_actions.ex_date
            and (
                prices_sequenced.previous_trading_date < corporate_actions.ex_date
                or (
                    prices_sequenced.previous_trading_date is null
                    and prices_sequenced.trading_date = corporate_actions.ex_date
                )
            )
    group by
        prices_sequenced.symbol,
        prices_sequenced.trading_date

),

prices_with_actions as (

    select
        prices_sequenced.symbol,
        prices_sequenced.trading_date,
        prices_sequenced.open,
        prices_sequenced.high,
        prices_sequenced.low,
        prices_sequenced.close,
        prices_sequenced.yahoo_adj_close,
        prices_sequenced.volume,
        prices_sequenced.data_origin,
        coalesce(actions_by_price_row.yahoo_dividend, 0) as yahoo_dividend,
        coalesce(actions_by_price_row.split_ratio, 1) as split_ratio,
        -- Both the dividend and the previous close are on Yahoo's split-adjusted basis.
        case
            when
                actions_by_price_row.yahoo_dividend > 0
                and prices_sequenced.previous_close > 0
                then 1 - actions_by_price_row.yahoo_dividend / prices_sequenced.previous_close
            else 1
        end as dividend_factor
    from prices_sequenced
    left join actions_by_price_row
        on
            prices_sequenced.symbol = actions_by_price_row.symbol
            and prices_sequenced.trading_date = actions_by_price_row.trading_date

),

-- Factors of the actions strictly after each row (the row's own action is
-- already in its price). A non-positive dividend factor is bad data: it is
-- skipped here and fails the dividend_factor test instead of breaking ln().
factors_after as (

    select
        *,
        coalesce(
            round(
                exp(sum(ln(split_ratio)) over (
                    partition by symbol
                    order by trading_date
                    rows between 1 following and unbounded following
                )) * 1e12
            ) / 1e12,
            1
        ) as split_factor_after,
        coalesce(
            exp(sum(ln(case when dividend_factor > 0 then dividend_factor end)) over (
                partition by symbol
                order by trading_date
                rows between 1 following and unbounded following
            )),
            1
        ) as dividend_factor_after
    from prices_with_actions

),

as_traded as (

    select
        symbol,
        trading_date,
        close as yahoo_close,
        yahoo_adj_close,
        open * split_factor_after as open,
        high * split_factor_after as high,
        low * split_factor_after as low,
        close * split_factor_after as close,
        cast(round(volume / split_factor_after) as {{ dbt.type_bigint() }}) as volume,
        yahoo_dividend * split_factor_after as dividend,
        split_ratio,
        dividend_factor,
        split_factor_after,
        dividend_factor_after,
        dividend_factor_after / split_factor_after as adj_factor,
        data_origin
    from factors_after

),

final as (

    select
        symbol,
        trading_date,
        data_origin,
        yahoo_close,
        yahoo_adj_close,
        open,
        high,
        low,
        close,
        volume,
        dividend,
        split_ratio,
        dividend_factor,
        split_factor_after,
        dividend_factor_after,
        adj_factor,
        open * adj_factor as adj_open,
        high * adj_factor as adj_high,
        low * adj_factor as adj_low,
        close * adj_factor as adj_close
    from as_traded

)

select * from final
{%- endmacro %}
