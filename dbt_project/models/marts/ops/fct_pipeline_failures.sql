with failures as (

    select * from {{ ref('stg_audit__pipeline_run_failures') }}

),

final as (

    select
        run_id,
        source_name,
        item_id,
        failure_reason,
        failed_at,
        failure_reason like '%circuit open%' as is_circuit_skip
    from failures

)

select * from final
