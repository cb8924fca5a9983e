{#
    Aggregate: the linearly interpolated percentile of expr (fraction in 0..1),
    numpy.percentile's default method: position (n - 1) * fraction between the
    sorted values. Use in a grouped select.
#}
{% macro percentile_linear(expr, fraction) -%}
    {{ return(adapter.dispatch('percentile_linear', 'marketpulse')(expr, fraction)) }}
{%- endmacro %}

{% macro default__percentile_linear(expr, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expr }})
{%- endmacro %}

{% macro duckdb__percentile_linear(expr, fraction) -%}
    quantile_cont({{ expr }}, {{ fraction }})
{%- endmacro %}

{% macro spark__percentile_linear(expr, fraction) -%}
    percentile({{ expr }}, {{ fraction }})
{%- endmacro %}
