"""The CSV under every dashboard table: the table's data (not its display formatting), and no
text cell a spreadsheet would run as a formula (issue 19 item 9, ADR 0023)."""

from __future__ import annotations

import io

import pandas as pd

from marketpulse.dashboard.ui import csv_bytes


def test_the_csv_holds_the_data_with_formulas_escaped() -> None:
    frame = pd.DataFrame(
        {
            "portfolio_name": ["=cmd|' /C calc'!A0", "Growth & Income", "-1+2", "@SUM(A1)"],
            "change_1d": [-0.0123, 0.5, None, 0.0],
            "quantity": [10, -5, 0, 3],
        }
    )
    styled = frame.style.format({"change_1d": "{:+.1%}"}, na_rep="n/a")
    text = csv_bytes(styled).decode("utf-8")
    read = pd.read_csv(io.StringIO(text))
    assert read["portfolio_name"].tolist() == [
        "'=cmd|' /C calc'!A0",
        "Growth & Income",
        "'-1+2",
        "'@SUM(A1)",
    ]
    # Numbers stay numbers at full precision (the display's "-1.2%" is not what is written).
    assert read["change_1d"].tolist()[:2] == [-0.0123, 0.5]
    assert pd.isna(read["change_1d"][2])
    assert read["quantity"].tolist() == [10, -5, 0, 3]
    assert text.splitlines()[0] == "portfolio_name,change_1d,quantity"
