{#
    Exponential smoothing y_t = alpha * y_(t-1) + beta * x_t without a
    recursive CTE and in O(n) per partition (see
    docs/decisions/0010-recursive-indicators.md).

    Renders CTEs (a with-clause fragment, preceded and followed by commas in
    the caller) ending in one named `name` with columns
    (partition_by, order_by, `name`): y for every row of `relation` with
    steps >= 1, where steps counts rows after the anchor row whose value is
    anchor_value (the seed on a full build, the stored value on an
    incremental one). `relation` must carry partition_by, order_by, a column
    `steps`, the input column `value` and `anchor_value` (constant per
    partition). alpha and beta are given as integer fractions so that both
    adapters compute exactly the same doubles.
#}
{% macro exponential_recurrence_ctes(name, relation, alpha_num, alpha_den, beta_num, beta_den, partition_by='symbol', order_by='observation_number') -%}
    {{ return(adapter.dispatch('exponential_recurrence_ctes', 'marketpulse')(name, relation, alpha_num, alpha_den, beta_num, beta_den, partition_by, order_by)) }}
{%- endmacro %}

{#
    Closed form: within a chunk of L rows starting after a known state Y,
        y_r = alpha^r * (Y + beta * sum_{i <= r} alpha^(-i) * x_i),
    a running window sum. alpha^(-i) grows, so the chunk is rebased every L
    rows, with alpha^L < 1e-100 (and alpha^-L < 1e200, far from overflow):
    the state entering chunk j is alpha^L * beta * (chunk j-1's sum) plus
    alpha^L times the state entering chunk j-1, a term below 1e-100 relative
    that is dropped. Window sums and one join on chunk totals: linear, and
    portable (no recursive CTE).
#}
{% macro default__exponential_recurrence_ctes(name, relation, alpha_num, alpha_den, beta_num, beta_den, partition_by, order_by) -%}
    {#- The smallest power of two L with alpha^L < 1e-100 (so alpha^-L < 1e200). -#}
    {%- set state = namespace(power=alpha_num / alpha_den, rows=1) -%}
    {%- for _ in range(40) if state.power >= 1e-100 -%}
        {%- set state.power = state.power * state.power -%}
        {%- set state.rows = state.rows * 2 -%}
    {%- endfor -%}
    {%- set chunk_rows = state.rows -%}
    {%- set alpha = '(cast(' ~ alpha_num ~ ' as ' ~ type_double() ~ ') / ' ~ alpha_den ~ ')' -%}
    {%- set beta = '(cast(' ~ beta_num ~ ' as ' ~ type_double() ~ ') / ' ~ beta_den ~ ')' -%}
{{ name }}__chunked as (

    select
        {{ partition_by }},
        {{ order_by }},
        steps,
        anchor_value,
        value,
        cast(floor(cast(steps - 1 as {{ type_double() }}) / {{ chunk_rows }}) as integer) as chunk
    from {{ relation }}
    where steps >= 1

),

{{ name }}__terms as (

    select
        {{ partition_by }},
        {{ order_by }},
        anchor_value,
        chunk,
        steps - chunk * {{ chunk_rows }} as chunk_step,
        value * power({{ alpha }}, -(steps - chunk * {{ chunk_rows }})) as term
    from {{ name }}__chunked

),

{{ name }}__running as (

    select
        {{ partition_by }},
        {{ order_by }},
        anchor_value,
        chunk,
        chunk_step,
        sum(term) over (
            partition by {{ partition_by }}, chunk
            order by {{ order_by }}
            rows between unbounded preceding and current row
        ) as running_sum
    from {{ name }}__terms

),

-- A chunk's total is its running sum on its last row (only complete chunks
-- are ever read): the same additions in the same order as the rows see, so
-- the result does not depend on how a parallel aggregate splits the work.
{{ name }}__chunk_totals as (

    select
        {{ partition_by }},
        chunk,
        max(running_sum) as chunk_sum
    from {{ name }}__running
    where chunk_step = {{ chunk_rows }}
    group by {{ partition_by }}, chunk

),

{{ name }} as (

    select
        {{ name }}__running.{{ partition_by }},
        {{ name }}__running.{{ order_by }},
        power({{ alpha }}, {{ name }}__running.chunk_step) * (
            case
                when {{ name }}__running.chunk = 0 then {{ name }}__running.anchor_value
                else power({{ alpha }}, {{ chunk_rows }}) * {{ beta }} * previous_chunk.chunk_sum
            end
            + {{ beta }} * {{ name }}__running.running_sum
        ) as {{ name }}
    from {{ name }}__running
    left join {{ name }}__chunk_totals as previous_chunk
        on
            {{ name }}__running.{{ partition_by }} = previous_chunk.{{ partition_by }}
            and {{ name }}__running.chunk = previous_chunk.chunk + 1

)
{%- endmacro %}

{#
    Spark: the same closed form and the same additions, but the state entering
    chunk j is read with a window instead of a join on chunk totals. Spark
    copies a CTE into every place it is read (a CTE read twice doubles the plan
    below it), and the indicators chain several recurrences, so the self-join
    made the plan grow exponentially. Chunks are exactly L rows of consecutive
    steps, so the L rows before a row of chunk j hold exactly one last row of
    a chunk (chunk_step = L): chunk j-1's, whose running sum is its total. A
    sum over that frame of one non-null value is the value itself: results are
    the same doubles as default__'s.
#}
{% macro spark__exponential_recurrence_ctes(name, relation, alpha_num, alpha_den, beta_num, beta_den, partition_by, order_by) -%}
    {%- set state = namespace(power=alpha_num / alpha_den, rows=1) -%}
    {%- for _ in range(40) if state.power >= 1e-100 -%}
        {%- set state.power = state.power * state.power -%}
        {%- set state.rows = state.rows * 2 -%}
    {%- endfor -%}
    {%- set chunk_rows = state.rows -%}
    {%- set alpha = '(cast(' ~ alpha_num ~ ' as ' ~ type_double() ~ ') / ' ~ alpha_den ~ ')' -%}
    {%- set beta = '(cast(' ~ beta_num ~ ' as ' ~ type_double() ~ ') / ' ~ beta_den ~ ')' -%}
{{ name }}__chunked as (

    select
        {{ partition_by }},
        {{ order_by }},
        steps,
        anchor_value,
        value,
        cast(floor(cast(steps - 1 as {{ type_double() }}) / {{ chunk_rows }}) as integer) as chunk
    from {{ relation }}
    where steps >= 1

),

{{ name }}__terms as (

    select
        {{ partition_by }},
        {{ order_by }},
        anchor_value,
        chunk,
        steps - chunk * {{ chunk_rows }} as chunk_step,
        value * power({{ alpha }}, -(steps - chunk * {{ chunk_rows }})) as term
    from {{ name }}__chunked

),

{{ name }}__running as (

    select
        {{ partition_by }},
        {{ order_by }},
        anchor_value,
        chunk,
        chunk_step,
        sum(term) over (
            partition by {{ partition_by }}, chunk
            order by {{ order_by }}
            rows between unbounded preceding and current row
        ) as running_sum
    from {{ name }}__terms

),

{{ name }}__with_previous as (

    select
        {{ partition_by }},
        {{ order_by }},
        anchor_value,
        chunk,
        chunk_step,
        running_sum,
        sum(case when chunk_step = {{ chunk_rows }} then running_sum end) over (
            partition by {{ partition_by }}
            order by {{ order_by }}
            rows between {{ chunk_rows }} preceding and 1 preceding
        ) as previous_chunk_sum
    from {{ name }}__running

),

{{ name }} as (

    select
        {{ partition_by }},
        {{ order_by }},
        power({{ alpha }}, chunk_step) * (
            case
                when chunk = 0 then anchor_value
                else power({{ alpha }}, {{ chunk_rows }}) * {{ beta }} * previous_chunk_sum
            end
            + {{ beta }} * running_sum
        ) as {{ name }}
    from {{ name }}__with_previous

)
{%- endmacro %}
