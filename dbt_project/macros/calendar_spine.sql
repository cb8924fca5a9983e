{#
    One row per day from start_date to end_date inclusive, as column date_day.
    Portable: cross-joined digits 0-9 give the day offsets (no recursive CTE,
    no generate_series), and dbt.dateadd is dbt's own cross-database macro.
    Renders a single select without a with clause, so it nests in any CTE.
    start_date / end_date are 'YYYY-MM-DD' strings.
#}
{% macro calendar_spine(start_date, end_date) -%}
    {%- set first_day = modules.datetime.datetime.strptime(start_date, '%Y-%m-%d') -%}
    {%- set last_day = modules.datetime.datetime.strptime(end_date, '%Y-%m-%d') -%}
    {%- set day_count = (last_day - first_day).days + 1 -%}
    {%- set digit_count = (day_count - 1) | string | length -%}
    select
        cast(
            {{ dbt.dateadd('day', 'day_offsets.day_offset', "cast('" ~ start_date ~ "' as date)") }}
            as date
        ) as date_day
    from (
        select
            {% for position in range(digit_count) -%}
            digits_{{ position }}.digit * {{ 10 ** position }}{% if not loop.last %} + {% endif %}
            {%- endfor %} as day_offset
        {%- for position in range(digit_count) %}
        {% if loop.first %}from{% else %}cross join{% endif %} (
            {%- for digit in range(10) %}
            select {{ digit }} as digit{% if not loop.last %} union all{% endif %}
            {%- endfor %}
        ) as digits_{{ position }}
        {%- endfor %}
    ) as day_offsets
    where day_offsets.day_offset < {{ day_count }}
{%- endmacro %}
