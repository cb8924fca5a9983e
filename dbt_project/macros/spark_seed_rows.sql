{#
    Spark only: dbt-spark's seed loading (the project's copy wins), then the row
    count read back from the table. On a cluster whose warehouse the executors
    do not share with the driver, the inserts report their rows and the table
    holds none (issue 20: OK INSERT 11, 0 rows); the preflight
    (macros/spark_preflight.sql) stops such a run first, and this stops a seed
    that still lost rows, naming the table and both counts.
#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {% set batch_size = get_batch_size() %}
    {% set column_override = model['config'].get('column_types', {}) %}
    {% set statements = [] %}
    {% for chunk in agate_table.rows | batch(batch_size) %}
        {% set bindings = [] %}
        {% for row in chunk %}
            {% do bindings.extend(row) %}
        {% endfor %}
        {% set sql %}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                    {%- set type = column_override.get(col_name, inferred_type) -%}
                    cast({{ get_binding_char() }} as {{ type }})
                    {%- if not loop.last %},{%- endif %}
                {%- endfor -%})
                {%- if not loop.last %},{%- endif %}
            {%- endfor %}
        {% endset %}
        {% do adapter.add_query(sql, bindings=bindings, abridge_sql_log=True) %}
        {% if loop.index0 == 0 %}
            {% do statements.append(sql) %}
        {% endif %}
    {% endfor %}
    {% set stored = run_query('select count(*) from ' ~ this.render()).columns[0].values()[0] | int %}
    {% if stored != agate_table.rows | length %}
        {{ exceptions.raise_compiler_error(
            'seed ' ~ this.render() ~ ': ' ~ agate_table.rows | length ~ ' rows inserted, '
            ~ stored ~ ' read back: the executors write where the driver does not read;'
            ~ ' put Spark\'s warehouse on storage every node sees (docs/spark.md)'
        ) }}
    {% endif %}
    {{ return(statements[0]) }}
{% endmacro %}
