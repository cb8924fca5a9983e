{#
    The (floor((n - 1) * fraction) + 1)-th smallest non-null value of expr, an
    aggregate: the element numpy's np.partition puts at int((n - 1) * fraction),
    which empyrical's CVaR averages up to. Exact for fraction = 1 / m (0.05 is
    1 / 20), where it equals the ceil(fraction * n)-th value that Postgres'
    percentile_disc returns.
#}
{% macro order_statistic(expr, fraction) -%}
    {{ return(adapter.dispatch('order_statistic', 'marketpulse')(expr, fraction)) }}
{%- endmacro %}

{% macro default__order_statistic(expr, fraction) -%}
    percentile_disc({{ fraction }}) within group (order by {{ expr }})
{%- endmacro %}

{% macro duckdb__order_statistic(expr, fraction) -%}
    quantile_disc({{ expr }}, {{ fraction }})
{%- endmacro %}

{% macro spark__order_statistic(expr, fraction) -%}
    try_element_at(
        sort_array(collect_list({{ expr }})),
        cast(floor((count({{ expr }}) - 1) * {{ fraction }}) as int) + 1
    )
{%- endmacro %}
