{#
    The restatement log: which symbols an incremental run of fct_prices_daily
    rewrote in full (every stored session deleted and inserted: a dividend or
    split restated its adjusted history, a raw row of a stored session was
    corrected, its history was extended back, or it is new), so that the marts
    built from stored fct_prices_daily rows rewrite those symbols too, and only
    those (docs/decisions/0038-restated-symbols-log.md). DuckDB and Postgres;
    on Spark fct_prices_daily is a table and its readers are tables too.

    intermediate.fct_prices_daily__restated (symbol, generation, is_committed):
    while fct_prices_daily compiles for dbt run or build, it writes its plan's
    full-recompute symbols as one new generation, uncommitted (a null symbol:
    every symbol, for a full build); its post-hook commits them with its rows.

    A reader keeps intermediate.<model>__restated_mark (generation,
    is_committed): the newest committed generation it has taken in. It
    captures the pending mark while it compiles, deletes the stored rows of
    every symbol logged after its committed mark in a pre-hook (the same
    transaction as its insert), recomputes those symbols whole because they
    are no longer stored, and commits the mark in post-hooks. A failed run
    commits nothing, so the next run deletes and recomputes them again. No
    committed mark (the first run after an upgrade) means every symbol.
#}
{% macro restatement_log_relation() -%}
    {{ return(api.Relation.create(
        database=this.database,
        schema='intermediate',
        identifier='fct_prices_daily__restated',
        type='table',
    )) }}
{%- endmacro %}

{% macro restatement_mark_relation() -%}
    {{ return(api.Relation.create(
        database=this.database,
        schema='intermediate',
        identifier=this.identifier ~ '__restated_mark',
        type='table',
    )) }}
{%- endmacro %}

{#-
    The log, created if missing; returns its relation. Never looked up with
    adapter.get_relation: dbt caches a schema's relations when a run starts, so
    a log created later in the same run (a first build) would read as missing,
    and a reader's mark would be taken as 0 instead of the generation just
    logged (its next run would then delete and recompute every symbol).
-#}
{% macro create_restatement_log() -%}
    {%- set log = marketpulse.restatement_log_relation() -%}
    {%- do adapter.create_schema(log) -%}
    {%- do run_query(
        'create table if not exists ' ~ log ~ ' (symbol ' ~ marketpulse.type_text()
        ~ ', generation ' ~ dbt.type_bigint() ~ ', is_committed boolean)'
    ) -%}
    {{ return(log) }}
{%- endmacro %}

{#- Only dbt run and build of the model itself write state; compile, docs and unit tests do not. -#}
{% macro restatement_state_writable() -%}
    {{ return(
        execute and flags.WHICH in ('run', 'build') and model.resource_type == 'model'
    ) }}
{%- endmacro %}

{#-
    fct_prices_daily, while it compiles: `symbols` (quoted SQL literals) as the
    pending generation; none means every symbol (a full build).
-#}
{% macro log_restated_symbols(symbols) -%}
    {%- if not marketpulse.restatement_state_writable() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set log = marketpulse.create_restatement_log() -%}
    {%- do run_query('delete from ' ~ log ~ ' where not is_committed') -%}
    {%- if symbols is none or symbols | length > 0 -%}
        {%- set rows = [] -%}
        {%- for symbol in (symbols or ['cast(null as ' ~ marketpulse.type_text() ~ ')']) -%}
            {%- do rows.append('(' ~ symbol ~ ')') -%}
        {%- endfor -%}
        {%- set insert -%}
            insert into {{ log }} (symbol, generation, is_committed)
            select
                logged.symbol,
                next_generation.generation,
                false
            from (
                values {{ rows | join(', ') }}
            ) as logged (symbol)
            cross join (
                select coalesce(max(generation), 0) + 1 as generation from {{ log }}
            ) as next_generation
        {%- endset -%}
        {%- do run_query(insert) -%}
    {%- endif -%}
{%- endmacro %}

{#- fct_prices_daily's post-hook: its pending generation is committed with its rows. -#}
{% macro log_restated_symbols_commit() -%}
    update {{ marketpulse.restatement_log_relation() }} set is_committed = true
    where not is_committed
{%- endmacro %}

{#-
    A reader, while it compiles: the newest committed generation of the log
    becomes its pending mark.
-#}
{% macro capture_restatement_mark() -%}
    {%- if not marketpulse.restatement_state_writable() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set mark = marketpulse.restatement_mark_relation() -%}
    {%- set log = marketpulse.create_restatement_log() -%}
    {%- do run_query(
        'create table if not exists ' ~ mark ~ ' (generation '
        ~ dbt.type_bigint() ~ ', is_committed boolean)'
    ) -%}
    {%- do run_query('delete from ' ~ mark ~ ' where not is_committed') -%}
    {%- do run_query(
        'insert into ' ~ mark ~ ' select coalesce(max(generation), 0), false from '
        ~ log ~ ' where is_committed'
    ) -%}
{%- endmacro %}

{#-
    The symbols logged after the reader's committed mark, as quoted SQL
    literals; none means every symbol (no committed mark, or a full build of
    fct_prices_daily was logged). Outside dbt run and build: none restated.
-#}
{% macro restated_symbols() -%}
    {%- if not marketpulse.restatement_state_writable() -%}
        {{ return([]) }}
    {%- endif -%}
    {#- capture_restatement_mark() made both tables while the model compiled. -#}
    {%- set mark = marketpulse.restatement_mark_relation() -%}
    {%- set log = marketpulse.restatement_log_relation() -%}
    {%- set marked = run_query(
        'select max(generation) from ' ~ mark ~ ' where is_committed'
    ).columns[0].values()[0] -%}
    {%- if marked is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set logged = run_query(
        'select distinct symbol from ' ~ log ~ ' where is_committed and generation > '
        ~ marked ~ ' order by symbol'
    ) -%}
    {%- set symbols = [] -%}
    {%- for row in logged.rows -%}
        {%- if row[0] is none -%}
            {{ return(none) }}
        {%- endif -%}
        {%- do symbols.append("'" ~ (row[0] | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {{ return(symbols) }}
{%- endmacro %}

{#-
    A reader's pre-hook (incremental runs): delete the stored rows of the
    restated symbols, so that the model, finding them no longer stored,
    recomputes them whole. `symbol_column` holds the symbol; `condition`
    narrows the rows (fct_quality_points: its symbol entities).
-#}
{% macro delete_restated_symbols(symbol_column='symbol', condition='1 = 1') -%}
    {%- if not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set symbols = marketpulse.restated_symbols() -%}
    {%- if symbols is none -%}
        delete from {{ this }} where {{ condition }}
    {%- elif symbols | length > 0 -%}
        delete from {{ this }}
        where {{ condition }} and {{ symbol_column }} in ({{ symbols | join(', ') }})
    {%- endif -%}
{%- endmacro %}

{#- A reader's post-hooks, in this order: the pending mark replaces the committed one. -#}
{% macro restatement_mark_drop_committed() -%}
    delete from {{ marketpulse.restatement_mark_relation() }} where is_committed
{%- endmacro %}

{% macro restatement_mark_commit() -%}
    update {{ marketpulse.restatement_mark_relation() }} set is_committed = true
{%- endmacro %}
