{#
    The hard rules on a raw price row, in the order int_prices_quarantine lists
    them: each rule's boolean column in int_prices_checked and the reason code
    a breaking row gets in the quarantine. int_prices_checked computes every
    flag and ORs them into is_rejected; int_prices_quarantine renders one
    select per rule. A new rule is one entry here plus its flag's expression.
#}
{% macro price_rejection_rules() -%}
    {{ return([
        {'flag': 'is_missing_close', 'reason_code': 'missing_close'},
        {'flag': 'is_non_positive_price', 'reason_code': 'non_positive_price'},
        {'flag': 'is_high_below_low', 'reason_code': 'high_below_low'},
        {'flag': 'is_open_outside_range', 'reason_code': 'open_outside_range'},
        {'flag': 'is_close_outside_range', 'reason_code': 'close_outside_range'},
        {'flag': 'is_negative_volume', 'reason_code': 'negative_volume'},
        {'flag': 'is_duplicate_key', 'reason_code': 'duplicate_key'},
        {'flag': 'is_non_trading_day', 'reason_code': 'non_trading_day'},
    ]) }}
{%- endmacro %}
