{#
    Quality score per symbol and FRED series, over a 30-day and a full window,
    as of one date. The algorithm (design docs, portfolio-data-pipeline.md):
    quality_score = max(0, completeness
        - min(0.3, gap_count / total_days * 0.5)
        - min(0.2, days_since_update / 30 * 0.2)
        - min(0.1, outlier_count / actual_points * 0.1)).
    as_of_date: var quality_as_of_date when set; otherwise today for live data
    and, for the offline sample, the latest date the sample holds (its clock).
    Frequencies, expected points, gaps and freshness: see docs/models.md "Data quality".
#}

with points as (

    select * from {{ ref('int_quality_points_unioned') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

sample_clock as (

    select max(point_date) as sample_as_of_date
    from points
    where data_origin <> 'live'

),

entities as (

    select
        entity_type,
        entity_id,
        max(frequency_short) as frequency_short,
        max(case when data_origin = 'live' then 1 else 0 end) = 1 as is_live,
        min(point_date) as first_point_date
    from points
    group by entity_type, entity_id

),

entity_last_points as (

    select
        entity_type,
        entity_id,
        max(point_date) as last_date,
        {{ marketpulse.day_of_week_iso('max(point_date)') }} as last_day_of_week
    from points
    group by entity_type, entity_id

),

-- period_days: the spacing of the points; release_allowance_days: how long
-- after its last point an entity is still on time (one period plus the usual
-- release lag: monthly CPI for March is published mid-April).
entities_as_of as (

    select
        entities.entity_type,
        entities.entity_id,
        entities.frequency_short,
        entities.first_point_date,
        {% if var('quality_as_of_date') -%}
            cast('{{ var("quality_as_of_date") }}' as date)
        {%- else -%}
            case
                when entities.is_live then current_date
                else sample_clock.sample_as_of_date
            end
        {%- endif %} as as_of_date,
        case entities.frequency_short
            when 'W' then 7
            when 'BW' then 14
            when 'M' then 31
            when 'Q' then 92
            when 'SA' then 184
            when 'A' then 366
            else 1
        end as period_days,
        case entities.frequency_short
            when 'W' then 14
            when 'BW' then 28
            when 'M' then 76
            when 'Q' then 217
            when 'SA' then 300
            when 'A' then 456
            else 0
        end as release_allowance_days
    from entities
    cross join sample_clock

),

windows as (

    select
        entity_type,
        entity_id,
        frequency_short,
        as_of_date,
        period_days,
        release_allowance_days,
        '30d' as window_name,
        greatest(
            first_point_date,
            cast({{ dbt.dateadd('day', -29, 'as_of_date') }} as date)
        ) as window_start_date
    from entities_as_of

    union all

    select
        entity_type,
        entity_id,
        frequency_short,
        as_of_date,
        period_days,
        release_allowance_days,
        'full' as window_name,
        first_point_date as window_start_date
    from entities_as_of

),

points_with_gaps as (

    select
        entity_type,
        entity_id,
        point_date,
        is_outlier,
        {{ marketpulse.days_between('previous_point_date', 'point_date') }} as gap_days
    from (
        select
            entity_type,
            entity_id,
            point_date,
            is_outlier,
            lag(point_date) over (
                partition by entity_type, entity_id
                order by point_date
            ) as previous_point_date
        from points
    ) as sequenced_points

),

window_points as (

    select
        windows.entity_type,
        windows.entity_id,
        windows.window_name,
        count(points_with_gaps.point_date) as actual_points,
        sum(case when points_with_gaps.is_outlier then 1 else 0 end) as outlier_count,
        sum(
            case
                when
                    points_with_gaps.gap_days > {{ var('quality_gap_days') }}
                    + case when windows.period_days > 1 then windows.period_days else 0 end
                    then 1
                else 0
            end
        ) as gap_count,
        max(points_with_gaps.gap_days) as max_gap_days
    from windows
    left join points_with_gaps
        on
            windows.entity_type = points_with_gaps.entity_type
            and windows.entity_id = points_with_gaps.entity_id
            and windows.window_start_date <= points_with_gaps.point_date
            and windows.as_of_date >= points_with_gaps.point_date
    group by windows.entity_type, windows.entity_id, windows.window_name

),

windows_with_end as (

    select
        windows.*,
        case
            when windows.entity_type = 'symbol' then windows.as_of_date
            when entity_last_points.last_date < windows.as_of_date
                then entity_last_points.last_date
            else windows.as_of_date
        end as window_end_date
    from windows
    inner join entity_last_points
        on
            windows.entity_type = entity_last_points.entity_type
            and windows.entity_id = entity_last_points.entity_id

),

-- Symbols are expected on every NYSE session up to as_of_date. A series is
-- expected once per period up to its latest point (its lateness is
-- days_since_update's job): daily series on sessions, weekly on the weekday
-- of its latest point, monthly / quarterly / semiannual / annual on the
-- first day of the period.
window_expectations as (

    select
        windows.entity_type,
        windows.entity_id,
        windows.window_name,
        sum(
            case
                when windows.frequency_short in ('W', 'BW')
                    then
                        case
                            when calendar.day_of_week = last_points.last_day_of_week then 1
                            else 0
                        end
                when windows.frequency_short in ('M', 'Q', 'SA', 'A')
                    then
                        case
                            when
                                extract(day from calendar.date_day) = 1
                                and (
                                    windows.frequency_short = 'M'
                                    or (
                                        windows.frequency_short = 'Q'
                                        and calendar.month in (1, 4, 7, 10)
                                    )
                                    or (
                                        windows.frequency_short = 'SA'
                                        and calendar.month in (1, 7)
                                    )
                                    or (windows.frequency_short = 'A' and calendar.month = 1)
                                )
                                then 1
                            else 0
                        end
                when calendar.is_trading_day then 1
                else 0
            end
        ) as expected_days
    from windows_with_end as windows
    inner join entity_last_points as last_points
        on
            windows.entity_type = last_points.entity_type
            and windows.entity_id = last_points.entity_id
    left join calendar
        on
            windows.window_start_date <= calendar.date_day
            and windows.window_end_date >= calendar.date_day
    group by windows.entity_type, windows.entity_id, windows.window_name

),

measured as (

    select
        windows.entity_type,
        windows.entity_id,
        windows.window_name,
        windows.as_of_date,
        cast(
            case
                when windows.frequency_short = 'BW'
                    then (coalesce(window_expectations.expected_days, 0) + 1) / 2
                else coalesce(window_expectations.expected_days, 0)
            end as integer
        ) as expected_points,
        cast(window_points.actual_points as integer) as actual_points,
        cast(coalesce(window_points.gap_count, 0) as integer) as gap_count,
        cast(coalesce(window_points.max_gap_days, 0) as integer) as max_gap_days,
        cast(coalesce(window_points.outlier_count, 0) as integer) as outlier_count,
        cast(
            {{ marketpulse.days_between('windows.window_start_date', 'windows.as_of_date') }} + 1
            as integer
        ) as total_days,
        cast(
            {{ marketpulse.days_between('entity_last_points.last_date', 'windows.as_of_date') }}
            - windows.release_allowance_days
            as integer
        ) as days_past_allowance
    from windows
    inner join window_points
        on
            windows.entity_type = window_points.entity_type
            and windows.entity_id = window_points.entity_id
            and windows.window_name = window_points.window_name
    inner join entity_last_points
        on
            windows.entity_type = entity_last_points.entity_type
            and windows.entity_id = entity_last_points.entity_id
    left join window_expectations
        on
            windows.entity_type = window_expectations.entity_type
            and windows.entity_id = window_expectations.entity_id
            and windows.window_name = window_expectations.window_name

),

ratios as (

    select
        entity_type,
        entity_id,
        window_name,
        as_of_date,
        expected_points,
        actual_points,
        gap_count,
        max_gap_days,
        outlier_count,
        total_days,
        -- Nothing expected (e.g. a quarterly series over 30 days) is complete.
        case
            when expected_points = 0 then cast(1 as {{ marketpulse.type_double() }})
            when actual_points >= expected_points then cast(1 as {{ marketpulse.type_double() }})
            else
                cast(actual_points as {{ marketpulse.type_double() }})
                / cast(expected_points as {{ marketpulse.type_double() }})
        end as completeness_ratio,
        -- Days since the entity's latest point, beyond its release allowance.
        case
            when days_past_allowance < 0 then 0
            else days_past_allowance
        end as days_since_update
    from measured

),

scored as (

    select
        *,
        completeness_ratio
        - least(
            0.3,
            cast(gap_count as {{ marketpulse.type_double() }}) / total_days * 0.5
        )
        - least(
            0.2,
            cast(days_since_update as {{ marketpulse.type_double() }}) / 30 * 0.2
        )
        - case
            when actual_points = 0 then 0
            else
                least(
                    0.1,
                    cast(outlier_count as {{ marketpulse.type_double() }}) / actual_points * 0.1
                )
        end as raw_score
    from ratios

),

final as (

    select
        cast(entity_type as {{ dbt.type_string() }}) as entity_type,
        cast(entity_id as {{ dbt.type_string() }}) as entity_id,
        cast(window_name as {{ dbt.type_string() }}) as window_name,
        as_of_date,
        expected_points,
        actual_points,
        completeness_ratio,
        gap_count,
        max_gap_days,
        days_since_update,
        outlier_count,
        cast(
            case when raw_score > 0 then raw_score else 0 end
            as {{ marketpulse.type_double() }}
        ) as quality_score,
        cast(
            case
                when raw_score >= 0.95 then 'Excellent'
                when raw_score >= 0.85 then 'Good'
                when raw_score >= 0.70 then 'Fair'
                else 'Poor'
            end as {{ dbt.type_string() }}
        ) as quality_grade,
        completeness_ratio > {{ var('quality_min_completeness') }} as passes_completeness,
        gap_count = 0 as passes_gaps,
        days_since_update < {{ var('quality_max_days_since_update') }} as passes_freshness
    from scored

)

select * from final
