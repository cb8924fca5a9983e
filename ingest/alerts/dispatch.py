"""Send alerts to every configured channel, once per condition per cool-down."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from ingest.alerts import Alert
from ingest.alerts.channels import SENDERS, ChannelError
from ingest.alerts.config import AlertConfig
from ingest.alerts.state import CooldownState
from ingest.warehouse import ConfigError, Warehouse


@dataclass
class Outcome:
    sent: list[tuple[str, str]] = field(default_factory=list)  # (condition, channel)
    suppressed: list[str] = field(default_factory=list)  # conditions in their cool-down
    unsent: list[str] = field(default_factory=list)  # no channel configured
    errors: list[str] = field(default_factory=list)  # one line per channel failure

    def lines(self) -> list[str]:
        lines = [f"alert sent: {key} -> {channel}" for key, channel in self.sent]
        lines += [f"alert not re-sent (cool-down): {key}" for key in self.suppressed]
        lines += [f"alert (no channel configured): {key}" for key in self.unsent]
        lines += [f"alert channel failed: {error}" for error in self.errors]
        return lines


def notify(
    alerts: Iterable[Alert],
    config: AlertConfig,
    state_path: Path,
    now: datetime | None = None,
    senders: dict[str, Callable[[AlertConfig, Alert], None]] | None = None,
) -> Outcome:
    """Each alert to each channel, unless the condition was sent within the cool-down.

    A condition counts as sent when at least one channel took it; if every channel failed it
    is tried again next time.
    """
    now = now or datetime.now(UTC)
    senders = senders or SENDERS
    channels = config.channels()
    state = CooldownState(state_path)
    cooldown = timedelta(minutes=config.cooldown_minutes)
    outcome = Outcome()
    for alert in alerts:
        if not channels:
            outcome.unsent.append(alert.key)
            continue
        if state.cooling(alert.key, now, cooldown):
            outcome.suppressed.append(alert.key)
            continue
        delivered = False
        for channel in channels:
            try:
                senders[channel](config, alert)
            except ChannelError as exc:
                outcome.errors.append(str(exc))
                continue
            delivered = True
            outcome.sent.append((alert.key, channel))
        if delivered:
            state.mark_sent(alert.key, now)
    if outcome.sent:
        state.save()
    return outcome


def alert(warehouse: Warehouse, alerts: list[Alert], stream: TextIO | None = None) -> Outcome:
    """What the CLI calls: load the config, send, print one line per outcome to stderr."""
    stream = stream or sys.stderr
    if not alerts:
        return Outcome()
    try:
        config = AlertConfig.load()
    except ConfigError as exc:
        print(f"alerts: not sent: {exc}", file=stream)
        return Outcome(unsent=[a.key for a in alerts])
    outcome = notify(alerts, config, config.state_file(warehouse))
    for line in outcome.lines():
        print(line, file=stream)
    return outcome
