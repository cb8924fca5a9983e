{#- Until the fred source's first load its raw table does not exist: this model is then an
    empty relation of the same columns, and so are the marts built on it
    (macros/source_or_empty.sql, docs/decisions/0033). -#}
{%- set double = marketpulse.type_double() -%}
{%- set text = dbt.type_string() -%}

with source as (

    {{ marketpulse.source_or_empty('fred', 'observations', {
        'series_id': text,
        'observation_date': 'date',
        'realtime_start': 'date',
        'realtime_end': 'date',
        'value': double,
        'is_first_seen_stamp': dbt.type_boolean(),
        'data_origin': text,
        '_loaded_at': marketpulse.type_timestamptz(),
    }) }}

),

renamed as (

    select
        cast(series_id as {{ dbt.type_string() }}) as indicator_id,
        cast(observation_date as date) as observation_date,
        cast(realtime_start as date) as realtime_start,
        cast(realtime_end as date) as realtime_end,
        cast(value as {{ marketpulse.type_double() }}) as value,
        coalesce(is_first_seen_stamp, false) as is_first_seen_stamp,
        cast(data_origin as {{ dbt.type_string() }}) as data_origin,
        _loaded_at as loaded_at
    from source

),

deduplicated as (

    select
        *,
        row_number() over (
            partition by indicator_id, observation_date, realtime_start
            order by loaded_at desc
        ) as load_rank
    from renamed

),

-- A vintage that repeats the previous vintage's value is no revision (the keyless path can
-- record the same value twice when its resource state was lost): number the runs of equal
-- values (gaps and islands) and keep one row per run, from its first realtime_start.
previous_vintages as (

    select
        *,
        lag(realtime_start) over (
            partition by indicator_id, observation_date
            order by realtime_start
        ) as previous_realtime_start,
        lag(value) over (
            partition by indicator_id, observation_date
            order by realtime_start
        ) as previous_value
    from deduplicated
    where load_rank = 1

),

value_changes as (

    select
        *,
        case
            when previous_realtime_start is null then 1
            when value is null and previous_value is null then 0
            when value is null or previous_value is null then 1
            when value <> previous_value then 1
            else 0
        end as is_new_value
    from previous_vintages

),

value_runs as (

    select
        *,
        sum(is_new_value) over (
            partition by indicator_id, observation_date
            order by realtime_start
            rows between unbounded preceding and current row
        ) as value_run
    from value_changes

),

collapsed as (

    select
        indicator_id,
        observation_date,
        value_run,
        min(realtime_start) as realtime_start,
        max(realtime_end) as realtime_end,
        max(value) as value,
        -- the run's first row gives its realtime_start, so it also says how that was stamped
        max(
            case when is_new_value = 1 and is_first_seen_stamp then 1 else 0 end
        ) = 1 as is_first_seen_stamp,
        min(data_origin) as data_origin,
        max(loaded_at) as loaded_at
    from value_runs
    group by indicator_id, observation_date, value_run

),

-- A vintage is valid until the next one starts. ALFRED says so itself; keyless rows are
-- stamped with an open end, which the next value found closes here.
successors as (

    select
        *,
        lead(realtime_start) over (
            partition by indicator_id, observation_date
            order by realtime_start
        ) as next_realtime_start
    from collapsed

),

bounded as (

    select
        *,
        cast({{ dbt.dateadd('day', -1, 'next_realtime_start') }} as date) as superseded_after
    from successors

),

final as (

    select
        indicator_id,
        observation_date,
        realtime_start,
        value,
        is_first_seen_stamp,
        data_origin,
        loaded_at,
        case
            when superseded_after is not null and superseded_after < realtime_end
                then superseded_after
            else realtime_end
        end as realtime_end,
        value is null as is_missing
    from bounded

)

select * from final
