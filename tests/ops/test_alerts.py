"""Alerts against local fake servers: what each channel received, and the cool-down."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from marketpulse.ops.alerts import Alert
from marketpulse.ops.alerts.channels import SENDERS
from marketpulse.ops.alerts.conditions import market_time_between, stale
from marketpulse.ops.alerts.config import AlertConfig
from marketpulse.ops.alerts.dispatch import notify
from marketpulse.warehouse import ConfigError
from tests.conftest import ROOT
from tests.fake_servers import FakeHttp, FakeSmtp

NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # Monday 11:00 New York
ALERT = Alert("source_failed:yahoo", "yahoo failed", "no network: cannot reach Yahoo Finance")


@pytest.fixture
def http() -> Iterator[FakeHttp]:
    server = FakeHttp().start()
    yield server
    server.stop()


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    server = FakeSmtp().start()
    yield server
    server.stop()


def every_channel(http: FakeHttp, smtp: FakeSmtp, tmp_path: Path) -> AlertConfig:
    return AlertConfig(
        slack_webhook_url=f"{http.url}/slack/T000/B000/hook-secret",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_starttls=False,
        email_from="marketpulse@example.org",
        email_to=("oncall@example.org", "data@example.org"),
        github_token="ghp_faketoken123",
        github_repo="acme/marketpulse",
        github_api_url=http.url,
        cooldown_minutes=60,
        state_path=tmp_path / "alerts.json",
    )


def test_every_configured_channel_gets_exactly_the_alert(
    http: FakeHttp, smtp: FakeSmtp, tmp_path: Path
) -> None:
    config = every_channel(http, smtp, tmp_path)
    outcome = notify([ALERT], config, config.state_path, now=NOW)  # type: ignore[arg-type]
    assert outcome.sent == [(ALERT.key, "slack"), (ALERT.key, "email"), (ALERT.key, "github")]
    assert outcome.errors == []

    slack = [r for r in http.requests if r.path.startswith("/slack/")]
    assert [(r.method, r.path, r.body) for r in slack] == [
        (
            "POST",
            "/slack/T000/B000/hook-secret",
            {
                "text": ":rotating_light: *marketpulse: yahoo failed*\n"
                "no network: cannot reach Yahoo Finance"
            },
        )
    ]

    assert len(smtp.mails) == 1
    mail = smtp.mails[0]
    assert mail.sender == "marketpulse@example.org"
    assert mail.recipients == ["oncall@example.org", "data@example.org"]
    assert mail.message["Subject"] == "[marketpulse] yahoo failed"
    assert mail.message["X-Marketpulse-Alert"] == "source_failed:yahoo"
    assert mail.message.get_payload(decode=True).decode().replace("\r\n", "\n") == (
        "yahoo failed\nno network: cannot reach Yahoo Finance\n\ncondition: source_failed:yahoo\n"
    )

    github = [r for r in http.requests if r.path.startswith("/repos/")]
    assert [(r.method, r.path.split("?")[0]) for r in github] == [
        ("GET", "/repos/acme/marketpulse/issues"),
        ("POST", "/repos/acme/marketpulse/issues"),
    ]
    assert "labels=marketpulse-alert" in github[0].path and "state=open" in github[0].path
    assert all(r.headers["Authorization"] == "Bearer ghp_faketoken123" for r in github)
    assert github[1].body == {
        "title": "[source_failed:yahoo] yahoo failed",
        "body": "yahoo failed\nno network: cannot reach Yahoo Finance\n\n"
        "_condition `source_failed:yahoo`, reported by marketpulse_",
        "labels": ["marketpulse-alert"],
    }


def test_a_repeated_condition_waits_for_the_cooldown_then_comments_on_its_issue(
    http: FakeHttp, smtp: FakeSmtp, tmp_path: Path
) -> None:
    config = every_channel(http, smtp, tmp_path)
    state = tmp_path / "alerts.json"
    notify([ALERT], config, state, now=NOW)
    sent_before = len(http.requests)

    again = notify([ALERT], config, state, now=NOW + timedelta(minutes=59))
    assert again.sent == [] and again.suppressed == [ALERT.key]
    assert len(http.requests) == sent_before and len(smtp.mails) == 1
    assert json.loads(state.read_text()) == {ALERT.key: NOW.isoformat()}

    other = Alert("build_failed", "dbt build failed (exit code 1)")
    mixed = notify([ALERT, other], config, state, now=NOW + timedelta(minutes=30))
    assert mixed.suppressed == [ALERT.key]
    assert [key for key, _ in mixed.sent] == ["build_failed"] * 3

    later = notify([ALERT], config, state, now=NOW + timedelta(minutes=61))
    assert [channel for _, channel in later.sent] == ["slack", "email", "github"]
    assert len(smtp.mails) == 3
    # One issue per condition: the repeat became a comment on issue #1, not a new issue.
    assert [issue["title"] for issue in http.issues] == [
        "[source_failed:yahoo] yahoo failed",
        "[build_failed] dbt build failed (exit code 1)",
    ]
    assert len(http.comments[1]) == 1 and http.comments[1][0].startswith("yahoo failed\n")


def test_a_failing_channel_is_reported_without_its_secret_and_the_others_still_send(
    http: FakeHttp, smtp: FakeSmtp, tmp_path: Path
) -> None:
    http.slack_status = 500
    config = every_channel(http, smtp, tmp_path)
    outcome = notify([ALERT], config, tmp_path / "state.json", now=NOW)
    assert outcome.errors == ["slack: webhook answered HTTP 500"]
    assert [channel for _, channel in outcome.sent] == ["email", "github"]
    dead = replace(config, smtp_port=1, github_api_url="http://127.0.0.1:1", slack_webhook_url=None)
    outcome = notify([ALERT], dead, tmp_path / "dead.json", now=NOW)
    assert outcome.errors == [
        "email: cannot send through 127.0.0.1:1 (ConnectionRefusedError)",
        "github: API unreachable (ConnectionError)",
    ]
    assert not (tmp_path / "dead.json").exists()  # nothing delivered: tried again next time
    lines = outcome.lines() + outcome.error_lines()
    assert all("hook-secret" not in line and "ghp_" not in line for line in lines)


def test_no_channel_configured_sends_nothing(tmp_path: Path) -> None:
    outcome = notify([ALERT], AlertConfig(), tmp_path / "state.json", now=NOW)
    assert outcome.unsent == [ALERT.key] and outcome.sent == []
    assert outcome.lines() == ["alert (no channel configured): source_failed:yahoo"]


def test_config_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALERTS__SLACK_WEBHOOK_URL", "http://127.0.0.1:9/slack/x")
    monkeypatch.setenv("ALERTS__GITHUB_TOKEN", "ghp_x")
    monkeypatch.setenv("ALERTS__GITHUB_REPO", "acme/marketpulse")
    monkeypatch.setenv("ALERTS__SMTP_HOST", "mail.example.org")
    monkeypatch.setenv("ALERTS__EMAIL_TO", '["a@example.org", "b@example.org"]')
    monkeypatch.setenv("ALERTS__COOLDOWN_MINUTES", "15")
    config = AlertConfig.load()
    assert config.channels() == ["slack", "email", "github"]
    assert config.email_to == ("a@example.org", "b@example.org")
    assert config.cooldown_minutes == 15
    assert config.github_api_url == "https://api.github.com"
    assert config.smtp_port == 587 and config.smtp_starttls


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        # Friday 15:00 NY -> Monday 11:00 NY: 1 h Friday + 1.5 h Monday (hand-counted).
        (datetime(2026, 11, 20, 20, 0, tzinfo=UTC), NOW, 2.5),
        # Wed 15:00 -> Mon 11:00 over Thanksgiving (closed) and Black Friday (13:00 close):
        # 1 + 3.5 + 1.5 hours.
        (
            datetime(2026, 11, 25, 20, 0, tzinfo=UTC),
            datetime(2026, 11, 30, 16, 0, tzinfo=UTC),
            6.0,
        ),
        # A weekend alone is no market time.
        (
            datetime(2026, 11, 21, 0, 0, tzinfo=UTC),
            datetime(2026, 11, 23, 14, 0, tzinfo=UTC),
            0.0,
        ),
    ],
)
def test_market_time_counts_nyse_sessions_only(
    start: datetime, end: datetime, hours: float
) -> None:
    assert market_time_between(start, end) == timedelta(hours=hours)


def test_stale_means_over_six_hours_of_market_time() -> None:
    friday_close = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)
    monday_1555_ny = datetime(2026, 11, 23, 20, 55, tzinfo=UTC)  # 6 h 25 min of session time
    monday_1000_ny = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 30 min
    assert stale({"yahoo": friday_close}, monday_1000_ny, 6) == []
    (alert,) = stale({"yahoo": friday_close, "fred": None}, monday_1555_ny, 6)
    assert alert.key == "stale:yahoo"
    assert alert.title == "yahoo data missing for 6.4 market hours"


def health_alert(tmp_path: Path, http: FakeHttp, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m marketpulse health --alert` on a missing DuckDB file: one condition,
    warehouse_unreachable, sent to Slack and GitHub (both the local fake server)."""
    settings = {
        "WAREHOUSE": "duckdb",
        "MARKETPULSE_DUCKDB_PATH": str(tmp_path / "missing.duckdb"),
        "ALERTS__SLACK_WEBHOOK_URL": f"{http.url}/slack/T000/B000/hook-secret",
        "ALERTS__GITHUB_TOKEN": "ghp_faketoken123",
        "ALERTS__GITHUB_REPO": "acme/marketpulse",
        "ALERTS__GITHUB_API_URL": http.url,
        "ALERTS__STATE_PATH": str(tmp_path / "alerts.json"),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "marketpulse", "health", "--alert"],
        cwd=ROOT,
        env={**os.environ, **settings},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def slack_posts(http: FakeHttp) -> list[str]:
    return [r.body["text"] for r in http.requests if r.path.startswith("/slack/")]


