-- Every walk-forward forecast with the value it is scored against once that is known: for
-- horizon h at as_of_date t, the log return from t's close to the close h sessions later, or
-- the realised volatility sqrt(mean of the h daily log returns squared) over t+1..t+h
-- (daily units). marketpulse/forecast/features.py's targets() uses the same definitions.
with forecasts as (

    select * from {{ ref('stg_forecast__forecasts') }}

),

prices as (

    select
        symbol,
        trading_date,
        adj_close
    from {{ ref('fct_prices_daily') }}
    where adj_close is not null

),

daily_returns as (

    select
        symbol,
        trading_date,
        adj_close,
        ln(adj_close / lag(adj_close) over (
            partition by symbol order by trading_date
        )) as log_return
    from prices

),

forward_windows as (

    select
        symbol,
        trading_date,
        lead(trading_date, 1) over (partition by symbol order by trading_date) as date_1,
        lead(trading_date, 5) over (partition by symbol order by trading_date) as date_5,
        lead(trading_date, 21) over (partition by symbol order by trading_date) as date_21,
        ln(lead(adj_close, 1) over (
            partition by symbol order by trading_date
        ) / adj_close) as return_1,
        ln(lead(adj_close, 5) over (
            partition by symbol order by trading_date
        ) / adj_close) as return_5,
        ln(lead(adj_close, 21) over (
            partition by symbol order by trading_date
        ) / adj_close) as return_21,
        sum(log_return * log_return) over (
            partition by symbol order by trading_date
            rows between 1 following and 5 following
        ) as squares_5,
        sum(log_return * log_return) over (
            partition by symbol order by trading_date
            rows between 1 following and 21 following
        ) as squares_21
    from daily_returns

),

final as (

    select
        forecasts.symbol,
        forecasts.as_of_date,
        forecasts.horizon,
        forecasts.target,
        forecasts.model,
        forecasts.model_version,
        forecasts.prediction,
        forecasts.lower,
        forecasts.upper,
        forecasts.fitted_through_date,
        forecasts.model in ('zero', 'ewma') as is_baseline,
        case forecasts.horizon
            when 1 then forward_windows.date_1
            when 5 then forward_windows.date_5
            when 21 then forward_windows.date_21
        end as target_date,
        case
            when forecasts.target = 'return' and forecasts.horizon = 1
                then forward_windows.return_1
            when forecasts.target = 'return' and forecasts.horizon = 5
                then forward_windows.return_5
            when forecasts.target = 'return' and forecasts.horizon = 21
                then forward_windows.return_21
            when forecasts.target = 'volatility' and forecasts.horizon = 1
                then abs(forward_windows.return_1)
            when forecasts.target = 'volatility' and forecasts.horizon = 5
                and forward_windows.date_5 is not null
                then sqrt(forward_windows.squares_5 / 5.0)
            when forecasts.target = 'volatility' and forecasts.horizon = 21
                and forward_windows.date_21 is not null
                then sqrt(forward_windows.squares_21 / 21.0)
        end as realised_value
    from forecasts
    left join forward_windows
        on
            forecasts.symbol = forward_windows.symbol
            and forecasts.as_of_date = forward_windows.trading_date

)

select * from final
