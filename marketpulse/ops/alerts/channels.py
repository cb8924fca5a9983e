"""The alert channels: Slack incoming webhook, e-mail over SMTP, GitHub issues.

Each sends one alert or raises ChannelError with a one-line reason that never contains a
secret (a webhook URL is a secret; the token never leaves the Authorization header).
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

import requests

from marketpulse.ops.alerts import Alert
from marketpulse.ops.alerts.config import AlertConfig

GITHUB_LABEL = "marketpulse-alert"


class ChannelError(Exception):
    """A channel could not deliver an alert."""


def send_slack(config: AlertConfig, alert: Alert) -> None:
    """Slack incoming webhook: POST {"text": ...} as JSON; Slack answers 200 "ok"."""
    assert config.slack_webhook_url
    payload = {"text": f":rotating_light: *marketpulse: {alert.title}*\n{alert.details}".strip()}
    try:
        response = requests.post(config.slack_webhook_url, json=payload, timeout=config.timeout)
    except requests.RequestException as exc:
        raise ChannelError(f"slack: webhook unreachable ({type(exc).__name__})") from None
    if response.status_code >= 300:
        raise ChannelError(f"slack: webhook answered HTTP {response.status_code}")


def send_email(config: AlertConfig, alert: Alert) -> None:
    """One plain-text message to every address in alerts.email_to."""
    assert config.smtp_host
    message = EmailMessage()
    message["Subject"] = f"[marketpulse] {alert.title}"
    message["From"] = config.email_from or "marketpulse@localhost"
    message["To"] = ", ".join(config.email_to)
    message["X-Marketpulse-Alert"] = alert.key
    message.set_content(f"{alert.text()}\n\ncondition: {alert.key}\n")
    try:
        with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.timeout) as smtp:
            if config.smtp_starttls:
                smtp.starttls()
            if config.smtp_username:
                smtp.login(config.smtp_username, config.smtp_password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        reason = type(exc).__name__
        if isinstance(exc, smtplib.SMTPResponseException):
            reason = f"SMTP {exc.smtp_code}"
        raise ChannelError(
            f"email: cannot send through {config.smtp_host}:{config.smtp_port} ({reason})"
        ) from None


class GitHubIssues:
    """One open issue per condition: the first alert opens it, later ones comment on it.

    The condition key is in the title (`[source_failed:yahoo] ...`) and the issues carry the
    label marketpulse-alert, so an open issue is found again by listing that label.
    """

    def __init__(self, config: AlertConfig, session: requests.Session | None = None) -> None:
        assert config.github_token and config.github_repo
        self.base = f"{config.github_api_url}/repos/{config.github_repo}"
        self.timeout = config.timeout
        self.session = session or requests.Session()
        self.session.headers.update(
            {
                "Authorization": f"Bearer {config.github_token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "marketpulse-alerts",
            }
        )

    def send(self, alert: Alert) -> None:
        existing = self._open_issue(alert.key)
        body = f"{alert.text()}\n\n_condition `{alert.key}`, reported by marketpulse_"
        if existing is None:
            self._request(
                "post",
                "/issues",
                json={
                    "title": f"[{alert.key}] {alert.title}",
                    "body": body,
                    "labels": [GITHUB_LABEL],
                },
            )
        else:
            self._request("post", f"/issues/{existing}/comments", json={"body": body})

    def _open_issue(self, key: str) -> int | None:
        issues = self._request(
            "get",
            "/issues",
            params={"state": "open", "labels": GITHUB_LABEL, "per_page": 100},
        )
        if not isinstance(issues, list) or not all(isinstance(i, dict) for i in issues):
            raise ChannelError("github: GET /issues answered something other than a list of issues")
        for issue in issues:
            if str(issue.get("title", "")).startswith(f"[{key}]") and "pull_request" not in issue:
                return int(issue["number"])
        return None

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.session.request(
                method, self.base + path, timeout=self.timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise ChannelError(f"github: API unreachable ({type(exc).__name__})") from None
        if response.status_code >= 300:
            raise ChannelError(
                f"github: {method.upper()} {path} answered HTTP {response.status_code}"
            )
        try:
            return response.json()
        except ValueError:  # a proxy's or captive portal's HTML page, an empty body
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            raise ChannelError(
                f"github: {method.upper()} {path} answered HTTP {response.status_code} "
                f"with a body that is not JSON ({kind}); is github_api_url the API?"
            ) from None


def send_github(config: AlertConfig, alert: Alert) -> None:
    GitHubIssues(config).send(alert)


SENDERS = {"slack": send_slack, "email": send_email, "github": send_github}
