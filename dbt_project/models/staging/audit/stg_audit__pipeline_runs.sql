with source as (

    select * from {{ source('audit', 'pipeline_runs') }}

),

renamed as (

    select
        cast(run_id as {{ dbt.type_string() }}) as run_id,
        cast(source as {{ dbt.type_string() }}) as source_name,
        started_at,
        finished_at,
        cast(status as {{ dbt.type_string() }}) as run_status,
        cast(error as {{ dbt.type_string() }}) as error_message,
        cast(items_loaded as integer) as items_loaded,
        cast(items_failed as integer) as items_failed,
        cast(rows_loaded as bigint) as rows_loaded,
        cast(data_origin as {{ dbt.type_string() }}) as data_origin
    from source

),

final as (

    select * from renamed

)

select * from final
