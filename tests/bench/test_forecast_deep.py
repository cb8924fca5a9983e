"""The LSTM's cost block in docs/forecasts.md is rendered from the bench JSON: written between
its markers only, and again to the same text."""

from __future__ import annotations

from pathlib import Path

from bench import forecast_deep
from tests.conftest import ROOT

RESULT = {
    "measured_on": "2026-12-07",
    "cpu_count": 2,
    "deep": {
        "network": "LSTM(32) on 20 sessions x 14 features -> Dense(3)",
        "subset": {
            "symbols": 51,
            "years": 3,
            "lstm_seconds": 200.0,
            "lstm_rows": 150_000,
            "lstm_refits": 24,
            "steps": {"forecast": 12.5},
        },
        "refit_day": {
            "symbols": 501,
            "years": 10,
            "date": "2018-12-03",
            "lstm_seconds": 30.0,
            "lstm_rows": 3006,
        },
        "month": {"lstm_seconds": 1.0, "lstm_rows": 50_000, "seconds_per_1000_rows": 0.02},
        "refresh": {
            "date": "2018-12-31",
            "wall_seconds": 20.0,
            "keras_import_seconds": 4.0,
            "lstm_seconds": 2.0,
            "lstm_rows": 3006,
            "lstm_refits": 0,
            "steps": {"read": 2.0},
        },
        "extrapolated_walk_forward": {"refit_dates": 108, "rows": 6_000_000, "seconds": 3360.0},
        "load_average_start": [1.0, 1.0, 1.0],
        "load_average_end": [2.0, 1.0, 1.0],
    },
}


def test_the_block_is_rewritten_between_its_markers_only(tmp_path: Path) -> None:
    doc, doc_json = tmp_path / "forecasts.md", tmp_path / "forecast-bench.json"
    original = (ROOT / "docs" / "forecasts.md").read_text()
    doc.write_text(original)
    forecast_deep.write_docs(RESULT, doc, doc_json)
    text = doc.read_text()
    head, rest = original.split(forecast_deep.BEGIN)
    assert text.startswith(head) and text.endswith(rest.split(forecast_deep.END)[1])
    assert "| whole walk-forward, 501 symbols x 10 y, extrapolated | **56 min** |" in text
    assert "importing Keras/JAX 4.0 s" in text
    forecast_deep.write_docs(RESULT, doc, doc_json)
    assert doc.read_text() == text
