{#
    on-run-start: make the raw tables dbt's sources read visible to the warehouse.

    DuckDB and Postgres: dlt wrote them as tables; nothing to do.
    Spark: dlt's filesystem destination wrote them as folders of parquet files in the
    lake (var raw_lake_url, from MARKETPULSE_LAKE_URL). Each folder becomes an external
    parquet table <schema>.<table>__files (its schema merged over every file, so a
    column dlt added later is there), and <schema>.<table> is a view of it with what a
    warehouse merge would have kept: plain parquet has no merge, so a merged table is an
    append-only log of loads, and the view keeps, per merge key (else primary key), the
    rows of the latest load. The keys and the write disposition are read from dlt's own
    schema in the lake (<schema>/_dlt_version), never repeated here. The tables are
    registered again (dropped and created, so each sees every file) only when the lake's
    file list changed: a fingerprint of the list (every path with its size and
    modification time) is kept in default.raw_lake_fingerprint, and a run whose list
    has the same fingerprint keeps the registered tables (registering costs 13-20 s a
    dbt call; the fingerprint is one listing).
    docs/decisions/0014-spark-and-the-parquet-lake.md, 0020-incremental-refresh.md.
#}
{% macro register_raw_tables() -%}
    {{ return(adapter.dispatch('register_raw_tables', 'marketpulse')()) }}
{%- endmacro %}

{% macro default__register_raw_tables() -%}
{%- endmacro %}

{% macro spark__register_raw_tables() -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set lake = var('raw_lake_url') | replace('file://', '') -%}
    {%- call statement('lake_fingerprint', fetch_result=True) -%}
        select md5(concat_ws('|', sort_array(collect_list(
            concat_ws(':', path, cast(length as string), cast(modificationTime as string))
        ))))
        from binaryFile.`{{ lake }}/raw_*/*/*`
    {%- endcall -%}
    {%- set fingerprint = load_result('lake_fingerprint').table.rows[0][0] -%}
    {%- do run_query(
        'create table if not exists default.raw_lake_fingerprint (fingerprint string) using parquet'
    ) -%}
    {%- set stored = run_query('select fingerprint from default.raw_lake_fingerprint').rows -%}
    {%- if stored | length == 1 and stored[0][0] == fingerprint -%}
        {{ return('') }}
    {%- endif -%}
    {%- call statement('lake_files', fetch_result=True) -%}
        select distinct
            regexp_extract(path, '/(raw_[a-z0-9_]+)/([a-z0-9_]+)/[^/]+$', 1) as schema_name,
            regexp_extract(path, '/(raw_[a-z0-9_]+)/([a-z0-9_]+)/[^/]+$', 2) as table_name,
            path like '%.parquet' as is_parquet
        from binaryFile.`{{ lake }}/raw_*/*/*`
    {%- endcall -%}
    {%- set folders = [] -%}
    {%- set versioned = [] -%}
    {%- for row in load_result('lake_files').table.rows -%}
        {%- if row[0] and row[1] == '_dlt_version' and row[0] not in versioned -%}
            {%- do versioned.append(row[0]) -%}
        {%- elif row[0] and row[1] and row[2] and not row[1].startswith('_') -%}
            {%- do folders.append((row[0], row[1])) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set keys = marketpulse.lake_merge_keys(lake, versioned) -%}
    {%- for schema_name, table_name in folders | sort -%}
        {%- set files = schema_name ~ '.' ~ table_name ~ '__files' -%}
        {%- do run_query('create schema if not exists ' ~ schema_name) -%}
        {%- do run_query('drop view if exists ' ~ schema_name ~ '.' ~ table_name) -%}
        {%- do run_query('drop table if exists ' ~ files) -%}
        {%- do run_query(
            'create table ' ~ files ~ " using parquet options (mergeSchema 'true') location '"
            ~ lake ~ '/' ~ schema_name ~ '/' ~ table_name ~ "'"
        ) -%}
        {%- set key = keys.get(schema_name ~ '.' ~ table_name, []) -%}
        {%- if key -%}
            {%- set view -%}
                create view {{ schema_name }}.{{ table_name }} as
                select files.*
                from {{ files }} as files
                inner join (
                    select {{ key | join(', ') }}, max(_dlt_load_id) as latest_load_id
                    from {{ files }}
                    group by {{ key | join(', ') }}
                ) as latest
                    on
                    {%- for column in key %}
                        files.{{ column }} = latest.{{ column }} and
                    {%- endfor %}
                        files._dlt_load_id = latest.latest_load_id
            {%- endset -%}
        {%- else -%}
            {%- set view -%}
                create view {{ schema_name }}.{{ table_name }} as select * from {{ files }}
            {%- endset -%}
        {%- endif -%}
        {%- do run_query(view) -%}
    {%- endfor -%}
    {%- do run_query(
        "insert overwrite table default.raw_lake_fingerprint select '" ~ fingerprint ~ "'"
    ) -%}
{%- endmacro %}

{#
    '<schema>.<table>' -> the columns a dlt merge replaces rows by (its merge key, else its
    primary key), for every merged table of the given datasets, from the latest version
    of each dlt schema stored in the lake.
#}
{% macro lake_merge_keys(lake, schemas) -%}
    {%- set keys = {} -%}
    {%- for schema_name in schemas | sort -%}
        {%- call statement('dlt_versions', fetch_result=True) -%}
            select schema_name, version, `schema` as content
            from json.`{{ lake }}/{{ schema_name }}/_dlt_version`
        {%- endcall -%}
        {%- set latest = {} -%}
        {%- for row in load_result('dlt_versions').table.rows -%}
            {%- if row[0] not in latest or row[1] > latest[row[0]][0] -%}
                {%- do latest.update({row[0]: (row[1], row[2])}) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for version, content in latest.values() -%}
            {%- for table_name, table in fromjson(content)['tables'].items() -%}
                {%- if table.get('write_disposition') == 'merge' -%}
                    {%- set merge_key = [] -%}
                    {%- set primary_key = [] -%}
                    {%- for column_name, column in table['columns'].items() -%}
                        {%- if column.get('merge_key') -%}{%- do merge_key.append(column_name) -%}{%- endif -%}
                        {%- if column.get('primary_key') -%}{%- do primary_key.append(column_name) -%}{%- endif -%}
                    {%- endfor -%}
                    {%- do keys.update({schema_name ~ '.' ~ table_name: merge_key or primary_key}) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(keys) }}
{%- endmacro %}
