{#
    True when a FRED value cannot be real: negative in a series listed in var
    fred_non_negative_series (price indices, counts, levels). The one
    definition of the rule, shared by int_macro_observations_quarantine and
    fct_macro_observations.
#}
{% macro fred_value_is_impossible(indicator_id, value) -%}
    {%- set series = var('fred_non_negative_series', []) -%}
    {%- if series | length == 0 -%}
        false
    {%- else -%}
        coalesce(
            {{ indicator_id }} in ('{{ series | join("', '") }}') and {{ value }} < 0,
            false
        )
    {%- endif -%}
{%- endmacro %}
