"""Send alerts to every configured channel, once per condition per cool-down."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from marketpulse.errors import one_line
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
    is tried again next time. Whatever a channel does (a ChannelError, any other exception) is
    one line in `errors`, and the cool-down of what was delivered is saved regardless.
    """
    now = now or datetime.now(UTC)
    senders = senders or SENDERS
    channels = config.channels()
    state = CooldownState(state_path)
    cooldown = timedelta(minutes=config.cooldown_minutes)
    outcome = Outcome()
    try:
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
                except Exception as exc:  # a channel's bug or a library's surprise: one line
                    outcome.errors.append(_unexpected(channel, exc, config))
                    continue
                delivered = True
                outcome.sent.append((alert.key, channel))
            if delivered:
                state.mark_sent(alert.key, now)
    finally:
        if outcome.sent:
            try:
                state.save()
            except OSError as exc:
                outcome.errors.append(
                    f"cool-down: cannot write {state_path} ({type(exc).__name__}); "
                    "the same alerts will be sent again next time"
                )
    return outcome


def _unexpected(channel: str, exc: Exception, config: AlertConfig) -> str:
    """`<channel>: <Type>: <first line>`, with every configured secret blanked out."""
    line = f"{channel}: {type(exc).__name__}: {one_line(exc)}"
    for secret in (config.slack_webhook_url, config.github_token, config.smtp_password):
        if secret:
            line = line.replace(secret, "***")
    return line


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
