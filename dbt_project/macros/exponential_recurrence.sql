{#
    Exponential smoothing y_n = alpha * y_(n-1) + beta * x_n without a recursive
    CTE, in O(n) per symbol, for several recurrences in the same selects (see
    docs/decisions/0010-recursive-indicators.md and 0019-indicator-recurrences.md).

    Rows are numbered n = 1, 2, ... (observation_number) and split into chunks of
    L = recurrence_chunk_rows() rows: chunk c holds c*L < n <= (c+1)*L, so every
    recurrence shares one chunk and one window spec (recurrence_window()).
    Within a chunk of base b = c*L, with s = n - b,
        y_n = alpha^s * beta * (A_c + S_n),   S_n = sum_{b < i <= n} t_i,
        t_i = x_i * alpha^-(i - b)            (recurrence_term),
    a running window sum. The state entering chunk c is beta * A_c =
    alpha^L * beta * (A_(c-1) + T_(c-1)), T_(c-1) the previous chunk's total; the
    term alpha^L * A_(c-1) is below alpha^L < 1e-30 relative and is dropped, so
    A_c = alpha^L * T_(c-1), read from a per-chunk aggregate (no recursion).

    The start: rows after the anchor row a carry terms; the anchor value Y (the
    seed, or the stored state on an incremental run) adds alpha^(n - a) * Y, which is
    negligible after the chunk following a's. A seed that is the mean of the k values
    ending on row a (TA-Lib's SMA seed) can instead be k terms
    x_i / (k * beta) * alpha^-(a - b) on those rows: then no window computes it first.
    Rows before a carry no term: y is null there.
    alpha and beta are integer fractions, so every adapter computes the same doubles.
#}

{#- The shared chunk length. Each recurrence checks that it fits (alpha_fits_chunk). -#}
{% macro recurrence_chunk_rows() -%}
    {{ return(1024) }}
{%- endmacro %}

{#- Fails the compile when alpha^L is not negligible or alpha^-L could overflow. -#}
{% macro alpha_fits_chunk(alpha_num, alpha_den) -%}
    {%- set power = (alpha_num / alpha_den) ** recurrence_chunk_rows() -%}
    {%- if power >= 1e-30 or power <= 1e-150 -%}
        {{ exceptions.raise_compiler_error(
            'alpha ' ~ alpha_num ~ '/' ~ alpha_den ~ ' does not fit a chunk of '
            ~ recurrence_chunk_rows() ~ ' rows (alpha^L = ' ~ power ~ ')'
        ) }}
    {%- endif -%}
{%- endmacro %}

{% macro recurrence_fraction(numerator, denominator) -%}
    (cast({{ numerator }} as {{ type_double() }}) / {{ denominator }})
{%- endmacro %}

{#- The chunk a row number falls in (0, 1, ...). -#}
{% macro recurrence_chunk(order_by='observation_number') -%}
    cast(floor(cast(({{ order_by }}) - 1 as {{ type_double() }}) / {{ recurrence_chunk_rows() }}) as integer)
{%- endmacro %}

{#-
    alpha^step, the power every term and value of a recurrence with this alpha on a
    row uses: computed once per row and alpha, and passed as step_power.
-#}
{% macro recurrence_step_power(alpha_num, alpha_den, step='recurrence_step') -%}
    power({{ recurrence_fraction(alpha_num, alpha_den) }}, {{ step }})
{%- endmacro %}

{#- The one window every running sum uses. -#}
{% macro recurrence_window(
    partition_by='symbol',
    chunk='recurrence_chunk',
    order_by='observation_number',
    frame='rows between unbounded preceding and current row'
) -%}
    partition by {{ partition_by }}, {{ chunk }}
    order by {{ order_by }}
    {{ frame }}
{%- endmacro %}

{#
    The term t_n of row n (step: n - b, its place in its chunk; step_power: alpha^step,
    recurrence_step_power()): from row anchor + 1 on, the input value over step_power. A seed that is the mean of seed_rows values ending on the
    anchor row can be spread over those rows as seed_value (an expression, null where
    recurrence_value's anchor_value is used instead): so no window is needed to
    compute it first. Null on the other rows.
#}
{% macro recurrence_term(
    value,
    anchor,
    alpha_num,
    alpha_den,
    beta_num,
    beta_den,
    step_power,
    seed_rows=1,
    seed_value=none,
    order_by='observation_number',
    step='recurrence_step'
) -%}
    {{- alpha_fits_chunk(alpha_num=alpha_num, alpha_den=alpha_den) -}}
    {%- set alpha = recurrence_fraction(alpha_num, alpha_den) -%}
    {%- set anchor_power -%}
        power({{ alpha }}, ({{ order_by }}) - ({{ step }}) - ({{ anchor }}))
    {%- endset -%}
    case
        when ({{ order_by }}) > ({{ anchor }})
            then ({{ value }}) / {{ step_power }}
        {%- if seed_value is not none %}
        when ({{ order_by }}) > ({{ anchor }}) - {{ seed_rows }} and ({{ seed_value }}) is not null
            then ({{ seed_value }}) * {{ anchor_power }}
            * {{ recurrence_fraction(beta_den, seed_rows * beta_num) }}
        {%- endif %}
    end
{%- endmacro %}

{#
    y on row n from its running sum of terms and the previous chunk's total (null when
    there is none), plus the anchor value Y's share alpha^(n - a) * Y while it is not
    negligible (the anchor's chunk and the next). Null before the anchor row; on it,
    anchor_value itself when it is not null (the seed exactly, not recomputed).
#}
{% macro recurrence_value(
    running_sum,
    previous_chunk_total,
    anchor,
    anchor_value,
    alpha_num,
    alpha_den,
    beta_num,
    beta_den,
    step_power,
    order_by='observation_number',
    step='recurrence_step'
) -%}
    {%- set alpha = recurrence_fraction(alpha_num, alpha_den) -%}
    {%- set chunk_start = '((' ~ order_by ~ ') - (' ~ step ~ '))' -%}
    case
        when ({{ order_by }}) = ({{ anchor }}) and ({{ anchor_value }}) is not null
            then {{ anchor_value }}
        when ({{ order_by }}) >= ({{ anchor }})
            then {{ step_power }} * {{ recurrence_fraction(beta_num, beta_den) }} * (
                    coalesce({{ running_sum }}, 0)
                    + case
                        when {{ chunk_start }} >= ({{ anchor }})
                            then power({{ alpha }}, {{ recurrence_chunk_rows() }})
                            * coalesce({{ previous_chunk_total }}, 0)
                        else 0
                    end
                )
                + case
                    when {{ chunk_start }} < ({{ anchor }})
                        then power({{ alpha }}, ({{ order_by }}) - ({{ anchor }}))
                        * coalesce({{ anchor_value }}, 0)
                    when {{ chunk_start }} < ({{ anchor }}) + {{ recurrence_chunk_rows() }}
                        then {{ step_power }}
                        * power({{ alpha }}, {{ chunk_start }} - ({{ anchor }}))
                        * coalesce({{ anchor_value }}, 0)
                    else 0
                end
    end
{%- endmacro %}
