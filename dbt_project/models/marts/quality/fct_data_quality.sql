{#
    Quality score per symbol and FRED series, over a 30-day and a full window,
    as of one date. The recent window (the last var quality_recent_sessions,
    252, NYSE sessions up to as_of_date, from the entity's first point at the
    earliest) weighs most (var quality_recent_weight, 0.6):
    quality_score = max(0, 0.6 * recent_completeness_ratio
        + 0.4 * completeness_ratio
        - min(0.3, gap_count / total_days * 0.5)
        - min(0.2, days_since_update / 30 * 0.2)
        - min(0.1, (outlier_count + zero_volume_count) / actual_points * 0.1)).
    zero_volume_count: sessions of an equity or ETF with zero volume (an
    index's volume is legitimately 0), anomalies like return outliers.
    The grade follows the score, but a gap in the recent window (over var
    quality_recent_max_gap_sessions, 5, missing sessions for daily data; a
    missed period for other series) caps it at Fair
    (docs/decisions/0030-quality-grade-weighs-the-recent-year.md).
    as_of_date: var quality_as_of_date when set; otherwise today for live data
    and, for the offline sample, the latest date the sample holds (its clock).
    Frequencies, expected points, gaps and freshness: see docs/models.md "Data quality".
    The points and their gaps are stored, incrementally, in fct_quality_points.
#}
{%- set traded_classes = "'" ~ var('zero_volume_asset_classes') | join("', '") ~ "'" -%}

with points as (

    select * from {{ ref('fct_quality_points') }}

),

symbols as (

    select * from {{ ref('dim_symbol') }}

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

-- Every calendar day with the number of NYSE sessions up to it: the sessions
-- between two dates are the difference of their numbers.
session_numbers as (

    select
        date_day,
        is_trading_day,
        sum(case when is_trading_day then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and current row
        ) as session_number
    from calendar

),

-- The first of the last var quality_recent_sessions sessions up to each as_of_date.
recent_starts as (

    select
        as_of_dates.as_of_date,
        min(session_numbers.date_day) as recent_start_date
    from (select distinct as_of_date from entities_as_of) as as_of_dates
    inner join session_numbers as as_of_sessions
        on as_of_dates.as_of_date = as_of_sessions.date_day
    inner join session_numbers
        on
            as_of_dates.as_of_date >= session_numbers.date_day
            and as_of_sessions.session_number - {{ var('quality_recent_sessions') }}
            < session_numbers.session_number
            and session_numbers.is_trading_day
    group by as_of_dates.as_of_date

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

    union all

    select
        entities_as_of.entity_type,
        entities_as_of.entity_id,
        entities_as_of.frequency_short,
        entities_as_of.as_of_date,
        entities_as_of.period_days,
        entities_as_of.release_allowance_days,
        'recent' as window_name,
        case
            when recent_starts.recent_start_date > entities_as_of.first_point_date
                then recent_starts.recent_start_date
            else entities_as_of.first_point_date
        end as window_start_date
    from entities_as_of
    left join recent_starts
        on entities_as_of.as_of_date = recent_starts.as_of_date

),

traded_symbols as (

    select symbol
    from symbols
    where asset_class in ({{ traded_classes }})

),

-- A zero-volume session is an anomaly of an equity or ETF only (an index's volume is 0).
points_with_gaps as (

    select
        points.entity_type,
        points.entity_id,
        points.point_date,
        points.is_outlier,
        points.gap_days,
        points.gap_sessions,
        coalesce(points.has_zero_volume and traded_symbols.symbol is not null, false)
            as is_zero_volume
    from points
    left join traded_symbols
        on
            points.entity_type = 'symbol'
            and points.entity_id = traded_symbols.symbol

),

-- The 30d and recent windows read the points from the earliest of their starts only.
recent_range as (

    select min(window_start_date) as first_date
    from windows
    where window_name <> 'full'

),

recent_points as (

    select points_with_gaps.*
    from points_with_gaps
    inner join recent_range
        on points_with_gaps.point_date >= recent_range.first_date

),

window_points as (

    select
        windows.entity_type,
        windows.entity_id,
        windows.window_name,
        count(points_with_gaps.point_date) as actual_points,
        sum(case when points_with_gaps.is_outlier then 1 else 0 end) as outlier_count,
        sum(case when points_with_gaps.is_zero_volume then 1 else 0 end) as zero_volume_count,
        sum(
            case
                when
                    points_with_gaps.gap_days > {{ var('quality_gap_days') }}
                    + case when windows.period_days > 1 then windows.period_days else 0 end
                    then 1
                else 0
            end
        ) as gap_count,
        max(points_with_gaps.gap_days) as max_gap_days,
        max(points_with_gaps.gap_sessions) as max_gap_sessions
    from windows
    left join points_with_gaps
        on
            windows.entity_type = points_with_gaps.entity_type
            and windows.entity_id = points_with_gaps.entity_id
            and windows.window_start_date <= points_with_gaps.point_date
            and windows.as_of_date >= points_with_gaps.point_date
    where windows.window_name = 'full'
    group by windows.entity_type, windows.entity_id, windows.window_name

    union all

    select
        windows.entity_type,
        windows.entity_id,
        windows.window_name,
        count(recent_points.point_date) as actual_points,
        sum(case when recent_points.is_outlier then 1 else 0 end) as outlier_count,
        sum(case when recent_points.is_zero_volume then 1 else 0 end) as zero_volume_count,
        sum(
            case
                when
                    recent_points.gap_days > {{ var('quality_gap_days') }}
                    + case when windows.period_days > 1 then windows.period_days else 0 end
                    then 1
                else 0
            end
        ) as gap_count,
        max(recent_points.gap_days) as max_gap_days,
        max(recent_points.gap_sessions) as max_gap_sessions
    from windows
    left join recent_points
        on
            windows.entity_type = recent_points.entity_type
            and windows.entity_id = recent_points.entity_id
            and windows.window_start_date <= recent_points.point_date
            and windows.as_of_date >= recent_points.point_date
    where windows.window_name <> 'full'
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
-- first day of the period. Counted from running counts over the calendar:
-- the days of a kind in a window are its count through the window's end
-- less its count before the window's start (the window clipped to dim_date).
calendar_days as (

    select
        date_day,
        is_trading_day as is_session,
        extract(day from date_day) = 1 as is_month_start,
        extract(day from date_day) = 1 and month in (1, 4, 7, 10) as is_quarter_start,
        extract(day from date_day) = 1 and month in (1, 7) as is_half_year_start,
        extract(day from date_day) = 1 and month = 1 as is_year_start,
        day_of_week = 1 as is_weekday_1,
        day_of_week = 2 as is_weekday_2,
        day_of_week = 3 as is_weekday_3,
        day_of_week = 4 as is_weekday_4,
        day_of_week = 5 as is_weekday_5,
        day_of_week = 6 as is_weekday_6,
        day_of_week = 7 as is_weekday_7
    from calendar

),

calendar_counts as (

    select
        date_day,
        sum(case when is_session then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and current row
        ) as sessions_through,
        sum(case when is_session then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and 1 preceding
        ) as sessions_before,
        sum(case when is_month_start then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and current row
        ) as month_starts_through,
        sum(case when is_month_start then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and 1 preceding
        ) as month_starts_before,
        sum(case when is_quarter_start then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and current row
        ) as quarter_starts_through,
        sum(case when is_quarter_start then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and 1 preceding
        ) as quarter_starts_before,
        sum(case when is_half_year_start then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and current row
        ) as half_year_starts_through,
        sum(case when is_half_year_start then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and 1 preceding
        ) as half_year_starts_before,
        sum(case when is_year_start then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and current row
        ) as year_starts_through,
        sum(case when is_year_start then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and 1 preceding
        ) as year_starts_before,
        sum(case when is_weekday_1 then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and current row
        ) as weekday_1s_through,
        sum(case when is_weekday_1 then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and 1 preceding
        ) as weekday_1s_before,
        sum(case when is_weekday_2 then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and current row
        ) as weekday_2s_through,
        sum(case when is_weekday_2 then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and 1 preceding
        ) as weekday_2s_before,
        sum(case when is_weekday_3 then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and current row
        ) as weekday_3s_through,
        sum(case when is_weekday_3 then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and 1 preceding
        ) as weekday_3s_before,
        sum(case when is_weekday_4 then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and current row
        ) as weekday_4s_through,
        sum(case when is_weekday_4 then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and 1 preceding
        ) as weekday_4s_before,
        sum(case when is_weekday_5 then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and current row
        ) as weekday_5s_through,
        sum(case when is_weekday_5 then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and 1 preceding
        ) as weekday_5s_before,
        sum(case when is_weekday_6 then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and current row
        ) as weekday_6s_through,
        sum(case when is_weekday_6 then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and 1 preceding
        ) as weekday_6s_before,
        sum(case when is_weekday_7 then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and current row
        ) as weekday_7s_through,
        sum(case when is_weekday_7 then 1 else 0 end) over (
            order by date_day
            rows between unbounded preceding and 1 preceding
        ) as weekday_7s_before
    from calendar_days

),

calendar_range as (

    select
        min(date_day) as first_date,
        max(date_day) as last_date
    from calendar

),

clipped_windows as (

    select
        windows.entity_type,
        windows.entity_id,
        windows.window_name,
        windows.frequency_short,
        last_points.last_day_of_week,
        case
            when windows.window_start_date < calendar_range.first_date
                then calendar_range.first_date
            else windows.window_start_date
        end as count_start_date,
        case
            when windows.window_end_date > calendar_range.last_date
                then calendar_range.last_date
            else windows.window_end_date
        end as count_end_date
    from windows_with_end as windows
    inner join entity_last_points as last_points
        on
            windows.entity_type = last_points.entity_type
            and windows.entity_id = last_points.entity_id
    cross join calendar_range

),

window_expectations as (

    select
        clipped_windows.entity_type,
        clipped_windows.entity_id,
        clipped_windows.window_name,
        case
            when clipped_windows.count_start_date > clipped_windows.count_end_date then 0
            when clipped_windows.frequency_short in ('W', 'BW')
                then
                    case clipped_windows.last_day_of_week
                        when 1
                            then
                                end_counts.weekday_1s_through
                                - coalesce(start_counts.weekday_1s_before, 0)
                        when 2
                            then
                                end_counts.weekday_2s_through
                                - coalesce(start_counts.weekday_2s_before, 0)
                        when 3
                            then
                                end_counts.weekday_3s_through
                                - coalesce(start_counts.weekday_3s_before, 0)
                        when 4
                            then
                                end_counts.weekday_4s_through
                                - coalesce(start_counts.weekday_4s_before, 0)
                        when 5
                            then
                                end_counts.weekday_5s_through
                                - coalesce(start_counts.weekday_5s_before, 0)
                        when 6
                            then
                                end_counts.weekday_6s_through
                                - coalesce(start_counts.weekday_6s_before, 0)
                        when 7
                            then
                                end_counts.weekday_7s_through
                                - coalesce(start_counts.weekday_7s_before, 0)
                        else 0
                    end
            when clipped_windows.frequency_short = 'M'
                then
                    end_counts.month_starts_through
                    - coalesce(start_counts.month_starts_before, 0)
            when clipped_windows.frequency_short = 'Q'
                then
                    end_counts.quarter_starts_through
                    - coalesce(start_counts.quarter_starts_before, 0)
            when clipped_windows.frequency_short = 'SA'
                then
                    end_counts.half_year_starts_through
                    - coalesce(start_counts.half_year_starts_before, 0)
            when clipped_windows.frequency_short = 'A'
                then
                    end_counts.year_starts_through
                    - coalesce(start_counts.year_starts_before, 0)
            else end_counts.sessions_through - coalesce(start_counts.sessions_before, 0)
        end as expected_days
    from clipped_windows
    left join calendar_counts as start_counts
        on clipped_windows.count_start_date = start_counts.date_day
    left join calendar_counts as end_counts
        on clipped_windows.count_end_date = end_counts.date_day

),

measured as (

    select
        windows.entity_type,
        windows.entity_id,
        windows.window_name,
        windows.frequency_short,
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
        cast(coalesce(window_points.zero_volume_count, 0) as integer) as zero_volume_count,
        cast(coalesce(window_points.max_gap_sessions, 0) as integer) as max_gap_sessions,
        -- a symbol's sessions after its latest point, up to as_of_date
        cast(
            case
                when windows.entity_type = 'symbol'
                    then coalesce(as_of_sessions.session_number - last_sessions.session_number, 0)
                else 0
            end as integer
        ) as trailing_gap_sessions,
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
    left join session_numbers as as_of_sessions
        on windows.as_of_date = as_of_sessions.date_day
    left join session_numbers as last_sessions
        on entity_last_points.last_date = last_sessions.date_day

),

ratios as (

    select
        entity_type,
        entity_id,
        window_name,
        frequency_short,
        as_of_date,
        expected_points,
        actual_points,
        gap_count,
        max_gap_days,
        outlier_count,
        zero_volume_count,
        max_gap_sessions,
        trailing_gap_sessions,
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

-- The recent window's figures, the same for an entity's 30d and full rows.
-- Daily data (symbols, daily series) measures gaps in missing NYSE sessions,
-- a symbol's sessions after its latest point included; other series have no
-- session count and are capped by a gap_count gap (a missed period).
recent as (

    select
        entity_type,
        entity_id,
        completeness_ratio as recent_completeness_ratio,
        gap_count as recent_gap_count,
        case
            when frequency_short = 'D'
                then
                    case
                        when max_gap_sessions > trailing_gap_sessions then max_gap_sessions
                        else trailing_gap_sessions
                    end
        end as recent_max_gap_sessions
    from ratios
    where window_name = 'recent'

),

scored as (

    select
        ratios.*,
        recent.recent_completeness_ratio,
        recent.recent_max_gap_sessions,
        coalesce(
            recent.recent_max_gap_sessions > {{ var('quality_recent_max_gap_sessions') }},
            recent.recent_gap_count > 0
        ) as has_recent_gap,
        {{ var('quality_recent_weight') }} * recent.recent_completeness_ratio
        + (1 - {{ var('quality_recent_weight') }}) * ratios.completeness_ratio
        - least(
            0.3,
            cast(ratios.gap_count as {{ marketpulse.type_double() }}) / ratios.total_days * 0.5
        )
        - least(
            0.2,
            cast(ratios.days_since_update as {{ marketpulse.type_double() }}) / 30 * 0.2
        )
        - case
            when ratios.actual_points = 0 then 0
            else
                least(
                    0.1,
                    cast(
                        ratios.outlier_count + ratios.zero_volume_count
                        as {{ marketpulse.type_double() }}
                    ) / ratios.actual_points * 0.1
                )
        end as raw_score
    from ratios
    inner join recent
        on
            ratios.entity_type = recent.entity_type
            and ratios.entity_id = recent.entity_id
    where ratios.window_name <> 'recent'

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
                when raw_score >= 0.95 and not has_recent_gap then 'Excellent'
                when raw_score >= 0.85 and not has_recent_gap then 'Good'
                when raw_score >= 0.70 then 'Fair'
                else 'Poor'
            end as {{ dbt.type_string() }}
        ) as quality_grade,
        completeness_ratio > {{ var('quality_min_completeness') }} as passes_completeness,
        gap_count = 0 as passes_gaps,
        days_since_update < {{ var('quality_max_days_since_update') }} as passes_freshness,
        cast(
            recent_completeness_ratio as {{ marketpulse.type_double() }}
        ) as recent_completeness_ratio,
        recent_max_gap_sessions,
        zero_volume_count
    from scored

)

select * from final