def test_a_github_api_answering_html_is_one_line_and_the_cooldown_still_holds(
    http: FakeHttp, tmp_path: Path
) -> None:
    """Issue 18 item 11: GitHub answers 200 with an HTML page. The command ends as health
    does (exit 1, its table), the failure is one line, and Slack's delivery is remembered:
    the second run sends nothing."""
    http.github_text = "<html><body>Sign in to the proxy</body></html>"
    first = health_alert(tmp_path, http)
    assert first.returncode == 1, first.stderr
    assert "Traceback" not in first.stderr
    assert first.stderr.splitlines() == [
        "alert channel failed: github: GET /issues answered HTTP 200 with a body that is not "
        "JSON (text/html); is github_api_url the API?"
    ]
    assert "alert sent: warehouse_unreachable -> slack" in first.stdout.splitlines()
    assert len(slack_posts(http)) == 1
    saved = json.loads((tmp_path / "alerts.json").read_text())
    assert list(saved) == ["warehouse_unreachable"]

    second = health_alert(tmp_path, http)
    assert second.returncode == 1 and second.stderr == ""
    assert "alert not re-sent (cool-down): warehouse_unreachable" in second.stdout.splitlines()
    assert len(slack_posts(http)) == 1
    assert json.loads((tmp_path / "alerts.json").read_text()) == saved


