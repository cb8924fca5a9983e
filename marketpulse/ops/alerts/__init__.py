"""Alerts: conditions worth waking someone for, sent to every configured channel.

Conditions (marketpulse/ops/alerts/conditions.py): a failed source, a quality score under 0.7, live data
missing for over 6 hours of NYSE market time, a failed dbt build. Channels
(marketpulse/ops/alerts/channels.py): Slack incoming webhook, e-mail over SMTP, a GitHub issue per
condition; each optional. A condition already sent is not sent again within the cool-down
(marketpulse/ops/alerts/state.py). Configuration: docs/operations.md "Alerts".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Alert:
    key: str  # the condition, stable across runs: "source_failed:yahoo", "build_failed", ...
    title: str  # one line
    details: str = ""  # a few lines: what failed, since when, what to do

    def text(self) -> str:
        return f"{self.title}\n{self.details}".strip()
