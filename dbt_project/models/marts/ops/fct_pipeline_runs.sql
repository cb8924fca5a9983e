with runs as (

    select * from {{ ref('stg_audit__pipeline_runs') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by source_name
            order by started_at desc, run_id desc
        ) as recency_rank
    from runs

),

final as (

    select
        run_id,
        source_name,
        started_at,
        finished_at,
        cast(
            {{ marketpulse.seconds_between('started_at', 'finished_at') }} as bigint  -- noqa: LT05
        ) as duration_seconds,
        run_status,
        run_status = 'success' as is_success,
        recency_rank = 1 as is_latest_run,
        error_message,
        items_loaded,
        items_failed,
        rows_loaded,
        data_origin
    from ranked

)

select * from final