def test_any_channel_exception_is_one_line_without_secrets_and_the_cooldown_is_saved(
    http: FakeHttp, smtp: FakeSmtp, tmp_path: Path
) -> None:
    """A channel raising something unforeseen (its message quoting the webhook URL) is one
    redacted line; the other channels still send and their delivery is saved."""
    config = every_channel(http, smtp, tmp_path)

    def broken_slack(config: AlertConfig, alert: Alert) -> None:
        raise RuntimeError(f"boom posting to {config.slack_webhook_url}\nsecond line")

    senders = {**SENDERS, "slack": broken_slack}
    state = tmp_path / "alerts.json"
    outcome = notify([ALERT], config, state, now=NOW, senders=senders)
    assert outcome.errors == ["slack: RuntimeError: boom posting to ***"]
    assert [channel for _, channel in outcome.sent] == ["email", "github"]
    assert json.loads(state.read_text()) == {ALERT.key: NOW.isoformat()}

    def crashing(config: AlertConfig, alert: Alert) -> None:
        raise KeyError("number")

    outcome = notify(
        [Alert("build_failed", "dbt build failed")],
        config,
        state,
        now=NOW,
        senders={**SENDERS, "github": crashing},
    )
    assert outcome.errors == ["github: KeyError: 'number'"]
    assert json.loads(state.read_text()) == {
        ALERT.key: NOW.isoformat(),
        "build_failed": NOW.isoformat(),
    }


def test_cooldown_minutes_zero_means_no_cooldown(http: FakeHttp, tmp_path: Path) -> None:
    """Issue 18 item 12: ALERTS__COOLDOWN_MINUTES=0 sends the condition on every run."""
    for _ in range(2):
        result = health_alert(tmp_path, http, ALERTS__COOLDOWN_MINUTES="0", ALERTS__GITHUB_TOKEN="")
        assert "alert sent: warehouse_unreachable -> slack" in result.stdout.splitlines()
    assert len(slack_posts(http)) == 2
    # The default (360 minutes, .dlt/config.toml) holds it back.
    result = health_alert(tmp_path, http, ALERTS__GITHUB_TOKEN="")
    assert "alert not re-sent (cool-down): warehouse_unreachable" in result.stdout.splitlines()
    assert len(slack_posts(http)) == 2


def test_cooldown_minutes_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALERTS__COOLDOWN_MINUTES", "0")
    assert AlertConfig.load().cooldown_minutes == 0
    monkeypatch.delenv("ALERTS__COOLDOWN_MINUTES")
    assert AlertConfig.load().cooldown_minutes == 360  # .dlt/config.toml
    monkeypatch.setenv("ALERTS__COOLDOWN_MINUTES", "-5")
    with pytest.raises(ConfigError, match="cooldown_minutes = -5"):
        AlertConfig.load()
