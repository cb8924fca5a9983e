{#
    Spark only: the table materialization, replacing dbt-spark's (the project's
    copy wins). dbt-spark drops a parquet table before it creates the new one,
    so a build that fails (an executor that cannot read the lake, out of memory,
    a killed job) leaves no table at all. Here the new table is built beside the
    old one, as <name>__dbt_new_<run id>, its row count is read back (the count dbt
    prints: a table whose files did not reach the warehouse reads as an error
    or as 0, not as a silent OK), and only then is it swapped in: the old table
    is renamed <name>__dbt_old, the new one renamed to <name>, the old one
    dropped. Renaming a managed table moves its folder, no data is copied on a
    file system (an object store copies).

    A build killed before the swap leaves the previous table as it was, and the
    killed build's files in a <name>__dbt_new_<run id> folder that no table
    owns (Spark cannot delete a folder from SQL; delete it by hand); one killed
    between the two renames leaves <name>__dbt_old, which the next build
    renames back first.
    The Python readers never read the __dbt_ folders (marketpulse/warehouse/lake.py).
    docs/decisions/0042-spark-table-swap-and-preflight.md.
#}
{% materialization table, adapter='spark', supported_languages=['sql'] %}
    {%- set identifier = model['alias'] -%}
    {%- set grant_config = config.get('grants') -%}
    {%- set target_relation = api.Relation.create(
        identifier=identifier, schema=schema, database=database, type='table'
    ) -%}
    {#- a name of this run's own: a killed build's files stay at its name, unregistered, and
        Spark refuses to create a managed table where a folder is (LOCATION_ALREADY_EXISTS) -#}
    {%- set new_relation = target_relation.incorporate(
        path={'identifier': identifier ~ '__dbt_new_' ~ invocation_id[:8]}
    ) -%}
    {%- set old_relation_aside = target_relation.incorporate(path={'identifier': identifier ~ '__dbt_old'}) -%}

    {{ run_hooks(pre_hooks) }}

    {%- set existing = adapter.get_relation(database=database, schema=schema, identifier=identifier) -%}
    {%- set aside = adapter.get_relation(
        database=database, schema=schema, identifier=old_relation_aside.identifier
    ) -%}
    {%- if existing is none and aside is not none -%}
        {#- a build killed between the two renames: the previous table comes back first -#}
        {%- do adapter.rename_relation(aside, target_relation) -%}
        {%- set existing = target_relation -%}
    {%- elif aside is not none -%}
        {%- do adapter.drop_relation(aside) -%}
    {%- endif -%}
    {%- do adapter.drop_relation(new_relation) -%}

    {%- call statement('build') -%}
        {{ create_table_as(False, new_relation, compiled_code, 'sql') }}
    {%- endcall -%}
    {%- set row_count = run_query('select count(*) from ' ~ new_relation).columns[0].values()[0] | int -%}

    {%- if existing is not none -%}
        {%- if existing.type != 'table' -%}
            {%- do adapter.drop_relation(existing) -%}
        {%- else -%}
            {%- do adapter.rename_relation(existing, old_relation_aside) -%}
        {%- endif -%}
    {%- endif -%}
    {%- do adapter.rename_relation(new_relation, target_relation) -%}
    {%- if existing is not none and existing.type == 'table' -%}
        {%- do adapter.drop_relation(old_relation_aside) -%}
    {%- endif -%}
    {%- do store_raw_result(
        name='main', message='OK ' ~ row_count ~ ' rows', code='OK', rows_affected=row_count
    ) -%}

    {% set should_revoke = should_revoke(existing, full_refresh_mode=True) %}
    {% do apply_grants(target_relation, grant_config, should_revoke) %}
    {% do persist_docs(target_relation, model) %}
    {% do persist_constraints(target_relation, model) %}

    {{ run_hooks(post_hooks) }}

    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
