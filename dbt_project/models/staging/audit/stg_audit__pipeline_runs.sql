{#- Until the audit source's first load its raw table does not exist: this model is then an
    empty relation of the same columns, and so are the marts built on it
    (macros/source_or_empty.sql, docs/decisions/0033). -#}
{%- set double = marketpulse.type_double() -%}
{%- set text = dbt.type_string() -%}

with source as (

    {{ marketpulse.source_or_empty('audit', 'pipeline_runs', {
        'run_id': text,
        'source': text,
        'started_at': marketpulse.type_timestamptz(),
        'finished_at': marketpulse.type_timestamptz(),
        'status': text,
        'error': text,
        'items_loaded': dbt.type_int(),
        'items_failed': dbt.type_int(),
        'rows_loaded': dbt.type_bigint(),
        'data_origin': text,
    }) }}

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
