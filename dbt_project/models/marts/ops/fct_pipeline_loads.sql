with loads as (

    select * from {{ ref('stg_audit__pipeline_run_tables') }}

),

runs as (

    select * from {{ ref('stg_audit__pipeline_runs') }}

),

final as (

    select
        loads.run_id,
        loads.source_name,
        loads.table_name,
        runs.finished_at,
        loads.rows_loaded
    from loads
    inner join runs
        on
            loads.run_id = runs.run_id
            and loads.source_name = runs.source_name

)

select * from final
