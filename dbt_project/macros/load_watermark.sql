{#
    A load watermark: the newest raw load an incremental model has processed, kept
    in the table intermediate.<model>__watermark (loaded_at, is_committed): out of
    marts, which are the public contract the BI role reads. DuckDB and Postgres (docs/decisions/0020-incremental-refresh.md).

    When the model compiles it reads the committed watermark (load_watermark), then
    captures the newest _loaded_at of its inputs as the pending one
    (capture_load_watermark), then plans: every row loaded after the committed
    watermark is new to the run, and a row loaded after the capture is newer than
    the next watermark too, so it is read again, never missed. Its post-hooks make
    the pending watermark the committed one once the model's rows are in; a failed
    run commits nothing.
#}
{% macro load_watermark_relation() -%}
    {{ return(api.Relation.create(
        database=this.database,
        schema='intermediate',
        identifier=this.identifier ~ '__watermark',
        type='table',
    )) }}
{%- endmacro %}

{#
    The committed watermark as a SQL timestamp literal, or none (no watermark table,
    or nothing committed yet: the caller recomputes everything).
#}
{% macro load_watermark() -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set relation = marketpulse.load_watermark_relation() -%}
    {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set result = run_query(
        'select cast(max(loaded_at) as ' ~ dbt.type_string() ~ ') from ' ~ relation
        ~ ' where is_committed'
    ) -%}
    {%- set value = result.columns[0].values()[0] -%}
    {{ return(none if value is none else "cast('" ~ value ~ "' as " ~ marketpulse.type_timestamptz() ~ ")") }}
{%- endmacro %}

{#
    Run while the model compiles for dbt run or build, before it plans: the newest
    _loaded_at of the given relations (each with a loaded_at column) becomes the
    pending watermark. dbt compile, docs generate and sqlfluff write nothing.
#}
{% macro capture_load_watermark(relations) -%}
    {%- if not execute or flags.WHICH not in ('run', 'build') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set relation = marketpulse.load_watermark_relation() -%}
    {%- do adapter.create_schema(relation) -%}
    {%- do run_query(
        'create table if not exists ' ~ relation ~ ' (loaded_at '
        ~ marketpulse.type_timestamptz() ~ ', is_committed boolean)'
    ) -%}
    {%- do run_query('delete from ' ~ relation ~ ' where not is_committed') -%}
    {%- set newest -%}
        insert into {{ relation }}
        select max(loaded_at), false
        from (
            {%- for source_relation in relations %}
                select max(loaded_at) as loaded_at from {{ source_relation }}
                {{- ' union all' if not loop.last }}
            {%- endfor %}
        ) as loads
    {%- endset -%}
    {%- do run_query(newest) -%}
{%- endmacro %}

{#- post-hooks, in this order: the pending watermark replaces the committed one. -#}
{% macro load_watermark_drop_committed() -%}
    delete from {{ marketpulse.load_watermark_relation() }} where is_committed
{%- endmacro %}

{% macro load_watermark_commit() -%}
    update {{ marketpulse.load_watermark_relation() }} set is_committed = true
{%- endmacro %}
