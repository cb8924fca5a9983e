{#
    Two-sided p-value of a standard normal statistic, 2 * (1 - Phi(|z|)), from Abramowitz and
    Stegun 26.2.17 (absolute error under 7.5e-8): plain arithmetic, exp and sqrt, the same on
    DuckDB, Postgres and Spark, none of which shares an erf or a normal CDF.
    abs_z: an expression >= 0 (repeated below: pass a column, not a computation).
#}
{% macro normal_two_sided_p_value(abs_z) -%}
    (
        2.0 * exp(-0.5 * {{ abs_z }} * {{ abs_z }}) / 2.5066282746310002
        * (
            (1.0 / (1.0 + 0.2316419 * {{ abs_z }})) * (0.319381530
                + (1.0 / (1.0 + 0.2316419 * {{ abs_z }})) * (-0.356563782
                    + (1.0 / (1.0 + 0.2316419 * {{ abs_z }})) * (1.781477937
                        + (1.0 / (1.0 + 0.2316419 * {{ abs_z }})) * (-1.821255978
                            + (1.0 / (1.0 + 0.2316419 * {{ abs_z }})) * 1.330274429))))
        )
    )
{%- endmacro %}
