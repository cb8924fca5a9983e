with source as (

    select * from {{ source('audit', 'pipeline_run_tables') }}

),

final as (

    select
        cast(run_id as {{ dbt.type_string() }}) as run_id,
        cast(source as {{ dbt.type_string() }}) as source_name,
        cast(table_name as {{ dbt.type_string() }}) as table_name,
        cast(rows_loaded as bigint) as rows_loaded
    from source

)

select * from final
