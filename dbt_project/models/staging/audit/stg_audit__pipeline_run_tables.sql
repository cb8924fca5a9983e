{#- Until the audit source's first load its raw table does not exist: this model is then an
    empty relation of the same columns, and so are the marts built on it
    (macros/source_or_empty.sql, docs/decisions/0033). -#}
{%- set double = marketpulse.type_double() -%}
{%- set text = dbt.type_string() -%}

with source as (

    {{ marketpulse.source_or_empty('audit', 'pipeline_run_tables', {
        'run_id': text,
        'source': text,
        'table_name': text,
        'rows_loaded': dbt.type_bigint(),
    }) }}

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
