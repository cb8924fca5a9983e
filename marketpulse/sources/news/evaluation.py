"""Accuracy and macro-F1 of plain VADER and of the finance layer on a labelled headline set.

The labelled set (tests/fixtures/news/labelled_headlines.csv) has a `split` column: `dev`
headlines were looked at while the finance lexicon was written, `hold` headlines never were.
Metrics use the textbook formulas (tests check them against hand-counted confusion matrices).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from marketpulse.sources.news.sentiment import HeadlineScorer, label

ROOT = Path(__file__).resolve().parents[3]
LABELS = ("positive", "negative", "neutral")
LABELLED = ROOT / "tests" / "fixtures" / "news" / "labelled_headlines.csv"


def accuracy(truth: Sequence[str], predicted: Sequence[str]) -> float:
    return sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    scores = []
    for cls in LABELS:
        tp = sum(t == cls and p == cls for t, p in zip(truth, predicted, strict=True))
        fp = sum(t != cls and p == cls for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == cls and p != cls for t, p in zip(truth, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores)


def evaluate(path: Path = LABELLED) -> dict[tuple[str, str], tuple[float, float, int]]:
    """(scorer, split) -> (accuracy, macro-F1, n) for splits dev, hold and all."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    scorer = HeadlineScorer()
    scored = [(row, scorer.score(row["headline"])) for row in rows]
    results = {}
    for split in ("dev", "hold", "all"):
        subset = [(row, s) for row, s in scored if split == "all" or row["split"] == split]
        truth = [row["label"] for row, _ in subset]
        for name, pick in (
            ("vader", lambda s: s.vader_compound),
            ("finance", lambda s: s.finance_compound),
        ):
            predicted = [label(pick(s)) for _, s in subset]
            results[(name, split)] = (
                accuracy(truth, predicted),
                macro_f1(truth, predicted),
                len(subset),
            )
    return results
