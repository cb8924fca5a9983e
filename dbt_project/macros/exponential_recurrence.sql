{#
    Exponential smoothing y_t = alpha * y_(t-1) + beta * x_t without a
    recursive CTE and in O(n) per partition (see
    docs/decisions/0010-recursive-indicators.md).

    Renders CTEs (a with-clause fragment, preceded and followed by commas in
    the caller) ending in one named `name`: every row and column of
    `relation`, plus a column `name`, y on the rows whose `steps` (an
    expression: rows after the anchor row) is >= 1, null on the others. The
    anchor row's own value is `anchor_value` (an expression constant per
    partition: the seed on a full build, the stored value on an incremental
    one); `value` is the input x. alpha and beta are given as integer
    fractions so that every adapter computes exactly the same doubles.

    The CTEs only add columns to the rows they read, each CTE read once: a
    model chains several recurrences one after the other, and Spark, which
    copies a CTE into every place it is read, keeps a plan of linear size.
#}
{% macro exponential_recurrence_ctes(name, relation, value, steps, anchor_value, alpha_num, alpha_den, beta_num, beta_den, partition_by='symbol', order_by='observation_number') -%}
    {{ return(adapter.dispatch('exponential_recurrence_ctes', 'marketpulse')(
        name=name,
        relation=relation,
        value=value,
        steps=steps,
        anchor_value=anchor_value,
        alpha_num=alpha_num,
        alpha_den=alpha_den,
        beta_num=beta_num,
        beta_den=beta_den,
        partition_by=partition_by,
        order_by=order_by,
    )) }}
{%- endmacro %}

{#
    Closed form: within a chunk of L rows starting after a known state Y,
        y_r = alpha^r * (Y + beta * sum_{i <= r} alpha^(-i) * x_i),
    a running window sum. alpha^(-i) grows, so the chunk is rebased every L
    rows, with alpha^L < 1e-100 (and alpha^-L < 1e200, far from overflow):
    the state entering chunk j is alpha^L * beta * (chunk j-1's sum) plus
    alpha^L times the state entering chunk j-1, a term below 1e-100 relative
    that is dropped. Chunk j-1's sum is its running sum on its last row: the
    row before chunk j's first (lag 1), spread over chunk j by a window max
    of that single value. Window functions only: linear, and portable (no
    recursive CTE, no join).
#}
{% macro default__exponential_recurrence_ctes(name, relation, value, steps, anchor_value, alpha_num, alpha_den, beta_num, beta_den, partition_by, order_by) -%}
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
        *,
        cast(floor(cast(({{ steps }}) - 1 as {{ type_double() }}) / {{ chunk_rows }}) as integer)
            as {{ name }}__chunk
    from {{ relation }}

),

{{ name }}__terms as (

    select
        *,
        ({{ steps }}) - {{ name }}__chunk * {{ chunk_rows }} as {{ name }}__chunk_step,
        case
            when ({{ steps }}) >= 1
                then ({{ value }})
                * power({{ alpha }}, -(({{ steps }}) - {{ name }}__chunk * {{ chunk_rows }}))
        end as {{ name }}__term
    from {{ name }}__chunked

),

{{ name }}__running as (

    select
        *,
        sum({{ name }}__term) over (
            partition by {{ partition_by }}, {{ name }}__chunk
            order by {{ order_by }}
            rows between unbounded preceding and current row
        ) as {{ name }}__running_sum
    from {{ name }}__terms

),

{{ name }}__lagged as (

    select
        *,
        lag({{ name }}__running_sum) over (
            partition by {{ partition_by }}
            order by {{ order_by }}
        ) as {{ name }}__previous_row_sum
    from {{ name }}__running

),

{{ name }}__spread as (

    select
        *,
        max(
            case when {{ name }}__chunk_step = 1 then {{ name }}__previous_row_sum end
        ) over (
            partition by {{ partition_by }}, {{ name }}__chunk
        ) as {{ name }}__previous_chunk_sum
    from {{ name }}__lagged

),

{{ name }} as (

    select
        *,
        case
            when ({{ steps }}) >= 1
                then power({{ alpha }}, {{ name }}__chunk_step) * (
                        case
                            when {{ name }}__chunk = 0 then {{ anchor_value }}
                            else
                                power({{ alpha }}, {{ chunk_rows }}) * {{ beta }}
                                * {{ name }}__previous_chunk_sum
                        end
                        + {{ beta }} * {{ name }}__running_sum
                    )
        end as {{ name }}
    from {{ name }}__spread

)
{%- endmacro %}
