"""Accuracy and macro-F1 of plain VADER and of the finance layer on the labelled headlines.

    python scripts/evaluate_sentiment.py [path/to/labelled.csv]     (or: make sentiment-eval)

Prints one line per scorer and split: dev (looked at while writing the finance lexicon),
hold (never used to change it) and all. Columns: headline, label, split.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marketpulse.sources.news.evaluation import LABELLED, evaluate  # noqa: E402


def main(argv: list[str]) -> int:
    path = Path(argv[0]).resolve() if argv else LABELLED
    results = evaluate(path)
    print(f"labelled headlines: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    print(f"{'scorer':<16}{'split':<7}{'n':>5}{'accuracy':>10}{'macro-F1':>10}")
    for (name, split), (acc, f1, n) in results.items():
        scorer = "VADER" if name == "vader" else "VADER+finance"
        print(f"{scorer:<16}{split:<7}{n:>5}{acc:>10.3f}{f1:>10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
