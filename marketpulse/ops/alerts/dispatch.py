"""Send alerts to every configured channel, once per condition per cool-down."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from marketpulse.ops.alerts import Alert
from marketpulse.ops.alerts.channels import SENDERS, ChannelError
from marketpulse.ops.alerts.config import AlertConfig
from marketpulse.ops.alerts.state import CooldownState
from marketpulse.warehouse import ConfigError, Warehouse


@dataclass
class Outcome:
    sent: list[tuple[str, str]] = field(default_factory=list)  # (condition, channel)
    suppressed: list[str] = field(default_factory=list)  # conditions in their cool-down
    unsent: list[str] = field(default_factory=list)  # no channel configured
    errors: list[str] = field(default_factory=list)  # one line per channel failure

    def lines(self) -> list[str]:
        """What happened, for stdout (channel failures: see error_lines)."""
        lines = [f"alert sent: {key} -> {channel}" for key, channel in self.sent]
        lines += [f"alert not re-sent (cool-down): {key}" for key in self.suppressed]
        if self.unsent:
            more = len(self.unsent) - 5
            listed = ", ".join(self.unsent[:5]) + (f" and {more} more" if more > 0 else "")
            lines.append(f"alert (no channel configured): {listed}")
        return lines

    def error_lines(self) -> list[str]:
        return [f"alert channel failed: {error}" for error in self.errors]


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


def alert(warehouse: Warehouse, alerts: list[Alert]) -> Outcome:
    """What the CLI calls: load the config, send; what happened on stdout, a channel that
    failed on stderr (stderr stays for errors, so a failed run still ends in its one line)."""
    if not alerts:
        return Outcome()
    try:
        config = AlertConfig.load()
    except ConfigError as exc:
        print(f"alert channel failed: {exc}", file=sys.stderr)
        return Outcome(unsent=[a.key for a in alerts])
    outcome = notify(alerts, config, config.state_file(warehouse))
    if outcome.unsent:  # alerts are opt-in: with no channel configured, say nothing
        return outcome
    for line in outcome.lines():
        print(line)
    for line in outcome.error_lines():
        print(line, file=sys.stderr)
    return outcome
