with source as (

    select * from {{ source('audit', 'pipeline_run_failures') }}

),

final as (

    select
        cast(run_id as {{ dbt.type_string() }}) as run_id,
        cast(source as {{ dbt.type_string() }}) as source_name,
        cast(item as {{ dbt.type_string() }}) as item_id,
        cast(reason as {{ dbt.type_string() }}) as failure_reason,
        finished_at as failed_at
    from source

)

select * from final
