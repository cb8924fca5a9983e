"""Alert channel settings: `[alerts]` in `.dlt/config.toml`, secrets in the environment.

Every key can come from the environment as ALERTS__<KEY> (dlt's convention), e.g.
ALERTS__SLACK_WEBHOOK_URL, ALERTS__GITHUB_TOKEN, ALERTS__SMTP_PASSWORD; secrets may also live
in the git-ignored `.dlt/secrets.toml`. A channel is on when its required keys are set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlt

from marketpulse.warehouse import ConfigError, Warehouse

DEFAULT_COOLDOWN_MINUTES = 360
DEFAULT_GITHUB_API_URL = "https://api.github.com"
QUALITY_THRESHOLD = 0.7
STALE_MARKET_HOURS = 6.0


@dataclass(frozen=True)
class AlertConfig:
    slack_webhook_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_username: str | None = None
    smtp_password: str | None = None
    email_from: str | None = None
    email_to: tuple[str, ...] = ()
    github_token: str | None = None
    github_repo: str | None = None
    github_api_url: str = DEFAULT_GITHUB_API_URL
    cooldown_minutes: float = DEFAULT_COOLDOWN_MINUTES
    quality_threshold: float = QUALITY_THRESHOLD
    stale_market_hours: float = STALE_MARKET_HOURS
    state_path: Path | None = None
    timeout: float = 10.0

    @classmethod
    def load(cls) -> AlertConfig:
        def get(key: str, kind: type = str, secret: bool = False) -> Any:
            provider = dlt.secrets if secret else dlt.config
            value = provider.get(f"alerts.{key}", kind)
            return None if value in (None, "") else value

        email_to = get("email_to", list) or []
        if isinstance(email_to, str):
            email_to = [address.strip() for address in email_to.split(",")]
        port = get("smtp_port", int)
        starttls = get("smtp_starttls", bool)
        repo = get("github_repo")
        if repo and repo.count("/") != 1:
            raise ConfigError(f"alerts.github_repo = {repo!r} is not owner/name")
        state_path = get("state_path")
        return cls(
            slack_webhook_url=get("slack_webhook_url", secret=True),
            smtp_host=get("smtp_host"),
            smtp_port=587 if port is None else int(port),
            smtp_starttls=True if starttls is None else bool(starttls),
            smtp_username=get("smtp_username"),
            smtp_password=get("smtp_password", secret=True),
            email_from=get("email_from"),
            email_to=tuple(address for address in email_to if address),
            github_token=get("github_token", secret=True),
            github_repo=repo,
            github_api_url=(get("github_api_url") or DEFAULT_GITHUB_API_URL).rstrip("/"),
            cooldown_minutes=_cooldown(get("cooldown_minutes", float)),
            state_path=Path(state_path) if state_path else None,
        )

    def channels(self) -> list[str]:
        """The channels that are configured, in the order they are tried."""
        names = []
        if self.slack_webhook_url:
            names.append("slack")
        if self.smtp_host and self.email_to:
            names.append("email")
        if self.github_token and self.github_repo:
            names.append("github")
        return names

    def state_file(self, warehouse: Warehouse) -> Path:
        """Cool-down state, one file per warehouse, beside dlt's working state."""
        if self.state_path:
            return self.state_path
        cache = warehouse.pipelines_dir()
        return cache.with_name(cache.name + ".alerts.json")


def _cooldown(value: Any) -> float:
    """Minutes; 0 means no cool-down (every run sends what it finds), unset means the default."""
    if value is None:
        return float(DEFAULT_COOLDOWN_MINUTES)
    minutes = float(value)
    if minutes < 0:
        raise ConfigError(f"alerts.cooldown_minutes = {value!r}: give 0 or more minutes")
    return minutes
