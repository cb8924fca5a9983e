{#- Until the audit source's first load its raw table does not exist: this model is then an
    empty relation of the same columns, and so are the marts built on it
    (macros/source_or_empty.sql, docs/decisions/0033). -#}
{%- set double = marketpulse.type_double() -%}
{%- set text = dbt.type_string() -%}

with source as (

    {{ marketpulse.source_or_empty('audit', 'pipeline_run_failures', {
        'run_id': text,
        'source': text,
        'item': text,
        'reason': text,
        'finished_at': marketpulse.type_timestamptz(),
    }) }}

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
