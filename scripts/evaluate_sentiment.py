"""Accuracy and macro-F1 of plain VADER and of the finance layer on the labelled headlines.

    python scripts/evaluate_sentiment.py [tests/fixtures/news/labelled_headlines.csv]

Prints one line per scorer and split (dev: looked at while writing the lexicon; hold: never
used to change it). Metrics are computed here with the textbook formulas; the tests check
them against hand-counted confusion matrices.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.news.sentiment import HeadlineScorer, label  # noqa: E402

LABELS = ("positive", "negative", "neutral")
DEFAULT = ROOT / "tests" / "fixtures" / "news" / "labelled_headlines.csv"


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


def evaluate(path: Path = DEFAULT) -> dict[tuple[str, str], tuple[float, float, int]]:
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


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else DEFAULT
    results = evaluate(path)
    print(f"labelled headlines: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    print(f"{'scorer':<16}{'split':<7}{'n':>5}{'accuracy':>10}{'macro-F1':>10}")
    for (name, split), (acc, f1, n) in results.items():
        scorer = "VADER" if name == "vader" else "VADER+finance"
        print(f"{scorer:<16}{split:<7}{n:>5}{acc:>10.3f}{f1:>10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
