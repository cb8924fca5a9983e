"""Headline sentiment at ingest: plain VADER, and VADER with a finance lexicon layered on top.

VADER (Hutto & Gilbert, 2014) is tuned to social-media English. Market headlines use a
vocabulary it does not know or misreads: "rally", "beats", "slumps", "downgrade" score 0,
"shares" scores positive (as in sharing), "cut" is negative even in "Fed cuts rates".
The finance layer is a copy of VADER's lexicon with market words added or overridden;
both scores are stored on every row (docs/decisions/0008-news-sentiment-scoring.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# VADER's own convention: compound >= 0.05 positive, <= -0.05 negative, else neutral.
POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05

# Valences on VADER's -4..+4 scale. None removes a word VADER scores but that carries no
# sentiment in market language. Written from market vocabulary, not fitted to the labelled set.
FINANCE_LEXICON: dict[str, float | None] = {
    # price moves up
    "rally": 2.0,
    "rallies": 2.0,
    "rallied": 2.0,
    "rallying": 2.0,
    "surge": 2.2,
    "surges": 2.2,
    "surged": 2.2,
    "surging": 2.2,
    "soar": 2.4,
    "soars": 2.4,
    "soared": 2.4,
    "soaring": 2.4,
    "jump": 1.8,
    "jumps": 1.8,
    "jumped": 1.8,
    "climb": 1.5,
    "climbs": 1.5,
    "climbed": 1.5,
    "rise": 1.2,
    "rises": 1.2,
    "rose": 1.2,
    "rising": 0.8,
    "gain": 1.6,
    "gains": 1.6,
    "gained": 1.6,
    "rebound": 1.8,
    "rebounds": 1.8,
    "rebounded": 1.8,
    "recover": 1.5,
    "recovers": 1.5,
    "recovered": 1.5,
    "recovery": 1.5,
    "bounce": 1.4,
    "bounces": 1.4,
    "pop": 1.5,
    "pops": 1.5,
    "leap": 2.0,
    "leaps": 2.0,
    "spike": 1.0,
    "spikes": 1.0,
    "higher": 1.0,
    "high": 0.8,
    "record": 1.0,
    "outperform": 2.0,
    "outperforms": 2.0,
    "bull": 1.8,
    "bullish": 2.2,
    "upside": 1.5,
    "uptick": 1.0,
    # price moves down
    "fall": -1.6,
    "falls": -1.6,
    "fell": -1.6,
    "falling": -1.6,
    "drop": -1.6,
    "drops": -1.6,
    "dropped": -1.6,
    "slump": -2.2,
    "slumps": -2.2,
    "slumped": -2.2,
    "plunge": -2.6,
    "plunges": -2.6,
    "plunged": -2.6,
    "tumble": -2.3,
    "tumbles": -2.3,
    "tumbled": -2.3,
    "sink": -2.0,
    "sinks": -2.0,
    "sank": -2.0,
    "slide": -1.6,
    "slides": -1.6,
    "slid": -1.6,
    "slip": -1.2,
    "slips": -1.2,
    "slipped": -1.2,
    "dive": -2.3,
    "dives": -2.3,
    "dived": -2.3,
    "decline": -1.5,
    "declines": -1.5,
    "declined": -1.5,
    "crater": -2.8,
    "craters": -2.8,
    "plummet": -2.8,
    "plummets": -2.8,
    "selloff": -2.2,
    "sell-off": -2.2,
    "rout": -2.5,
    "correction": -1.5,
    "lower": -1.0,
    "low": -1.0,
    "underperform": -2.0,
    "underperforms": -2.0,
    "bear": -1.8,
    "bearish": -2.2,
    "downside": -1.5,
    "retreat": -1.2,
    "retreats": -1.2,
    "shrink": -1.6,
    "shrinks": -1.6,
    "contracts": -1.4,
    "slowdown": -1.8,
    "slows": -1.2,
    "recession": -2.5,
    # results, analysts, guidance
    "beat": 2.0,
    "beats": 2.0,
    "tops": 2.0,
    "topped": 2.0,
    "exceeds": 1.8,
    "miss": -2.0,
    "misses": -2.0,
    "missed": -2.0,
    "shortfall": -1.8,
    "upgrade": 2.0,
    "upgrades": 2.0,
    "upgraded": 2.0,
    "downgrade": -2.0,
    "downgrades": -2.0,
    "downgraded": -2.0,
    "raises": 1.2,
    "lifts": 1.4,
    "boosts": 1.6,
    "hikes": 0.5,
    "upbeat": 2.0,
    "downbeat": -2.0,
    "headwinds": -1.5,
    "tailwinds": 1.5,
    "profit": 1.5,
    "loss": -1.8,
    "losses": -1.8,
    "writedown": -2.0,
    "write-down": -2.0,
    "warns": -1.8,
    "warning": -1.8,
    "slashes": -2.0,
    "weak": -1.9,
    "weaker": -1.9,
    "cools": 1.0,
    "eases": 1.0,
    "ease": 1.0,
    "bankruptcy": -3.0,
    "default": -2.0,
    "layoffs": -1.8,
    "probe": -1.5,
    "subpoena": -1.8,
    "recall": -1.5,
    "recalls": -1.5,
    "halts": -1.5,
    "lawsuit": -1.5,
    "fined": -1.8,
    "volatility": -0.8,
    # words VADER scores that are neutral in market headlines
    "shares": None,
    "share": None,
    "stock": None,
    "stocks": None,
    "interest": None,
    "cut": None,
    "cuts": None,
    "top": None,
    "fine": None,
    "credit": None,
    "dividend": None,
    "charge": None,
    "futures": None,
    "bond": None,
    "yield": None,
    "yields": None,
}


@dataclass(frozen=True)
class Scores:
    vader_compound: float
    vader_pos: float
    vader_neu: float
    vader_neg: float
    finance_compound: float


class HeadlineScorer:
    """Scores a headline with plain VADER and with the finance layer."""

    def __init__(self, finance_lexicon: dict[str, float | None] | None = None) -> None:
        self._vader = SentimentIntensityAnalyzer()
        self._finance = SentimentIntensityAnalyzer()
        for word, valence in (
            FINANCE_LEXICON if finance_lexicon is None else finance_lexicon
        ).items():
            if valence is None:
                self._finance.lexicon.pop(word, None)
            else:
                self._finance.lexicon[word] = valence
        self.version = scorer_version()

    def score(self, text: str) -> Scores:
        plain = self._vader.polarity_scores(text)
        finance = self._finance.polarity_scores(text)
        return Scores(
            vader_compound=plain["compound"],
            vader_pos=plain["pos"],
            vader_neu=plain["neu"],
            vader_neg=plain["neg"],
            finance_compound=finance["compound"],
        )


def scorer_version() -> str:
    """What scored a row: the library, its version, and the version of our finance layer."""
    return f"vaderSentiment {version('vaderSentiment')} + finance-lexicon {LEXICON_VERSION}"


LEXICON_VERSION = "1"
SCORER = "vaderSentiment"


def label(compound: float) -> str:
    if compound >= POSITIVE_THRESHOLD:
        return "positive"
    if compound <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"
