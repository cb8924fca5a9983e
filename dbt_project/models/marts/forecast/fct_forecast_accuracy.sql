-- Out-of-sample accuracy per model, horizon and target, on the forecasts whose realised
-- value is known, each against its naive baseline (zero return; EWMA volatility) on the
-- same symbol-dates. The Diebold-Mariano test compares squared errors: d = e_model^2 -
-- e_baseline^2, averaged over the symbols of each as_of_date, its long-run variance by
-- Newey-West (Bartlett weights 1 - k/h for lags k < h, the overlap of h-session
-- forecasts); dm_statistic = mean(d) / sqrt(lrv / days), negative when the model's errors
-- are smaller; the p-value is two-sided, normal. tests/forecast/test_accuracy_mart.py checks
-- it against statsmodels' HAC regression on a constant.
with forecasts as (

    select * from {{ ref('fct_forecasts') }}
    where realised_value is not null

),

baselines as (

    select
        symbol,
        as_of_date,
        horizon,
        target,
        prediction as baseline_prediction
    from forecasts
    where is_baseline

),

scored as (

    select
        forecasts.model,
        forecasts.horizon,
        forecasts.target,
        forecasts.as_of_date,
        forecasts.is_baseline,
        forecasts.model_version,
        forecasts.prediction - forecasts.realised_value as forecast_error,
        baselines.baseline_prediction - forecasts.realised_value as baseline_error,
        case
            when forecasts.prediction <> baselines.baseline_prediction
                then case
                        when (forecasts.prediction - baselines.baseline_prediction)
                            * (forecasts.realised_value - baselines.baseline_prediction) > 0
                            then cast(1 as {{ marketpulse.type_double() }})
                        else cast(0 as {{ marketpulse.type_double() }})
                    end
        end as is_direction_hit,
        case
            when forecasts.realised_value between forecasts.lower and forecasts.upper
                then cast(1 as {{ marketpulse.type_double() }})
            else cast(0 as {{ marketpulse.type_double() }})
        end as is_inside_interval
    from forecasts
    inner join baselines
        on
            forecasts.symbol = baselines.symbol
            and forecasts.as_of_date = baselines.as_of_date
            and forecasts.horizon = baselines.horizon
            and forecasts.target = baselines.target

),

summary as (

    select
        model,
        horizon,
        target,
        max(model_version) as model_version,
        max(case when is_baseline then 1 else 0 end) = 1 as is_baseline,
        count(*) as n_forecasts,
        count(distinct as_of_date) as n_dates,
        min(as_of_date) as first_as_of_date,
        max(as_of_date) as last_as_of_date,
        avg(abs(forecast_error)) as mae,
        sqrt(avg(forecast_error * forecast_error)) as rmse,
        sqrt(avg(baseline_error * baseline_error)) as baseline_rmse,
        avg(is_direction_hit) as directional_hit_rate,
        avg(is_inside_interval) as interval_coverage,
        avg(forecast_error * forecast_error) as mse,
        avg(baseline_error * baseline_error) as baseline_mse
    from scored
    group by model, horizon, target

),

daily_loss_differences as (

    select
        model,
        horizon,
        target,
        as_of_date,
        avg(forecast_error * forecast_error - baseline_error * baseline_error) as loss_difference
    from scored
    group by model, horizon, target, as_of_date

),

numbered_days as (

    select
        model,
        horizon,
        target,
        loss_difference,
        row_number() over (
            partition by model, horizon, target order by as_of_date
        ) as day_number,
        loss_difference - avg(loss_difference) over (
            partition by model, horizon, target
        ) as centred_difference,
        avg(loss_difference) over (partition by model, horizon, target) as mean_difference,
        count(*) over (partition by model, horizon, target) as n_days
    from daily_loss_differences

),

long_run_variances as (

    select
        later.model,
        later.horizon,
        later.target,
        max(later.mean_difference) as mean_difference,
        max(later.n_days) as n_days,
        sum(
            case
                when later.day_number = earlier.day_number then 1.0
                else 2.0 * (
                        1.0 - (later.day_number - earlier.day_number)
                        / cast(later.horizon as {{ marketpulse.type_double() }})
                    )
            end * later.centred_difference * earlier.centred_difference
        ) / max(later.n_days) as long_run_variance
    from numbered_days as later
    inner join numbered_days as earlier
        on
            later.model = earlier.model
            and later.horizon = earlier.horizon
            and later.target = earlier.target
            and later.day_number >= earlier.day_number
            and earlier.day_number > later.day_number - later.horizon
    group by later.model, later.horizon, later.target

),

tests as (

    select
        model,
        horizon,
        target,
        case
            when long_run_variance > 0
                then mean_difference / sqrt(long_run_variance / n_days)
        end as dm_statistic
    from long_run_variances

),

tested as (

    select
        summary.*,
        tests.dm_statistic,
        abs(tests.dm_statistic) as abs_dm_statistic
    from summary
    left join tests
        on
            summary.model = tests.model
            and summary.horizon = tests.horizon
            and summary.target = tests.target

),

final as (

    select
        model,
        horizon,
        target,
        model_version,
        is_baseline,
        n_forecasts,
        n_dates,
        first_as_of_date,
        last_as_of_date,
        mae,
        rmse,
        baseline_rmse,
        directional_hit_rate,
        interval_coverage,
        case when baseline_mse > 0 then 1.0 - mse / baseline_mse end as skill,
        case when not is_baseline then dm_statistic end as dm_statistic,
        case
            when not is_baseline and abs_dm_statistic is not null
                then {{ marketpulse.normal_two_sided_p_value('abs_dm_statistic') }}
        end as dm_p_value,
        not is_baseline and mse < baseline_mse and abs_dm_statistic is not null
        and {{ marketpulse.normal_two_sided_p_value('abs_dm_statistic') }} < 0.05 as has_skill,
        case
            when is_baseline then 'baseline'
            when n_dates < 30 then 'too few forecasts to judge'
            when abs_dm_statistic is null then 'no skill: no different from the baseline'
            when {{ marketpulse.normal_two_sided_p_value('abs_dm_statistic') }} >= 0.05
                then 'no skill: not distinguishable from the baseline (DM p >= 0.05)'
            when mse < baseline_mse then 'skill: beats the baseline (DM p < 0.05)'
            else 'no skill: worse than the baseline (DM p < 0.05)'
        end as verdict
    from tested

)

select * from final
